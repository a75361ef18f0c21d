package dev.spotdrill.lab.kube;

import static dev.spotdrill.lab.kube.KubeTestSupport.onDemand;
import static dev.spotdrill.lab.kube.KubeTestSupport.spot;
import static dev.spotdrill.lab.kube.KubeTestSupport.waitUpTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EvictionTest {
    private final KubeTestSupport lab = new KubeTestSupport();

    @AfterEach
    void tearDown() {
        lab.close();
    }

    private void start(WorkloadSpec... workloads) {
        lab.start(ClusterSpec.of(
                        List.of(
                                spot("ip-10-0-1-11.ec2.internal", "i-0c0ffee0000000a01"),
                                onDemand("ip-10-0-1-12.ec2.internal", "i-0c0ffee0000000b01")),
                        List.of(workloads))
                .withTerminationHandler(TerminationHandlerSpec.disabled()));
    }

    private static Eviction eviction(Pod pod) {
        return new EvictionBuilder()
                .withNewMetadata()
                .withName(pod.getMetadata().getName())
                .withNamespace(pod.getMetadata().getNamespace())
                .endMetadata()
                .build();
    }

    private boolean evict(Pod pod) {
        return lab.client()
                .pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .evict(eviction(pod));
    }

    @Test
    void evictionWithoutABudgetDeletesThePodAndTheControllerReplacesIt() {
        start(WorkloadSpec.of("shop", "cart", 2));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(2));
        Pod victim = lab.pods("shop", "cart").get(0);

        assertThat(evict(victim)).isTrue();

        assertThat(lab.client()
                        .pods()
                        .inNamespace("shop")
                        .withName(victim.getMetadata().getName())
                        .get())
                .isNull();
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart"))
                .hasSize(2)
                .extracting(p -> p.getMetadata().getName())
                .doesNotContain(victim.getMetadata().getName()));
        assertThat(lab.cluster.evictionsGranted()).isEqualTo(1);
    }

    @Test
    void evictionThatWouldBreakMinAvailableGets429AndKeepsThePod() throws Exception {
        start(WorkloadSpec.of("shop", "checkout", 2).withPdb(PdbSpec.minAvailable(2)));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "checkout"))
                .hasSize(2));
        Pod victim = lab.pods("shop", "checkout").get(0);

        assertThat(evict(victim)).isFalse();
        assertThat(lab.client()
                        .pods()
                        .inNamespace("shop")
                        .withName(victim.getMetadata().getName())
                        .get())
                .isNotNull();
        assertThat(lab.cluster.evictionsRefused()).isEqualTo(1);

        // The wire answer, as kubectl drain sees it.
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> raw = http.send(
                HttpRequest.newBuilder(URI.create(lab.cluster.masterUrl() + "api/v1/namespaces/shop/pods/"
                                + victim.getMetadata().getName() + "/eviction"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                lab.client().getKubernetesSerialization().asJson(eviction(victim))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(429);
        assertThat(raw.body())
                .contains("\"kind\":\"Status\"")
                .contains("TooManyRequests")
                .contains("Cannot evict pod as it would violate the pod's disruption budget.")
                .contains("The disruption budget checkout-pdb needs 2 healthy pods and has 2 currently");
    }

    @Test
    void maxUnavailableAllowsOneEvictionThenRefusesUntilTheReplacementIsReady() {
        start(WorkloadSpec.of("shop", "cart", 3)
                .withPdb(PdbSpec.maxUnavailable(1))
                .withReadinessDelay(Duration.ofMinutes(10)));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(3));
        List<Pod> pods = lab.pods("shop", "cart");

        assertThat(evict(pods.get(0))).isTrue();
        // The replacement needs ten world minutes (10 s wall) to turn Ready, so the budget is spent meanwhile.
        assertThat(evict(pods.get(1))).isFalse();

        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(3));
        assertThat(evict(pods.get(1))).isTrue();
    }

    @Test
    void evictingAMissingPodGets404() {
        start();
        Pod ghost = new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName("ghost")
                .withNamespace("shop")
                .endMetadata()
                .build();

        assertThatThrownBy(() -> evict(ghost))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
                        .isEqualTo(404))
                .hasMessageContaining("pods \"ghost\" not found");
    }

    @Test
    void budgetRuleCountsReadyPodsAgainstMinAvailableAndMaxUnavailable() {
        Pod ready = pod("a", true);
        Pod notReady = pod("b", false);
        var min2 = budget(new io.fabric8.kubernetes.api.model.IntOrString(2), null);
        var max50 = budget(null, new io.fabric8.kubernetes.api.model.IntOrString("50%"));

        assertThat(PodEvictions.refusal(min2, ready, List.of(ready, pod("c", true), pod("d", true)), 0))
                .isNull();
        assertThat(PodEvictions.refusal(min2, ready, List.of(ready, pod("c", true), notReady), 0))
                .isEqualTo("The disruption budget b needs 2 healthy pods and has 2 currently");
        // an unready pod may go while the budget is healthy (IfHealthyBudget)
        assertThat(PodEvictions.refusal(min2, notReady, List.of(ready, pod("c", true), notReady), 0))
                .isNull();
        // the expected count comes from the owners' scale when a replacement is not created yet
        assertThat(PodEvictions.refusal(max50, ready, List.of(ready, pod("c", true)), 4))
                .isEqualTo("The disruption budget b needs 2 healthy pods and has 2 currently");
        assertThat(PodEvictions.refusal(
                        max50, ready, List.of(ready, pod("c", true), pod("d", true), pod("e", true)), 0))
                .isNull();
        assertThat(PodEvictions.refusal(max50, ready, List.of(ready, pod("c", true), notReady, pod("e", false)), 0))
                .isEqualTo("The disruption budget b needs 2 healthy pods and has 2 currently");
    }

    private static io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget budget(
            io.fabric8.kubernetes.api.model.IntOrString min, io.fabric8.kubernetes.api.model.IntOrString max) {
        return new io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder()
                .withNewMetadata()
                .withName("b")
                .endMetadata()
                .withNewSpec()
                .withMinAvailable(min)
                .withMaxUnavailable(max)
                .withNewSelector()
                .addToMatchLabels("app", "x")
                .endSelector()
                .endSpec()
                .build();
    }

    private static Pod pod(String name, boolean ready) {
        return new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("app", "x")
                .endMetadata()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .endCondition()
                .endStatus()
                .build();
    }
}
