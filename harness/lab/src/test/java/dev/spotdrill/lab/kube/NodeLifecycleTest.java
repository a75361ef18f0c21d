package dev.spotdrill.lab.kube;

import static dev.spotdrill.lab.kube.KubeTestSupport.onDemand;
import static dev.spotdrill.lab.kube.KubeTestSupport.spot;
import static dev.spotdrill.lab.kube.KubeTestSupport.waitUpTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Node;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NodeLifecycleTest {
    private static final String A = "ip-10-0-1-11.ec2.internal";
    private static final String B = "ip-10-0-1-12.ec2.internal";
    private final KubeTestSupport lab = new KubeTestSupport();

    @AfterEach
    void tearDown() {
        lab.close();
    }

    @Test
    void terminatedInstanceNodeGoesNotReadyThenIsDeletedAndItsPodsAreReplaced() {
        lab.start(ClusterSpec.of(
                        List.of(spot(A, "i-0c0ffee0000000a01"), onDemand(B, "i-0c0ffee0000000b01")),
                        List.of(WorkloadSpec.of("shop", "cart", 4)))
                .withDaemonSets(List.of(new DaemonSetSpec("kube-system", "aws-node")))
                .withNodeDeletionDelay(Duration.ofMinutes(10)));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(4));
        assertThat(lab.cluster.handlerNodes()).containsExactly(A);

        assertThat(lab.cluster.instanceTerminated("i-0c0ffee0000000a01")).isTrue();

        waitUpTo().untilAsserted(() -> {
            Node node = lab.node(A);
            assertThat(node).isNotNull();
            assertThat(Kube.isNodeReady(node)).isFalse();
            assertThat(lab.readyPods("shop", "cart")).hasSize(2);
        });
        assertThat(lab.cluster.handlerNodes()).isEmpty();

        waitUpTo().untilAsserted(() -> {
            assertThat(lab.node(A)).isNull();
            assertThat(lab.readyPods("shop", "cart")).hasSize(4);
            assertThat(lab.podsPerNode("shop", "cart")).containsOnly(Map.entry(B, 4L));
            assertThat(lab.podsPerNode("kube-system", "aws-node")).containsOnlyKeys(B);
        });
    }

    @Test
    void withKeepDeadNodesTheNodeOfATerminatedInstanceStaysNotReadyWhileItsPodsGo() {
        lab.faults.put(LabCluster.KEEP_DEAD_NODES, "");
        lab.start(ClusterSpec.of(
                        List.of(spot(A, "i-0c0ffee0000000a01"), onDemand(B, "i-0c0ffee0000000b01")),
                        List.of(WorkloadSpec.of("shop", "cart", 4)))
                .withNodeDeletionDelay(Duration.ofSeconds(30)));
        waitUpTo().untilAsserted(() -> assertThat(lab.podsPerNode("shop", "cart"))
                .containsKey(A)
                .containsKey(B));

        assertThat(lab.cluster.instanceTerminated("i-0c0ffee0000000a01")).isTrue();

        // the pods left with the deletion delay, as they do without the fault; the node object did not
        waitUpTo().untilAsserted(() -> {
            assertThat(lab.readyPods("shop", "cart")).hasSize(4);
            assertThat(lab.podsPerNode("shop", "cart")).containsOnly(Map.entry(B, 4L));
        });
        Node node = lab.node(A);
        assertThat(node).as("the dead node is kept").isNotNull();
        assertThat(Kube.isNodeReady(node)).isFalse();
    }

    @Test
    void terminatingAnInstanceWithoutANodeChangesNothing() {
        lab.start(ClusterSpec.of(List.of(spot(A, "i-0c0ffee0000000a01")), List.of()));

        assertThat(lab.cluster.instanceTerminated("i-0000000000000dead")).isFalse();
        assertThat(Kube.isNodeReady(lab.node(A))).isTrue();
        assertThat(lab.cluster.nodeNameFor("i-0c0ffee0000000a01")).contains(A);
        assertThat(lab.cluster.nodeNameFor("i-0000000000000dead")).isEmpty();
    }

    @Test
    void replacementNodeJoinsWithItsOwnHandlerAndDuplicatesAreRefused() {
        lab.start(ClusterSpec.of(List.of(spot(A, "i-0c0ffee0000000a01")), List.of()));

        lab.cluster.addNode(spot(B, "i-0c0ffee0000000a02"));

        assertThat(lab.node(B).getSpec().getProviderID()).isEqualTo("aws:///us-east-1a/i-0c0ffee0000000a02");
        assertThat(lab.cluster.handlerNodes()).containsExactly(A, B);
        assertThatThrownBy(() -> lab.cluster.addNode(spot(B, "i-0c0ffee0000000a03")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node " + B + " / instance i-0c0ffee0000000a03 already exists in the lab cluster;"
                        + " use a new name and instance id");
    }
}
