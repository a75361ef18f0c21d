package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
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
    }

    @Test
    void abortedDrillsStopTheirExperimentAndDeleteTheirTemplate() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(60).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, AbortingDrills.class);

            results.testEvents().assertStatistics(s -> s.started(2).failed(2));
            Map<String, Throwable> failures = EngineRuns.failures(results);
            assertThat(failures.get("bodyThrows"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("checkout returned 503");
            assertThat(failures.get("threadIsInterrupted"))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class)
                    .hasMessageContaining("timed out after 1 second");

            FisClient fis = AwsClients.of(lab.world()).fis();
            for (String id : EXPERIMENTS.values()) {
                assertThat(fis.getExperiment(r -> r.id(id)).experiment().state().statusAsString())
                        .isEqualTo("stopped");
            }
            assertThat(EXPERIMENTS).hasSize(2);
            assertThat(lab.callLog().count("fis", "StopExperiment")).isEqualTo(2);
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate")).isEqualTo(2);
            assertThat(fis.listExperimentTemplates(r -> {}).experimentTemplates())
                    .isEmpty();
            // the instances were not interrupted
            assertThat(lab.instance("i-0c0ffee0000000a01").orElseThrow().state())
                    .isEqualTo("running");
        }
    }
}
