package dev.spotdrill.lab.kube;

import static dev.spotdrill.lab.kube.KubeTestSupport.onDemand;
import static dev.spotdrill.lab.kube.KubeTestSupport.spot;
import static dev.spotdrill.lab.kube.KubeTestSupport.waitUpTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spotdrill.core.SpotDrillConfigurationException;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lab's Fargate, as EKS runs it: a pod that matches a profile gets its own virtual node after the startup
 * delay, labelled and tainted {@code eks.amazonaws.com/compute-type=fargate}, one pod per node, no instance behind
 * it, gone with its pod; pods nothing can take stay Pending with a FailedScheduling event; the two lab faults.
 */
class FargateTest {
    private static final String A = "ip-10-0-1-11.ec2.internal";
    private static final String B = "ip-10-0-1-12.ec2.internal";
    private static final Map<String, String> ON_FARGATE = Map.of("compute-type", "fargate");
    private final KubeTestSupport lab = new KubeTestSupport();

    @AfterEach
    void tearDown() {
        lab.close();
    }

    private static ClusterSpec cluster(WorkloadSpec... workloads) {
        return ClusterSpec.of(
                        List.of(
                                spot(A, "i-0c0ffee0000000a01").withLabels(Map.of("compute-type", "spot")),
                                onDemand(B, "i-0c0ffee0000000b01")),
                        List.of(workloads))
                .withDaemonSets(List.of(new DaemonSetSpec("kube-system", "aws-node")))
                .withTerminationHandler(TerminationHandlerSpec.disabled())
                .withFargate(new FargateSpec(
                        Duration.ofSeconds(60), List.of(FargateProfileSpec.of("shop-fargate", "shop", ON_FARGATE))));
    }

    private static WorkloadSpec onFargate(String name, int replicas) {
        return WorkloadSpec.of("shop", name, replicas).withLabels(ON_FARGATE).withNodeSelector(ON_FARGATE);
    }

    private List<Node> fargateNodes() {
        return lab.client().nodes().list().getItems().stream()
                .filter(LabFargate::isFargateNode)
                .toList();
    }

    private List<Event> failedScheduling(String namespace) {
        return lab.client().v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "FailedScheduling".equals(e.getReason()))
                .toList();
    }

    private static PodCondition scheduled(Pod p) {
        return Kube.condition(p, "PodScheduled").orElseThrow();
    }

    @Test
    void aPodOfAProfileGetsItsOwnFargateNodeAfterTheStartupDelay() {
        Instant before = lab.clock.now();
        lab.start(cluster(onFargate("cart", 2)));

        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(2));

        List<Node> nodes = fargateNodes();
        assertThat(nodes).hasSize(2);
        for (Node n : nodes) {
            assertThat(n.getMetadata().getName()).matches("fargate-ip-10-0-\\d+-\\d+\\.ec2\\.internal");
            assertThat(n.getMetadata().getLabels())
                    .containsEntry("eks.amazonaws.com/compute-type", "fargate")
                    .containsKey("topology.kubernetes.io/zone")
                    .doesNotContainKey("compute-type");
            // Fargate places pods in the cluster's zones, in turn
            assertThat(n.getMetadata().getLabels().get("topology.kubernetes.io/zone"))
                    .isIn("us-east-1a", "us-east-1b");
            assertThat(n.getSpec().getTaints()).singleElement().satisfies(t -> assertThat(
                            t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
                    .isEqualTo("eks.amazonaws.com/compute-type=fargate:NoSchedule"));
            // no EC2 instance behind it: the providerID names none, so no IMDS and no termination handler
            assertThat(dev.spotdrill.core.kube.NodeTargets.instanceId(
                            n.getSpec().getProviderID()))
                    .isEmpty();
        }
        // each pod was bound a startup delay (60 s world time) after it was created, not before
        assertThat(lab.pods("shop", "cart")).allSatisfy(p -> assertThat(
                        Duration.between(before, Instant.parse(scheduled(p).getLastTransitionTime())))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(59)));
        assertThat(lab.podsPerNode("shop", "cart"))
                .containsOnlyKeys(
                        nodes.stream().map(n -> n.getMetadata().getName()).toArray(String[]::new))
                .allSatisfy((node, count) -> assertThat(count).isEqualTo(1L));
        assertThat(lab.pods("shop", "cart")).allSatisfy(p -> {
            assertThat(p.getSpec().getSchedulerName()).isEqualTo("fargate-scheduler");
            assertThat(p.getMetadata().getAnnotations())
                    .containsEntry("eks.amazonaws.com/fargate-profile", "shop-fargate");
        });
        // EKS's own DaemonSets keep off Fargate nodes
        assertThat(lab.podsPerNode("kube-system", "aws-node")).containsOnlyKeys(A, B);
    }

    @Test
    void theVirtualNodeGoesAwayWithItsPod() {
        lab.start(cluster(onFargate("cart", 2)));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(2));
        assertThat(fargateNodes()).hasSize(2);

        lab.client().apps().deployments().inNamespace("shop").withName("cart").scale(1);

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.pods("shop", "cart")).hasSize(1);
            assertThat(fargateNodes())
                    .extracting(n -> n.getMetadata().getName())
                    .containsExactlyElementsOf(lab.podsPerNode("shop", "cart").keySet());
        });
    }

    @Test
    void aPodThatNoNodeAndNoProfileTakesStaysPendingWithFailedScheduling() {
        lab.start(cluster(WorkloadSpec.of("shop", "cart", 1)
                .withLabels(Map.of("compute-type", "fargte"))
                .withNodeSelector(Map.of("compute-type", "fargte"))));

        waitUpTo().untilAsserted(() -> assertThat(failedScheduling("shop")).isNotEmpty());
        Pod pod = lab.pods("shop", "cart").get(0);
        assertThat(pod.getSpec().getNodeName()).isNull();
        assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
        String message = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption:"
                + " 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
        assertThat(scheduled(pod).getReason()).isEqualTo("Unschedulable");
        assertThat(scheduled(pod).getMessage()).isEqualTo(message);
        assertThat(failedScheduling("shop")).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).isEqualTo(message);
            assertThat(e.getSource().getComponent()).isEqualTo("default-scheduler");
            assertThat(e.getInvolvedObject().getName())
                    .isEqualTo(pod.getMetadata().getName());
        });
        assertThat(fargateNodes()).isEmpty();
    }

    @Test
    void withoutFargateCapacityPodsStayPendingUntilItComesBack() {
        lab.faults.put(FargateFaults.NO_CAPACITY, "");
        lab.start(cluster(onFargate("cart", 1)));

        waitUpTo().untilAsserted(() -> assertThat(failedScheduling("shop")).isNotEmpty());
        assertThat(failedScheduling("shop")).singleElement().satisfies(e -> {
            assertThat(e.getMessage())
                    .isEqualTo("Fargate capacity is unavailable at this time. Please try again later or in a"
                            + " different availability zone");
            assertThat(e.getSource().getComponent()).isEqualTo("fargate-scheduler");
        });
        Pod pending = lab.pods("shop", "cart").get(0);
        assertThat(pending.getSpec().getNodeName()).isNull();
        assertThat(scheduled(pending).getMessage()).startsWith("Fargate capacity is unavailable");

        lab.faults.remove(FargateFaults.NO_CAPACITY);

        // the Fargate scheduler retries every 30 s (world time), then the startup delay runs
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(1));
        assertThat(fargateNodes()).hasSize(1);
    }

    @Test
    void theStartupDelayFaultKeepsPodsPendingThatMuchLonger() {
        lab.faults.put(FargateFaults.STARTUP_DELAY, "PT5M");
        lab.start(cluster(onFargate("cart", 1)));
        Instant created = lab.clock.now();

        // 2 world minutes later (2 s wall): still no node, though the scenario's delay is 60 s
        waitUpTo().until(() -> lab.clock.now().isAfter(created.plus(Duration.ofMinutes(2))));
        assertThat(lab.pods("shop", "cart"))
                .singleElement()
                .satisfies(p -> assertThat(p.getSpec().getNodeName()).isNull());
        assertThat(fargateNodes()).isEmpty();

        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(1));
        Pod bound = lab.pods("shop", "cart").get(0);
        assertThat(Duration.between(created, Instant.parse(scheduled(bound).getLastTransitionTime())))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(290));
    }

    @Test
    void profilesAndTheStartupDelayAreReadFromTheScenario() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        FargateSpec spec = ClusterSpec.fromYaml(yaml.readTree("""
                        fargate:
                          startupDelay: PT45S
                          profiles:
                            - name: shop-fargate
                              selectors:
                                - { namespace: shop, labels: { compute-type: fargate } }
                                - { namespace: batch }
                        """)).fargate();
        assertThat(spec.startupDelay()).isEqualTo(Duration.ofSeconds(45));
        assertThat(spec.profileFor("shop", Map.of("compute-type", "fargate", "app", "cart")))
                .hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("shop-fargate"));
        assertThat(spec.profileFor("shop", Map.of("compute-type", "spot"))).isEmpty();
        assertThat(spec.profileFor("batch", Map.of())).isPresent();
        assertThat(ClusterSpec.fromYaml(yaml.readTree("instances: []"))
                        .fargate()
                        .profiles())
                .isEmpty();
        assertThat(ClusterSpec.fromYaml(yaml.readTree("instances: []"))
                        .fargate()
                        .startupDelay())
                .isEqualTo(Duration.ofSeconds(60));

        assertThatThrownBy(() -> ClusterSpec.fromYaml(yaml.readTree("fargate: { startupDelay: 60s }")))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("fargate.startupDelay '60s' is not an ISO-8601 duration; write e.g. PT5S");
        assertThatThrownBy(() -> ClusterSpec.fromYaml(yaml.readTree("fargate: { profile: [] }")))
                .hasMessage("fargate has the unknown key 'profile'; use startupDelay and profiles");
        assertThatThrownBy(() -> ClusterSpec.fromYaml(yaml.readTree(
                        "fargate: { profiles: [ { name: 'bad name', selectors: [ {namespace: shop} ] } ] }")))
                .hasMessage("fargate.profiles[0]: Fargate profile name 'bad name' is not one EKS accepts; use 1 to 100"
                        + " letters, digits, '-' and '_', starting with a letter or digit");
        assertThatThrownBy(() ->
                        ClusterSpec.fromYaml(yaml.readTree("fargate: { profiles: [ { name: p, selectors: [] } ] }")))
                .hasMessage("fargate.profiles[0]: Fargate profile p has 0 selectors; EKS takes 1 to 5, each a namespace"
                        + " with optional labels");
    }
}
