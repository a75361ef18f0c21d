package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.KubeProbe;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes probe watches the pods of its target's node (field selector {@code spec.nodeName}), the pods of its
 * Deployments and of the owners of its node's pods, never the whole cluster: a change to a pod elsewhere is neither
 * received nor stored, and what it stores are summaries.
 */
class KubeProbeWatchTest {
    static final String NODE = "ip-10-0-1-11.ec2.internal"; // i-0c0ffee0000000a01, a checkout node
    static final String OTHER_NODE = "ip-10-0-1-14.ec2.internal"; // a cart node

    @Test
    void aPodChangeOnAnotherNodeIsNeitherReceivedNorStored() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(60).build())) {
            KubernetesClient admin = lab.cluster().orElseThrow().client();
            Target target = new Target("i-0c0ffee0000000a01", "m5.large", "us-east-1a", NODE, Map.of());
            try (KubeProbe probe = KubeProbe.start(lab.world(), List.of(target), List.of(), new Timeline())) {
                KubeProbe.Stats before = probe.stats();
                // the node's 3 pods (checkout, aws-node, kube-proxy) and the checkout owner's 3 pods
                assertThat(before.podWatches()).isEqualTo(2);
                assertThat(before.storedPods()).isEqualTo(6);
                long events = before.podEvents();

                // a change on another node: the probe must not hear of it ...
                Pod cart = pods(admin, OTHER_NODE).stream()
                        .filter(p -> p.getMetadata().getName().startsWith("cart-"))
                        .findFirst()
                        .orElseThrow();
                annotate(admin, cart, "elsewhere");
                // ... while one on its own node (a DaemonSet pod, which no owner watch holds) it hears once
                Pod proxy = pods(admin, NODE).stream()
                        .filter(p -> p.getMetadata().getName().startsWith("kube-proxy-"))
                        .findFirst()
                        .orElseThrow();
                annotate(admin, proxy, "here");
                await().atMost(Duration.ofSeconds(10)).until(() -> probe.stats().podEvents() > events);

                KubeProbe.Stats after = probe.stats();
                assertThat(after.podEvents()).isEqualTo(events + 1);
                assertThat(after.storedPods()).isEqualTo(before.storedPods());
            }
        }
    }

    private static List<Pod> pods(KubernetesClient client, String node) {
        return client.pods()
                .inAnyNamespace()
                .withField("spec.nodeName", node)
                .list()
                .getItems();
    }

    private static void annotate(KubernetesClient client, Pod pod, String value) {
        client.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .edit(p -> {
                    Map<String, String> ann = p.getMetadata().getAnnotations() == null
                            ? new java.util.HashMap<>()
                            : new java.util.HashMap<>(p.getMetadata().getAnnotations());
                    ann.put("spotdrill.test/touched", value);
                    p.getMetadata().setAnnotations(ann);
                    return p;
                });
    }
}
