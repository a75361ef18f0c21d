package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** Faulty IMDS responders must fail the right expectation, saying what was seen. */
class ImdsFailureTest {

    @SpotDrill
    static class NoticeDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a04", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill() {}
    }

    @Test
    void aMissingNoticeFailsExpectImdsNoticeWithItsWindowDeadlineAndThe404() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("imds.no-notice")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, NoticeDrill.class);

            results.testEvents().assertStatistics(s -> s.started(1).failed(1));
            Throwable failure = EngineRuns.failure(results, "drill").orElseThrow();
            assertThat(failure)
                    .isInstanceOf(org.opentest4j.AssertionFailedError.class)
                    .hasMessageStartingWith("@ExpectImdsNotice(action=\"terminate\") missed for i-0c0ffee0000000a04"
                            + " (c5.large, us-east-1a)")
                    .hasMessageContaining("window: START..INTERRUPTION, from +0.0s to deadline +120.0s")
                    .hasMessageContaining("last seen: GET /latest/meta-data/spot/instance-action -> 404 Not Found at +")
                    .hasMessageContaining("REBALANCE")
                    .hasMessageContaining("INTERRUPTION");
            // the rebalance recommendation still came: only the notice is named
            assertThat(failure.getMessage()).doesNotContain("@ExpectRebalanceRecommendation");
            // the drill still cleaned up
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate")).isEqualTo(1);
        }
    }

    @Test
    void aMissingRebalanceFailsExpectRebalanceRecommendation() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("imds.no-rebalance")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, NoticeDrill.class);

            assertThat(EngineRuns.failure(results, "drill").orElseThrow())
                    .hasMessageStartingWith("@ExpectRebalanceRecommendation missed for i-0c0ffee0000000a04")
                    .hasMessageContaining(
                            "last seen: GET /latest/meta-data/events/recommendations/rebalance -> 404 Not Found")
                    .hasMessageNotContaining("@ExpectImdsNotice");
        }
    }

    @SpotDrill
    static class EarlyNoticeDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a05", leadTime = "PT4M")
        @ExpectImdsNotice(within = "PT3M")
        void drill() {}
    }

    @Test
    void aLateNoticeMissesAShorterWindowAndSaysWhenItCame() {
        // FIS sends the notice 2 minutes before the interruption: at START+2m with a PT4M lead time, so a PT3M
        // window is met with a minute to spare; delayed by PT2M it comes at START+4m, after the deadline.
        try (SpotLab healthy = SpotLab.start(
                        LabOptions.builder().scenario("shop").pace(40).build());
                SpotLab late = SpotLab.start(LabOptions.builder()
                        .scenario("shop")
                        .pace(40)
                        .faults("imds.notice-delay=PT2M")
                        .build())) {
            EngineRuns.assertAllPassed(EngineRuns.run(healthy, EarlyNoticeDrill.class), 1);

            assertThat(EngineRuns.failure(EngineRuns.run(late, EarlyNoticeDrill.class), "drill")
                            .orElseThrow())
                    .hasMessageStartingWith("@ExpectImdsNotice(action=\"terminate\") missed for i-0c0ffee0000000a05")
                    .hasMessageContaining("window: START+PT3M, from +0.0s to deadline +180.0s")
                    .hasMessageContaining("last seen: GET /latest/meta-data/spot/instance-action -> 404 Not Found");
        }
    }

    @SpotDrill
    static class ShortTokenDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a06", leadTime = "PT3M")
        @ExpectImdsNotice
        void drill() {}
    }

    @Test
    void expiredImdsTokensAreRefreshed() {
        // tokens live 5 world seconds; the notice comes a minute in, so the probe must take new tokens on 401
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("imds.token-ttl=5")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, ShortTokenDrill.class);

            EngineRuns.assertAllPassed(results, 1);
            assertThat(lab.callLog().calls().stream()
                            .filter(c -> c.service().equals("imds") && c.status() == 401)
                            .count())
                    .isPositive();
        }
    }
}
