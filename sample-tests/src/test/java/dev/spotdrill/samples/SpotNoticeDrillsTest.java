package dev.spotdrill.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectInterruptionWarning;
import dev.spotdrill.junit.ExpectRebalanceEvent;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.ExpectTermination;
import dev.spotdrill.junit.InterruptionRun;
import dev.spotdrill.junit.Moment;
import dev.spotdrill.junit.SpotDrill;
import dev.spotdrill.junit.SpotInterruption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Sample drills on the Spot notices themselves: what every Spot-aware component relies on first. The warning and the
 * rebalance recommendation reach EventBridge (which a CI runner can watch from anywhere, through the harness's own
 * rule and queue) and the instance's IMDS (which only the instance itself can read: on a real cluster, through a
 * probe pod on the node, {@code spotdrill.imds.via=probe-pod}, so that drill selects its targets by node).
 *
 * <p>By default these run on the embedded lab (the built-in {@code shop} scenario). Run them against real AWS with
 * the README's real-AWS command: the test code stays the same.
 */
@SpotDrill
@DisplayName("Spot notices reach EventBridge and the instance")
class SpotNoticeDrillsTest {

    @Test
    @DisplayName("A checkout instance's warning and rebalance events arrive, then it is terminated")
    @SpotInterruption(tags = "workload=checkout", count = 1, leadTime = "PT2M")
    @ExpectRebalanceEvent
    @ExpectInterruptionWarning(action = "terminate")
    @ExpectTermination
    void checkoutInstanceIsWarnedThenTerminated(InterruptionRun run) {
        // With the minimum lead time, FIS sends both notices at START; the warning's own time says when it was sent.
        run.await().until(() -> run.noticeTime().isPresent());
        Observation warning = run.timeline()
                .first(o -> o.kind().equals(EventExpectations.INTERRUPTION_WARNING))
                .orElseThrow();
        assertThat(Duration.between(
                                run.startTime(), Instant.parse(warning.data().get("eventTime")))
                        .abs())
                .isLessThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    @DisplayName("With a 4-minute lead time the IMDS notice comes 2 minutes before the interruption")
    // the cart node in us-east-1b: in the lab's shop it runs no cart pod, so its warning does not move cart to Fargate
    // (the shop's orchestrator) while FargateFallbackDrillsTest measures that move
    @SpotInterruption(nodes = "workload=cart,topology.kubernetes.io/zone=us-east-1b", count = 1, leadTime = "PT4M")
    @ExpectRebalanceRecommendation(within = "PT1M")
    @ExpectImdsNotice(from = Moment.START, within = "PT3M")
    void noticeComesTwoMinutesBeforeTheInterruption(InterruptionRun run) {
        run.await().until(() -> run.timeline()
                .first(o -> o.kind().equals(Observation.Kinds.NOTICE))
                .isPresent());
        Observation notice = run.timeline()
                .first(o -> o.kind().equals(Observation.Kinds.NOTICE))
                .orElseThrow();
        // IMDS names the interruption time; FIS shows the notice two minutes before it
        assertThat(Instant.parse(notice.data().get("time")))
                .isEqualTo(run.interruptionTime().truncatedTo(ChronoUnit.SECONDS));
        Duration beforeInterruption = Duration.between(notice.at(), run.interruptionTime());
        assertThat(beforeInterruption)
                .isBetween(Duration.ofSeconds(60), Duration.ofMinutes(2).plusSeconds(1));
    }
}
