package dev.spotdrill.lab.kube;

import static dev.spotdrill.lab.kube.KubeTestSupport.onDemand;
import static dev.spotdrill.lab.kube.KubeTestSupport.spot;
import static dev.spotdrill.lab.kube.KubeTestSupport.waitUpTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SchedulingTest {
    private static final String A = "ip-10-0-1-11.ec2.internal";
    private static final String B = "ip-10-0-1-12.ec2.internal";
    private final KubeTestSupport lab = new KubeTestSupport();

    @AfterEach
    void tearDown() {
        lab.close();
    }

    private static ClusterSpec twoNodes(NodeSpec b, WorkloadSpec... workloads) {
        return ClusterSpec.of(
                        List.of(spot(A, "i-0c0ffee0000000a01").withLabels(Map.of("workload", "checkout")), b),
                        List.of(workloads))
                .withTerminationHandler(TerminationHandlerSpec.disabled());
    }

    @Test
    void nodeSelectorPinsPodsToMatchingNodesAndOthersSpread() {
        lab.start(twoNodes(
                onDemand(B, "i-0c0ffee0000000b01"),
                WorkloadSpec.of("shop", "checkout", 3).withNodeSelector(Map.of("workload", "checkout")),
                WorkloadSpec.of("shop", "cart", 4)));

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.readyPods("shop", "checkout")).hasSize(3);
            assertThat(lab.readyPods("shop", "cart")).hasSize(4);
        });
        assertThat(lab.podsPerNode("shop", "checkout")).containsOnlyKeys(A);
        assertThat(lab.podsPerNode("shop", "cart")).containsEntry(A, 2L).containsEntry(B, 2L);
    }

    @Test
    void podsWithoutAFittingNodeStayPendingUntilOneJoins() {
        lab.start(twoNodes(
                onDemand(B, "i-0c0ffee0000000b01"),
                WorkloadSpec.of("shop", "gpu", 2).withNodeSelector(Map.of("workload", "gpu"))));

        waitUpTo().untilAsserted(() -> assertThat(lab.pods("shop", "gpu")).hasSize(2));
        waitUpTo().during(Duration.ofMillis(500)).untilAsserted(() -> assertThat(lab.pods("shop", "gpu"))
                .allSatisfy(p -> {
                    assertThat(p.getSpec().getNodeName()).isNull();
                    assertThat(p.getStatus().getPhase()).isEqualTo("Pending");
                }));
        Deployment d = lab.client()
                .apps()
                .deployments()
                .inNamespace("shop")
                .withName("gpu")
                .get();
        assertThat(d.getStatus().getReadyReplicas()).isZero();
        assertThat(d.getStatus().getUnavailableReplicas()).isEqualTo(2);

        lab.cluster.addNode(
                onDemand("ip-10-0-2-20.ec2.internal", "i-0c0ffee0000000c01").withLabels(Map.of("workload", "gpu")));

        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "gpu")).hasSize(2));
        assertThat(lab.podsPerNode("shop", "gpu")).containsOnlyKeys("ip-10-0-2-20.ec2.internal");
    }

    @Test
    void taintsRepelPodsWithoutTolerationAndAdmitPodsWithIt() {
        NodeSpec tainted = onDemand(B, "i-0c0ffee0000000b01")
                .withTaints(List.of(new TaintSpec("dedicated", "batch", "NoSchedule")));
        lab.start(twoNodes(
                tainted,
                WorkloadSpec.of("shop", "web", 4),
                WorkloadSpec.of("batch", "jobs", 4)
                        .withTolerations(List.of(new TolerationSpec("dedicated", "Equal", "batch", "NoSchedule")))));

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.readyPods("shop", "web")).hasSize(4);
            assertThat(lab.readyPods("batch", "jobs")).hasSize(4);
        });
        assertThat(lab.podsPerNode("shop", "web")).containsOnlyKeys(A);
        assertThat(lab.podsPerNode("batch", "jobs")).containsOnlyKeys(A, B);
    }

    @Test
    void cordonedNodesGetNoNewPodsAndDeletedPodsAreReplacedElsewhere() {
        lab.start(twoNodes(onDemand(B, "i-0c0ffee0000000b01"), WorkloadSpec.of("shop", "cart", 2)));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(2));
        Pod onA = lab.pods("shop", "cart").stream()
                .filter(p -> A.equals(p.getSpec().getNodeName()))
                .findFirst()
                .orElseThrow();

        lab.client().nodes().withName(A).edit(n -> {
            n.getSpec().setUnschedulable(true);
            return n;
        });
        lab.client()
                .pods()
                .inNamespace("shop")
                .withName(onA.getMetadata().getName())
                .delete();

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.readyPods("shop", "cart")).hasSize(2);
            assertThat(lab.podsPerNode("shop", "cart")).containsOnly(Map.entry(B, 2L));
        });
        assertThat(lab.pods("shop", "cart"))
                .extracting(p -> p.getMetadata().getName())
                .doesNotContain(onA.getMetadata().getName());
    }

    @Test
    void noExecuteTaintEvictsPodsThatDoNotTolerateIt() {
        lab.start(twoNodes(onDemand(B, "i-0c0ffee0000000b01"), WorkloadSpec.of("shop", "cart", 4))
                .withDaemonSets(List.of(new DaemonSetSpec("kube-system", "aws-node"))));
        waitUpTo()
                .untilAsserted(() -> assertThat(lab.podsPerNode("shop", "cart")).containsKeys(A, B));

        lab.client().nodes().withName(A).edit(n -> {
            n.getSpec()
                    .setTaints(List.of(new TaintBuilder()
                            .withKey("maintenance")
                            .withEffect("NoExecute")
                            .build()));
            return n;
        });

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.podsPerNode("shop", "cart")).containsOnly(Map.entry(B, 4L));
            assertThat(lab.readyPods("shop", "cart")).hasSize(4);
        });
        assertThat(lab.podsPerNode("kube-system", "aws-node")).containsEntry(A, 1L);
    }

    @Test
    void podsTurnReadyOnlyAfterTheirReadinessDelayInWorldTime() {
        Duration delay = Duration.ofMinutes(5);
        lab.start(twoNodes(
                onDemand(B, "i-0c0ffee0000000b01"),
                WorkloadSpec.of("shop", "slow", 2).withReadinessDelay(delay)));

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.pods("shop", "slow"))
                    .hasSize(2)
                    .allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Running"));
            Deployment before = lab.client()
                    .apps()
                    .deployments()
                    .inNamespace("shop")
                    .withName("slow")
                    .get();
            assertThat(before.getStatus()).isNotNull();
            assertThat(before.getStatus().getReplicas()).isEqualTo(2);
        });

        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "slow")).hasSize(2));
        for (Pod p : lab.pods("shop", "slow")) {
            Instant scheduled = Instant.parse(
                    Kube.condition(p, "PodScheduled").orElseThrow().getLastTransitionTime());
            Instant ready =
                    Instant.parse(Kube.condition(p, "Ready").orElseThrow().getLastTransitionTime());
            assertThat(Duration.between(scheduled, ready)).isGreaterThanOrEqualTo(delay);
        }
        waitUpTo().untilAsserted(() -> {
            Deployment d = lab.client()
                    .apps()
                    .deployments()
                    .inNamespace("shop")
                    .withName("slow")
                    .get();
            assertThat(d.getStatus().getReplicas()).isEqualTo(2);
            assertThat(d.getStatus().getReadyReplicas()).isEqualTo(2);
            assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(2);
            assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(2);
            assertThat(d.getStatus().getUnavailableReplicas()).isZero();
        });
    }

    @Test
    void podsAreOwnedByAReplicaSetThatTheDeploymentOwns() {
        lab.start(twoNodes(onDemand(B, "i-0c0ffee0000000b01"), WorkloadSpec.of("shop", "cart", 1)));
        waitUpTo().untilAsserted(() -> assertThat(lab.pods("shop", "cart")).hasSize(1));

        Pod pod = lab.pods("shop", "cart").get(0);
        OwnerReference podOwner = Kube.controller(pod).orElseThrow();
        assertThat(podOwner.getKind()).isEqualTo("ReplicaSet");
        assertThat(podOwner.getName()).matches("cart-[a-z0-9]{10}");
        assertThat(pod.getMetadata().getName()).startsWith(podOwner.getName() + "-");
        ReplicaSet rs = lab.client()
                .apps()
                .replicaSets()
                .inNamespace("shop")
                .withName(podOwner.getName())
                .get();
        assertThat(rs.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("Deployment");
            assertThat(o.getName()).isEqualTo("cart");
        });
    }

    @Test
    void daemonSetsRunOnePodOnEveryNodeIncludingTaintedCordonedAndNewOnes() {
        NodeSpec tainted = onDemand(B, "i-0c0ffee0000000b01")
                .withTaints(List.of(new TaintSpec("dedicated", "batch", "NoExecute")));
        lab.start(twoNodes(tainted).withDaemonSets(List.of(new DaemonSetSpec("kube-system", "aws-node"))));

        waitUpTo().untilAsserted(() -> assertThat(lab.podsPerNode("kube-system", "aws-node"))
                .containsOnly(Map.entry(A, 1L), Map.entry(B, 1L)));
        assertThat(lab.pods("kube-system", "aws-node"))
                .allSatisfy(p ->
                        assertThat(Kube.controller(p).orElseThrow().getKind()).isEqualTo("DaemonSet"));

        lab.cluster.addNode(onDemand("ip-10-0-2-20.ec2.internal", "i-0c0ffee0000000c01"));
        waitUpTo().untilAsserted(() -> {
            assertThat(lab.podsPerNode("kube-system", "aws-node")).hasSize(3);
            assertThat(lab.readyPods("kube-system", "aws-node")).hasSize(3);
            DaemonSet ds = lab.client()
                    .apps()
                    .daemonSets()
                    .inNamespace("kube-system")
                    .withName("aws-node")
                    .get();
            assertThat(ds.getStatus().getNumberReady()).isEqualTo(3);
            assertThat(ds.getStatus().getDesiredNumberScheduled()).isEqualTo(3);
        });
    }

    @Test
    void changingThePodTemplateRollsOutANewReplicaSet() {
        lab.start(twoNodes(onDemand(B, "i-0c0ffee0000000b01"), WorkloadSpec.of("shop", "cart", 2)));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(2));
        String oldRs =
                Kube.controller(lab.pods("shop", "cart").get(0)).orElseThrow().getName();

        // The controller writes the Deployment's status as well; like any client, retry an edit that meets 409.
        waitUpTo()
                .ignoreExceptions()
                .until(() -> lab.client()
                                .apps()
                                .deployments()
                                .inNamespace("shop")
                                .withName("cart")
                                .edit(d -> {
                                    d.getSpec().getTemplate().getSpec().setNodeSelector(Map.of("workload", "checkout"));
                                    return d;
                                })
                        != null);

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.readyPods("shop", "cart")).hasSize(2);
            assertThat(lab.pods("shop", "cart")).hasSize(2).allSatisfy(p -> assertThat(
                            Kube.controller(p).orElseThrow().getName())
                    .isNotEqualTo(oldRs));
            assertThat(lab.podsPerNode("shop", "cart")).containsOnlyKeys(A);
        });
    }
}
