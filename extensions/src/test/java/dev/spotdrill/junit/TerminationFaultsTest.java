package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.opentest4j.AssertionFailedError;

/**
 * When the interrupted instance or its node does not go away, {@code @ExpectTermination} and
 * {@code @ExpectNodeRemoved} fail and say what was seen instead. (Their passing drills are in DrillLifecycleTest
 * and KubeDrillTest.)
 */
class TerminationFaultsTest {

    @SpotDrill
    static class TerminationDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0f1ee700000000001", leadTime = "PT2M")
        @ExpectImdsNotice
        @ExpectTermination
        void drill() {}
    }

    @SpotDrill
    static class NodeRemovedDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", leadTime = "PT2M")
        @ExpectTermination
        @ExpectNodeRemoved(within = "PT2M") // the node goes 30 s after its instance in the healthy lab
        void drill() {}
    }

    @Test
    void anInstanceThatIsNeverTerminatedFailsExpectTerminationWithItsState() {
        // the fleet scenario has no cluster: nothing but EC2, FIS and IMDS to run
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("fleet")
                .pace(60)
                .faults("ec2.no-termination")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, TerminationDrill.class);

            results.testEvents().assertStatistics(s -> s.started(1).failed(1).succeeded(0));
            assertThat(EngineRuns.failure(results, "drill").orElseThrow())
                    .isInstanceOf(AssertionFailedError.class)
                    .hasMessageStartingWith("@ExpectTermination missed for i-0f1ee700000000001 (m5.large, us-east-1b)\n"
                            + "  window: INTERRUPTION+PT3M, from +120.0s to deadline +300.0s")
                    .hasMessageContaining("last seen: DescribeInstances: i-0f1ee700000000001 is running at +")
                    // the notice came: only the termination is named
                    .hasMessageNotContaining("@ExpectImdsNotice");
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate")).isEqualTo(1);
        }
    }

    @Test
    void aNodeThatIsNeverDeletedFailsExpectNodeRemovedWithItsReadiness() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(30)
                .faults("cluster.keep-dead-nodes")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, NodeRemovedDrill.class);

            results.testEvents().assertStatistics(s -> s.started(1).failed(1).succeeded(0));
            // the instance went (termination met); its node object stayed, NotReady
            assertThat(EngineRuns.failure(results, "drill").orElseThrow())
                    .isInstanceOf(AssertionFailedError.class)
                    .hasMessageMatching("(?s)@ExpectNodeRemoved missed for i-0c0ffee0000000a0\\d \\([^)]*, node"
                            + " ip-10-0-\\S+\\)\n  window: INTERRUPTION\\+PT2M, from \\+120\\.0s to deadline \\+240\\.0s"
                            + ".*\n  last seen: node ip-10-0-\\S+ Ready=False at \\+\\d+\\.\\ds\n.*")
                    .hasMessageContaining("kube NODE_NOT_READY")
                    .hasMessageNotContaining("kube NODE_DELETED")
                    .hasMessageNotContaining("@ExpectTermination");
        }
    }
}
