package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * The README's Kubernetes drill (taint, cordon, drain) passes on a generated 50-node, 500-pod cluster of realistic
 * pods ({@code generated-50.yaml}: the shop scenario plus {@code generate: {nodes: 50, pods: 500, seed: 1}}), and
 * fails there when the termination handler does not cordon. Isolated: its 60-odd termination handlers poll their
 * instances' IMDS, which would slow the other parallel drills of a 2-core machine past their windows.
 */
@org.junit.jupiter.api.parallel.Isolated
class GeneratedClusterDrillTest {

    @SpotDrill
    static class OnGeneratedNodes {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "team=team-3,eks.amazonaws.com/capacityType=SPOT", count = 1, leadTime = "PT2M")
        @ExpectTaint(
                key = "aws-node-termination-handler/spot-itn",
                effect = "NoSchedule",
                from = Moment.NOTICE,
                within = "PT30S")
        @ExpectCordon(from = Moment.NOTICE, within = "PT30S")
        @ExpectDrain
        void drill(InterruptionRun run) {}
    }

    @Test
    void theKubernetesDrillPassesOnAGeneratedCluster() {
        try (SpotLab lab = SpotLab.start(
                LabOptions.builder().scenario("generated-50.yaml").pace(15).build())) {
            assertThat(lab.cluster()
                            .orElseThrow()
                            .client()
                            .pods()
                            .inAnyNamespace()
                            .list()
                            .getItems())
                    .hasSizeGreaterThanOrEqualTo(500);
            EngineExecutionResults results = EngineRuns.run(lab, OnGeneratedNodes.class);

            EngineRuns.assertAllPassed(results, 1);
        }
    }

    @Test
    void withoutACordonTheDrillFailsOnAGeneratedNode() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("generated-50.yaml")
                .pace(15)
                .faults("terminationHandler.no-cordon")
                .build())) {
            List<String> misses = KubeHandlerFaultTest.misses(lab, OnGeneratedNodes.class);

            assertThat(misses).hasSize(1);
            assertThat(misses.get(0))
                    .startsWith("@ExpectCordon missed for i-00006e")
                    .containsPattern("last seen: node ip-10-2\\d-\\S+ schedulable \\(not cordoned\\)");
        }
    }
}
