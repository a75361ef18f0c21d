package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterSpecTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static JsonNode yaml(String text) throws Exception {
        return YAML.readTree(text);
    }

    @Test
    void readsTheScenarioSections() throws Exception {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("/kube/shop.yaml")) {
            root = YAML.readTree(in);
        }

        ClusterSpec spec = ClusterSpec.fromYaml(root);

        assertThat(spec.nodes())
                .extracting(NodeSpec::name, NodeSpec::instanceId, NodeSpec::capacityType)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "ip-10-0-1-11.ec2.internal", "i-0c0ffee0000000a01", CapacityType.SPOT),
                        org.assertj.core.groups.Tuple.tuple(
                                "ip-10-0-2-11.ec2.internal", "i-0c0ffee0000000a02", CapacityType.SPOT),
                        org.assertj.core.groups.Tuple.tuple(
                                "ip-10-0-2-12.ec2.internal", "i-0c0ffee0000000a03", CapacityType.SPOT),
                        org.assertj.core.groups.Tuple.tuple(
                                "ip-10-0-3-11.ec2.internal", "i-0c0ffee0000000b01", CapacityType.ON_DEMAND));
        NodeSpec cart = spec.nodes().get(1);
        assertThat(cart.instanceType()).isEqualTo("m5.xlarge");
        assertThat(cart.zone()).isEqualTo("us-east-1b");
        assertThat(cart.labels()).containsEntry("workload", "cart");
        assertThat(cart.taints()).containsExactly(new TaintSpec("dedicated", "cart", "NoSchedule"));
        assertThat(cart.providerId()).isEqualTo("aws:///us-east-1b/i-0c0ffee0000000a02");

        assertThat(spec.workloads()).hasSize(2);
        WorkloadSpec checkout = spec.workloads().get(0);
        assertThat(checkout.namespace()).isEqualTo("shop");
        assertThat(checkout.replicas()).isEqualTo(3);
        assertThat(checkout.nodeSelector()).containsExactly(Map.entry("workload", "checkout"));
        assertThat(checkout.pdb()).contains(PdbSpec.minAvailable(2));
        assertThat(checkout.readinessDelay()).isEqualTo(WorkloadSpec.DEFAULT_READINESS_DELAY);
        WorkloadSpec cartWorkload = spec.workloads().get(1);
        assertThat(cartWorkload.readinessDelay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(cartWorkload.tolerations())
                .containsExactly(new TolerationSpec("dedicated", "Equal", "cart", "NoSchedule"));
        assertThat(cartWorkload.pdb()).contains(new PdbSpec(Optional.empty(), Optional.of("50%")));

        assertThat(spec.daemonSets()).containsExactly(new DaemonSetSpec("kube-system", "aws-node"));
        assertThat(spec.terminationHandler().rebalanceMonitoring()).isTrue();
        assertThat(spec.terminationHandler().rebalanceDraining()).isFalse();
        assertThat(spec.terminationHandler().pollInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(spec.nodeDeletionDelay()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void defaultsApplyWhenSectionsAreMissing() throws Exception {
        ClusterSpec spec = ClusterSpec.fromYaml(yaml("workloads: [ { name: web } ]"));

        assertThat(spec.nodes()).isEmpty();
        assertThat(spec.workloads()).containsExactly(WorkloadSpec.of("default", "web", 1));
        assertThat(spec.terminationHandler()).isEqualTo(TerminationHandlerSpec.defaults());
        assertThat(spec.nodeDeletionDelay()).isEqualTo(ClusterSpec.DEFAULT_NODE_DELETION_DELAY);
    }

    @Test
    void countedNodesTakeTheirNamesFromATemplate() throws Exception {
        ClusterSpec spec = ClusterSpec.fromYaml(
                yaml(
                        "instances: [ { id: i-00000000000000aff, count: 2, lifecycle: spot, node: { name: 'cart-{i}.lab' } } ]"));

        assertThat(spec.nodes())
                .extracting(NodeSpec::name, NodeSpec::instanceId)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("cart-0.lab", "i-00000000000000aff"),
                        org.assertj.core.groups.Tuple.tuple("cart-1.lab", "i-00000000000000b00"));
    }

    @Test
    void theLeadCanSupplyNodesWithGeneratedIds() throws Exception {
        ClusterSpec spec = ClusterSpec.fromYaml(yaml("workloads: [ { name: web } ]"))
                .withNodes(List.of(NodeSpec.of(
                        "ip-10-0-1-50.ec2.internal",
                        "i-0123456789abcdef0",
                        "us-east-1a",
                        "c5.large",
                        CapacityType.SPOT)));

        assertThat(spec.nodes()).singleElement().satisfies(n -> assertThat(n.instanceId())
                .isEqualTo("i-0123456789abcdef0"));
    }

    @Test
    void badInputIsRefusedWithThePathTheValueAndTheFix() {
        assertRefused(
                "instances: [ { id: i-0c0ffee0000000a01, lifecycle: reserved, node: { name: a } } ]",
                "lifecycle 'reserved' is not a capacity type; use 'spot' or 'on-demand'");
        assertRefused(
                "instances: [ { id: i-0c0ffee0000000a01, count: 2, node: { name: same.lab } } ]",
                "instances[0].node.name 'same.lab' names 2 nodes (count: 2); put {i} in it");
        assertRefused(
                "instances: [ { id: i-bad, node: { name: a } } ]",
                "instances[0].id 'i-bad' is not an EC2 instance id; use i- followed by 8 or 17 hex digits");
        assertRefused(
                "workloads: [ { name: web, replicas: -1 } ]",
                "workloads[0]: workload default/web: replicas is -1; use 0 or more");
        assertRefused(
                "workloads: [ { name: web, pdb: { minAvailable: 1, maxUnavailable: 1 } } ]",
                "workloads[0]: pdb: give exactly one of minAvailable or maxUnavailable, got both");
        assertRefused(
                "workloads: [ { name: web, pdb: { minAvailable: lots } } ]",
                "pdb.minAvailable 'lots' is neither a non-negative integer nor a percentage");
        assertRefused(
                "workloads: [ { name: web, readinessDelay: 5s } ]",
                "workloads[0].readinessDelay '5s' is not an ISO-8601 duration; write e.g. PT5S");
        assertRefused(
                "workloads: [ { name: Web_1 } ]",
                "workload name 'Web_1' is not a DNS label; use at most 52 lower-case letters, digits and '-'");
        assertRefused(
                "workloads: [ { name: web }, { name: web } ]",
                "duplicate workload 'default/web'; every workload must be unique in a scenario");
        assertRefused("workloads: { name: web }", "workloads must be a YAML list, was object");
        assertRefused(
                "responders: { terminationHandler: { taintEffect: NoWay } }",
                "terminationHandler.taintEffect: effect 'NoWay' is not a taint effect; use one of NoSchedule,"
                        + " PreferNoSchedule, NoExecute");
        assertRefused(
                "responders: { terminationHandler: { rebalanceDraining: true } }",
                "rebalanceDraining needs rebalanceMonitoring (as in NTH)");
        assertRefused(
                "responders: { terminationHandler: { enabled: maybe } }",
                "responders.terminationHandler.enabled 'maybe' is not a boolean; use true or false");
        assertRefused(
                "instances: [ { id: i-0c0ffee0000000a01, node: { name: a, taints: [ { key: k, effect: Never } ] } } ]",
                "taint k: effect 'Never' is not a taint effect");
    }

    private static void assertRefused(String yaml, String message) {
        assertThatThrownBy(() -> ClusterSpec.fromYaml(yaml(yaml)))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining(message);
    }

    @Test
    void faultsAreCataloguedAndValidated() {
        assertThat(TerminationHandlerFaults.ALL)
                .extracting(FaultInfo::name)
                .containsExactly(
                        "terminationHandler.down",
                        "terminationHandler.no-taint",
                        "terminationHandler.no-cordon",
                        "terminationHandler.no-drain",
                        "terminationHandler.drain-delay",
                        "terminationHandler.taint-effect",
                        "terminationHandler.taint-key",
                        "terminationHandler.evict-daemonsets");
        assertThat(TerminationHandlerFaults.ALL)
                .filteredOn(FaultInfo::takesValue)
                .extracting(FaultInfo::name)
                .containsExactly(
                        TerminationHandlerFaults.DRAIN_DELAY,
                        TerminationHandlerFaults.TAINT_EFFECT,
                        TerminationHandlerFaults.TAINT_KEY);

        TerminationHandlerFaults.validate("terminationHandler.drain-delay", "PT3M");
        TerminationHandlerFaults.validate("terminationHandler.no-drain", null);
        assertThatThrownBy(() -> TerminationHandlerFaults.validate("terminationHandler.drain-delay", "3m"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("fault terminationHandler.drain-delay=3m is not an ISO-8601 duration; write e.g. PT3M");
        assertThatThrownBy(() -> TerminationHandlerFaults.validate("terminationHandler.drain-delay", ""))
                .hasMessage("fault 'terminationHandler.drain-delay' needs a value; write it as"
                        + " terminationHandler.drain-delay=PT3M");
        assertThatThrownBy(() -> TerminationHandlerFaults.validate("terminationHandler.no-taint", "yes"))
                .hasMessage("fault 'terminationHandler.no-taint' takes no value but was given 'yes'; write just"
                        + " terminationHandler.no-taint");
        assertThatThrownBy(() -> TerminationHandlerFaults.validate("terminationHandler.taint-effect", "Soft"))
                .hasMessageContaining("effect 'Soft' is not a taint effect");
        assertThatThrownBy(() -> TerminationHandlerFaults.validate("terminationHandler.sleepy", null))
                .hasMessageStartingWith("unknown fault 'terminationHandler.sleepy'; the termination handler knows"
                        + " terminationHandler.down, ");
    }

    @Test
    void activeFaultsIgnoreOtherComponentsAndInvalidValues() {
        TerminationHandlerFaults.Active f = TerminationHandlerFaults.Active.of(Map.of(
                "imds.no-notice",
                "",
                TerminationHandlerFaults.DRAIN_DELAY,
                "soon",
                TerminationHandlerFaults.NO_CORDON,
                ""));

        assertThat(f.noCordon()).isTrue();
        assertThat(f.down()).isFalse();
        assertThat(f.drainDelay()).isZero();
    }

    @Test
    void handlersCoverSpotNodesByDefaultOrTheNamedNodes() {
        NodeSpec spotNode = NodeSpec.of("s.lab", "i-0c0ffee0000000a01", "us-east-1a", "m5.large", CapacityType.SPOT);
        NodeSpec onDemandNode =
                NodeSpec.of("o.lab", "i-0c0ffee0000000b01", "us-east-1a", "m5.large", CapacityType.ON_DEMAND);

        assertThat(TerminationHandlerSpec.defaults().covers(spotNode)).isTrue();
        assertThat(TerminationHandlerSpec.defaults().covers(onDemandNode)).isFalse();
        assertThat(TerminationHandlerSpec.disabled().covers(spotNode)).isFalse();
        TerminationHandlerSpec everywhere =
                new TerminationHandlerSpec(true, java.util.Set.of(), true, false, false, null, Optional.empty(), null);
        assertThat(everywhere.covers(onDemandNode)).isTrue();
        TerminationHandlerSpec named = new TerminationHandlerSpec(
                true, java.util.Set.of("o.lab"), false, false, false, null, Optional.empty(), null);
        assertThat(named.covers(onDemandNode)).isTrue();
        assertThat(named.covers(spotNode)).isFalse();
        assertThatThrownBy(() -> new TerminationHandlerSpec(
                        true, java.util.Set.of(), false, false, false, null, Optional.empty(), Duration.ZERO))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("terminationHandler.pollInterval is PT0S; use a positive duration such as PT2S");
    }
}
