package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.InterruptionPendingException;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * Aborting is honest about the notice: before it (a lead time over PT2M leaves time) the stop saves the instance; once
 * the notice is out the instance is interrupted all the same, and the test's failure says which targets may be.
 */
class AbortNoticeTest {

    @SpotDrill
    static class Aborts {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "PT4M")
        @ExpectRebalanceRecommendation
        void beforeTheNotice(InterruptionRun run) {
            // the notice comes at INTERRUPTION - 2 minutes: START + PT2M, 6 wall seconds away at pace 20
            throw new IllegalStateException("checkout returned 503 before the notice");
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a02", leadTime = "PT2M")
        @ExpectImdsNotice
        void afterTheNotice(InterruptionRun run) {
            // with PT2M the notice comes at START: wait until a source saw it, then fail
            run.await().until(() -> run.noticeTime().isPresent());
            throw new IllegalStateException("checkout returned 503 after the notice");
        }
    }

    @Test
    void aStopBeforeTheNoticeSavesTheInstanceAndOneAfterItSaysWhichTargetsMayStillBeInterrupted() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(20).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, Map.of(), Aborts.class);

            results.testEvents().assertStatistics(s -> s.started(2).failed(2));
            Map<String, Throwable> failures = EngineRuns.failures(results);
            assertThat(failures.get("beforeTheNotice"))
                    .hasMessage("checkout returned 503 before the notice")
                    .satisfies(f -> assertThat(f.getSuppressed()).isEmpty());
            Throwable after = failures.get("afterTheNotice");
            assertThat(after).hasMessage("checkout returned 503 after the notice");
            assertThat(after.getSuppressed())
                    .singleElement()
                    .isInstanceOf(InterruptionPendingException.class)
                    .satisfies(s -> {
                        assertThat(((InterruptionPendingException) s).instanceIds())
                                .containsExactly("i-0c0ffee0000000a02");
                        assertThat(s.getMessage())
                                .startsWith("spotdrill stopped FIS experiment EXP")
                                .contains("after the test aborted, but the instance-action notice had already gone"
                                        + " out, so i-0c0ffee0000000a02 may still be interrupted at ")
                                .contains("i-0c0ffee0000000a02 (c5.large, us-east-1b): notice seen at +")
                                .contains("`aws ec2 describe-instances --instance-ids i-0c0ffee0000000a02`");
                    });

            // the instance whose notice was out is interrupted all the same; the other one is saved
            await("the noticed instance to be interrupted")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> !lab.instance("i-0c0ffee0000000a02")
                            .orElseThrow()
                            .state()
                            .equals("running"));
            assertThat(lab.instance("i-0c0ffee0000000a01").orElseThrow().state())
                    .isEqualTo("running");
            assertThat(lab.instance("i-0c0ffee0000000a01").orElseThrow().interruptionTime())
                    .isEmpty();
        }
    }
}
