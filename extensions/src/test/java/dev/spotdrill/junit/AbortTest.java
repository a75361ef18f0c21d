package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.ExperimentFailedException;
import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Instant;
import java.util.List;
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

    @SpotDrill
    static class StopRefused {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "PT10M")
        @ExpectImdsNotice
        void bodyThrows(InterruptionRun run) {
            EXPERIMENTS.put("stopRefused", run.experimentId());
            throw new IllegalStateException("checkout returned 503");
        }
    }

    @Test
    void anExperimentThatCannotBeStoppedIsReportedWithTheUsersFailure() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("fis.deny-stop")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(lab, StopRefused.class);

            results.testEvents().assertStatistics(s -> s.started(1).failed(1));
            Throwable failure = EngineRuns.failures(results).get("bodyThrows");
            String id = EXPERIMENTS.get("stopRefused");
            assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessage("checkout returned 503");
            assertThat(failure.getSuppressed())
                    .singleElement()
                    .isInstanceOf(ExperimentFailedException.class)
                    .satisfies(s -> assertThat(s.getMessage())
                            .startsWith("spotdrill could not stop FIS experiment " + id + " after the test aborted (")
                            .contains("is not authorized to perform: fis:StopExperiment")
                            .contains("it may still interrupt its targets: stop it with `aws fis stop-experiment"
                                    + " --id " + id + "` and allow fis:StopExperiment to the caller")
                            .containsPattern("find this run's leftovers by tag spotdrill:run-id=sd-[0-9a-f]{12}$"));

            // the experiment runs on (the lab refused the stop), but the template is deleted all the same
            FisClient fis = AwsClients.of(lab.world()).fis();
            assertThat(fis.getExperiment(r -> r.id(id)).experiment().state().statusAsString())
                    .isEqualTo("running");
            assertThat(lab.callLog().count("fis", "StopExperiment")).isEqualTo(1);
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate")).isEqualTo(1);
            assertThat(fis.listExperimentTemplates(r -> {}).experimentTemplates())
                    .isEmpty();
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
            List<String> ids = List.of(
                    EXPERIMENTS.get("bodyThrows"),
                    EXPERIMENTS.get("threadIsInterrupted"),
                    EXPERIMENTS.get("bodyFailsAfterAWindowClosed"));
            for (String id : ids) {
                assertThat(fis.getExperiment(r -> r.id(id)).experiment().state().statusAsString())
                        .isEqualTo("stopped");
            }
            assertThat(ids).doesNotContainNull().doesNotHaveDuplicates();
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
