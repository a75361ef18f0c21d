package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * Only fresh evidence counts: a node that already shows what an expectation will judge (cordoned, tainted so, nothing
 * to drain) is refused before anything is created in AWS, since the drill could only prove nothing.
 */
class FreshEvidenceTest {
    static final String CORDONED_NODE = "ip-10-0-1-11.ec2.internal"; // i-0c0ffee0000000a01
    static final String TAINTED_NODE = "ip-10-0-2-12.ec2.internal"; // i-0c0ffee0000000a02
    static final String NTH_TAINT = "aws-node-termination-handler/spot-itn";

    @SpotDrill
    static class StaleNodes {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01")
        @ExpectCordon
        void alreadyCordoned() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a02")
        @ExpectTaint
        void alreadyTainted() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "spotdrill-test/nothing-to-drain=true")
        @ExpectDrain
        void nothingToDrain() {}
    }

    /** The same node as {@link StaleNodes#alreadyTainted}, judged for another effect: that taint can still come. */
    @SpotDrill
    static class OtherEffect {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a02")
        @ExpectTaint(effect = "NoExecute")
        void otherEffect() {}
    }

    @Test
    void aNodeThatAlreadyShowsTheJudgedStateIsRefusedBeforeAnyMutatingCall() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(30).build())) {
            KubernetesClient kube = lab.cluster().orElseThrow().client();
            kube.nodes().withName(CORDONED_NODE).edit(n -> {
                n.getSpec().setUnschedulable(true);
                return n;
            });
            kube.nodes().withName(TAINTED_NODE).edit(n -> {
                List<io.fabric8.kubernetes.api.model.Taint> taints = new ArrayList<>(
                        n.getSpec().getTaints() == null
                                ? List.of()
                                : n.getSpec().getTaints());
                taints.add(new TaintBuilder()
                        .withKey(NTH_TAINT)
                        .withValue("left-over")
                        .withEffect("NoSchedule")
                        .build());
                n.getSpec().setTaints(taints);
                return n;
            });
            String empty = cartNodeWithoutWorkload(kube);
            kube.nodes().withName(empty).edit(n -> {
                n.getMetadata().getLabels().put("spotdrill-test/nothing-to-drain", "true");
                return n;
            });

            EngineExecutionResults results = EngineRuns.run(lab, StaleNodes.class);

            results.testEvents().assertStatistics(s -> s.started(3).failed(3).succeeded(0));
            Map<String, Throwable> f = EngineRuns.failures(results);
            assertThat(f.get("alreadyCordoned"))
                    .isInstanceOf(GuardrailException.class)
                    .hasMessage("Guardrail refused i-0c0ffee0000000a01 (m5.large, us-east-1a): node " + CORDONED_NODE
                            + " is already cordoned (spec.unschedulable=true) before the drill, so @ExpectCordon would"
                            + " pass whatever the handler does and prove nothing; uncordon it first (kubectl uncordon "
                            + CORDONED_NODE + ") or select another node");
            assertThat(f.get("alreadyTainted"))
                    .isInstanceOf(GuardrailException.class)
                    .hasMessage("Guardrail refused i-0c0ffee0000000a02 (c5.large, us-east-1b): node " + TAINTED_NODE
                            + " already carries the taint " + NTH_TAINT + "=left-over:NoSchedule before the drill, so"
                            + " @ExpectTaint(key=\"" + NTH_TAINT + "\", effect=\"NoSchedule\") would pass whatever"
                            + " the handler does and prove nothing; remove it first (kubectl taint nodes "
                            + TAINTED_NODE + " " + NTH_TAINT + ":NoSchedule-) or select another node");
            assertThat(f.get("nothingToDrain"))
                    .isInstanceOf(GuardrailException.class)
                    .hasMessageStartingWith("Guardrail refused i-0c0ffee0000000a0")
                    .hasMessageContaining("node " + empty + " runs no pod that a drain must evict (only DaemonSet or"
                            + " mirror pods), so @ExpectDrain would pass whatever the handler does and prove nothing;"
                            + " select a node that runs a workload (kubectl get pods -A -o wide --field-selector"
                            + " spec.nodeName=" + empty + " shows what runs there)");
            assertThat(lab.callLog().mutatingCalls()).isEmpty();
            assertThat(lab.callLog().count("fis", "CreateExperimentTemplate")).isZero();

            // a taint of the same key with another effect is not the judged state: that drill runs (and misses,
            // because the handler taints NoSchedule)
            EngineExecutionResults other = EngineRuns.run(lab, OtherEffect.class);
            other.testEvents().assertStatistics(s -> s.started(1).failed(1));
            assertThat(EngineRuns.failure(other, "otherEffect").orElseThrow())
                    .hasMessageStartingWith("@ExpectTaint(key=\"" + NTH_TAINT + "\", effect=\"NoExecute\") missed for"
                            + " i-0c0ffee0000000a02");
            assertThat(lab.callLog().count("fis", "CreateExperimentTemplate")).isEqualTo(1);
        }
    }

    /** A Spot node of the cart workload that runs none of its pods: 2 replicas on 3 nodes leave one empty. */
    static String cartNodeWithoutWorkload(KubernetesClient kube) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> kube.pods().inNamespace("shop").withLabel("app", "cart").list().getItems().stream()
                                .filter(p -> p.getSpec().getNodeName() != null)
                                .count()
                        == 2);
        Set<String> busy = kube.pods().inAnyNamespace().list().getItems().stream()
                .filter(p -> !ownedByDaemonSet(p))
                .map(p -> p.getSpec().getNodeName())
                .collect(Collectors.toSet());
        return kube.nodes().withLabel("workload", "cart").list().getItems().stream()
                .map(Node::getMetadata)
                .map(m -> m.getName())
                .filter(n -> !busy.contains(n))
                .sorted()
                .findFirst()
                .orElseThrow(() -> new AssertionError("every cart node runs a pod: " + busy));
    }

    static boolean ownedByDaemonSet(Pod p) {
        return p.getMetadata().getOwnerReferences() != null
                && p.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> o.getKind().equals("DaemonSet"));
    }
}
