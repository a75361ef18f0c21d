package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** Seven drills in parallel on one lab: distinct targets, all pass, while FIS allows 5 active experiments. */
class ParallelDrillsTest {
    static final Set<String> TARGETS = ConcurrentHashMap.newKeySet();

    @SpotDrill
    static class SevenDrills {
        void record(InterruptionRun run) {
            run.targets().forEach(t -> TARGETS.add(t.instanceId()));
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void one(InterruptionRun run) {
            record(run);
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void two(InterruptionRun run) {
            record(run);
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void three(InterruptionRun run) {
            record(run);
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void four(InterruptionRun run) {
            record(run);
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void five(InterruptionRun run) {
            record(run);
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void six(InterruptionRun run) {
            record(run);
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void seven(InterruptionRun run) {
            record(run);
        }
    }

    @Test
    void sevenParallelDrillsPassWithinTheActiveExperimentQuota() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("fleet").pace(60).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, SevenDrills.class);

            assertThat(EngineRuns.failures(results)).isEmpty();
            results.testEvents().assertStatistics(s -> s.started(7).succeeded(7));
            assertThat(TARGETS).hasSize(7);
            assertThat(lab.callLog().calls("fis", "StartExperiment"))
                    .filteredOn(c -> c.status() == 200)
                    .hasSize(7);
            // FIS never had more than 5 active: the extra starts were refused with 402 and retried
            assertThat(lab.callLog().calls("fis", "StartExperiment"))
                    .filteredOn(c -> c.status() != 200)
                    .allSatisfy(c -> assertThat(c.status()).isEqualTo(402));
        }
    }
}
