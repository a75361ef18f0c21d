package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LabClusterSmokeTest {
    private final KubeTestSupport lab = new KubeTestSupport();

    @AfterEach
    void tearDown() {
        lab.close();
    }

    @Test
    void nodesCarryEksLabelsAndDeploymentPodsTurnReady() {
        lab.start(ClusterSpec.of(
                List.of(
                        KubeTestSupport.spot("ip-10-0-1-11.ec2.internal", "i-0c0ffee0000000a01"),
                        KubeTestSupport.spot("ip-10-0-1-12.ec2.internal", "i-0c0ffee0000000a02")),
                List.of(WorkloadSpec.of("shop", "checkout", 3))));

        Node node = lab.node("ip-10-0-1-11.ec2.internal");
        assertThat(node.getSpec().getProviderID()).isEqualTo("aws:///us-east-1a/i-0c0ffee0000000a01");
        assertThat(node.getMetadata().getLabels())
                .containsEntry("eks.amazonaws.com/capacityType", "SPOT")
                .containsEntry("node.kubernetes.io/instance-type", "m5.large")
                .containsEntry("topology.kubernetes.io/zone", "us-east-1a")
                .containsEntry("kubernetes.io/hostname", "ip-10-0-1-11.ec2.internal");
        assertThat(Kube.isNodeReady(node)).isTrue();
        assertThat(lab.cluster.masterUrl().toString()).startsWith("http://127.0.0.1:");

        KubeTestSupport.waitUpTo().untilAsserted(() -> {
            Deployment d = lab.client()
                    .apps()
                    .deployments()
                    .inNamespace("shop")
                    .withName("checkout")
                    .get();
            assertThat(d.getStatus()).isNotNull();
            assertThat(d.getStatus().getReadyReplicas()).isEqualTo(3);
        });
        assertThat(lab.podsPerNode("shop", "checkout")).hasSize(2);
    }
}
