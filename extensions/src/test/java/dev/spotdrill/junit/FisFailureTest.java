package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** FIS failures fail the test with state and reason; quota and throttling are waited out. */
class FisFailureTest {

    @SpotDrill
    static class OneDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart", count = 1)
        @ExpectImdsNotice
        void drill() {}
    }

    @Test
    void aFailedExperimentFailsTheTestWithItsStateAndReason() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("fis.fail-experiment")
                .build())) {
            Throwable failure = EngineRuns.failure(EngineRuns.run(lab, OneDrill.class), "drill")
                    .orElseThrow();

            assertThat(failure)
                    .isInstanceOf(dev.spotdrill.core.ExperimentFailedException.class)
                    .hasMessageMatching("(?s)FIS experiment EXP\\w+ ended failed: .+ \\(error \\S+.*\\).*");
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate")).isEqualTo(1);
        }
    }

    @Test
    void aCancelledExperimentFailsTheTestWithItsStateAndReason() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("fis.cancel-experiment")
                .build())) {
            Throwable failure = EngineRuns.failure(EngineRuns.run(lab, OneDrill.class), "drill")
                    .orElseThrow();

            assertThat(failure)
                    .isInstanceOf(dev.spotdrill.core.ExperimentFailedException.class)
                    .hasMessageMatching("(?s)FIS experiment EXP\\w+ ended cancelled: .+");
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate")).isEqualTo(1);
        }
    }

    @SpotDrill
    static class ThreeDrills {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01")
        @ExpectImdsNotice
        void first() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a02")
        @ExpectImdsNotice
        void second() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a03")
        @ExpectImdsNotice
        void third() {}
    }

    @Test
    void withAQuotaOfOneTheDrillsWaitForASlotThenPass() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("fis.quota=1")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, ThreeDrills.class);

            EngineRuns.assertAllPassed(results, 3);
            assertThat(lab.callLog().calls("fis", "StartExperiment"))
                    .filteredOn(c -> c.status() == 402)
                    .isNotEmpty()
                    .allSatisfy(c -> assertThat(c.errorCode()).isEqualTo("ServiceQuotaExceededException"));
            assertThat(lab.callLog().calls("fis", "StartExperiment"))
                    .filteredOn(c -> c.status() == 200)
                    .hasSize(3);
        }
    }

    @Test
    void throttlingIsAbsorbedByRetries() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("fis.throttle=3")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, OneDrill.class);

            EngineRuns.assertAllPassed(results, 1);
            assertThat(lab.callLog().calls().stream()
                            .filter(c -> c.service().equals("fis") && c.status() == 429)
                            .count())
                    .isEqualTo(3);
        }
    }
}
