package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lab starts its Kubernetes cluster from the scenario's nodes, and knows the termination handler's faults. */
class LabKubeWiringTest {

    @Test
    void theShopLabHasAClusterWhoseNodesAreItsInstancesAndWhoseWorkloadsAreReady() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder().scenario("shop").build())) {
            var cluster = lab.cluster().orElseThrow();
            assertThat(lab.world().kube().orElseThrow().masterUrl()).contains(cluster.masterUrl());
            List<Node> nodes = cluster.client().nodes().list().getItems();
            assertThat(nodes)
                    .extracting(n -> n.getSpec().getProviderID())
                    .contains("aws:///us-east-1a/i-0c0ffee0000000a01", "aws:///us-east-1a/i-0c0ffee0000000b01")
                    .hasSize(7);
            assertThat(cluster.nodeNameFor("i-0c0ffee0000000a01")).contains("ip-10-0-1-11.ec2.internal");
            // start() returns once the Deployments are Ready: one checkout pod per checkout node
            List<Pod> checkout = cluster.client()
                    .pods()
                    .inNamespace("shop")
                    .withLabel("app", "checkout")
                    .list()
                    .getItems();
            assertThat(checkout).hasSize(3);
            assertThat(checkout).extracting(p -> p.getSpec().getNodeName()).doesNotHaveDuplicates();
            assertThat(checkout).allMatch(p -> p.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
            // nothing is interrupted yet, so the handlers made no IMDS call
            assertThat(lab.callLog().calls().stream().filter(c -> c.service().equals("imds")))
                    .isEmpty();
        }
    }

    @Test
    void aScenarioWithoutNodesHasNoCluster() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder().scenario("fleet").build())) {
            assertThat(lab.cluster()).isEmpty();
            assertThat(lab.world().kube()).isEmpty();
        }
    }

    @Test
    void terminationHandlerFaultsAreKnownAndTheirValuesChecked() {
        assertThat(LabFaults.parse("terminationHandler.no-taint,terminationHandler.drain-delay=PT3M")
                        .snapshot())
                .containsKeys("terminationHandler.no-taint", "terminationHandler.drain-delay");
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario("shop")
                        .faults("terminationHandler.taint-effect=Bogus")
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("fault terminationHandler.taint-effect")
                .hasMessageContaining("Bogus");
        assertThatThrownBy(() -> LabFaults.parse("terminationHandler.drain-delay=soon"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> LabFaults.parse("terminationHandler.no-such"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("unknown fault \"terminationHandler.no-such\"")
                .hasMessageContaining("terminationHandler.no-drain");
    }
}
