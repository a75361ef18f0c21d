package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import software.amazon.awssdk.services.fis.FisClient;

/** A test that aborts leaves its experiment stopped and its template deleted; its own failure stays primary. */
class AbortTest {
    static final Map<String, String> EXPERIMENTS = new ConcurrentHashMap<>();

    @SpotDrill
    static class AbortingDrills {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "PT10M")
        @ExpectImdsNotice
        void bodyThrows(InterruptionRun run) {
            EXPERIMENTS.put("bodyThrows", run.experimentId());
            throw new IllegalStateException("checkout returned 503");
        }

        @org.junit.jupiter.api.Test
        @Timeout(value = 1, unit = TimeUnit.SECONDS)
        @SpotInterruption(instances = "i-0c0ffee0000000a02", leadTime = "PT10M")
        @ExpectImdsNotice
        void threadIsInterrupted(InterruptionRun run) throws InterruptedException {
            EXPERIMENTS.put("threadIsInterrupted", run.experimentId());
            new CountDownLatch(1).await(); // JUnit's timeout interrupts this wait
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a03", leadTime = "PT10M")
        @ExpectRebalanceRecommendation(within = "PT30S")
        @ExpectImdsNotice
        void bodyFailsAfterAWindowClosed(InterruptionRun run) {
            EXPERIMENTS.put("bodyFailsAfterAWindowClosed", run.experimentId());
            Instant afterTheWindow = run.startTime().plusSeconds(40);
            run.await().until(() -> run.world().clock().now().isAfter(afterTheWindow));
            throw new AssertionError("checkout returned 503");
        }
    }

    @Test
    void abortedDrillsStopTheirExperimentAndDeleteTheirTemplate() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("imds.no-rebalance")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, AbortingDrills.class);

            results.testEvents().assertStatistics(s -> s.started(3).failed(3));
            Map<String, Throwable> failures = EngineRuns.failures(results);
            assertThat(failures.get("bodyThrows"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("checkout returned 503");
            assertThat(failures.get("threadIsInterrupted"))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class)
                    .hasMessageContaining("timed out after 1 second");
            // a window that closed before the body failed goes with the user's failure, which stays primary; the
            // notice, whose deadline was still ahead, is not judged
            assertThat(failures.get("bodyFailsAfterAWindowClosed"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessage("checkout returned 503");
            assertThat(failures.get("bodyFailsAfterAWindowClosed").getSuppressed())
                    .singleElement()
                    .satisfies(m -> assertThat(m.getMessage())
                            .startsWith("@ExpectRebalanceRecommendation missed for i-0c0ffee0000000a03")
                            .contains("deadline +30.0s")
                            // the deadline is 0.5 wall seconds after START: a starved probe may not have read yet
                            .containsPattern("last seen: (GET /latest/meta-data/events/recommendations/rebalance"
                                    + " -> 404 Not Found|no reading yet)"));
            assertThat(failures.get("bodyThrows").getSuppressed()).isEmpty();

            FisClient fis = AwsClients.of(lab.world()).fis();
            for (String id : EXPERIMENTS.values()) {
                assertThat(fis.getExperiment(r -> r.id(id)).experiment().state().statusAsString())
                        .isEqualTo("stopped");
            }
            assertThat(EXPERIMENTS).hasSize(3);
            assertThat(lab.callLog().count("fis", "StopExperiment")).isEqualTo(3);
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate")).isEqualTo(3);
            assertThat(fis.listExperimentTemplates(r -> {}).experimentTemplates())
                    .isEmpty();
            // the instances were not interrupted
            assertThat(lab.instance("i-0c0ffee0000000a01").orElseThrow().state())
                    .isEqualTo("running");
        }
    }
}
