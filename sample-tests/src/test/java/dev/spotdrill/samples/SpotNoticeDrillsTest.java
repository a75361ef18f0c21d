package dev.spotdrill.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.junit.ExpectImdsNotice;
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
 * Sample drills on the instance metadata service: what every Spot-aware component relies on first.
 *
 * <p>By default these run on the embedded lab (the built-in {@code shop} scenario). Run them against real AWS with
 * {@code -Dspotdrill.world=aws} and the settings in the README: the test code stays the same.
 */
@SpotDrill
@DisplayName("Spot notices reach the instance")
class SpotNoticeDrillsTest {

    @Test
    @DisplayName("A checkout instance gets both notices, then is terminated")
    @SpotInterruption(tags = "workload=checkout", count = 1, leadTime = "PT2M")
    @ExpectRebalanceRecommendation
    @ExpectImdsNotice(action = "terminate")
    @ExpectTermination
    void checkoutInstanceIsWarnedThenTerminated(InterruptionRun run) {
        // With the minimum lead time, FIS sends both notices at START: the notice names the interruption time.
        run.await().until(() -> run.noticeTime().isPresent());
        Observation notice = run.timeline()
                .first(o -> o.kind().equals(Observation.Kinds.NOTICE))
                .orElseThrow();
        assertThat(Instant.parse(notice.data().get("time")))
                .isEqualTo(run.interruptionTime().truncatedTo(ChronoUnit.SECONDS));
    }

    @Test
    @DisplayName("With a 4-minute lead time the notice comes 2 minutes before the interruption")
    // the cart node in us-east-1b: in the lab's shop it runs no cart pod, so its warning does not move cart to Fargate
    // (the shop's orchestrator) while FargateFallbackDrillsTest measures that move
    @SpotInterruption(nodes = "workload=cart,topology.kubernetes.io/zone=us-east-1b", count = 1, leadTime = "PT4M")
    @ExpectRebalanceRecommendation(within = "PT1M")
    @ExpectImdsNotice(from = Moment.START, within = "PT3M")
    void noticeComesTwoMinutesBeforeTheInterruption(InterruptionRun run) {
        run.await().until(() -> run.noticeTime().isPresent());
        Duration beforeInterruption = Duration.between(run.noticeTime().orElseThrow(), run.interruptionTime());
        // FIS: instance-action two minutes before the interruption; the probe sees it a poll or two later
        assertThat(beforeInterruption)
                .isBetween(Duration.ofSeconds(60), Duration.ofMinutes(2).plusSeconds(1));
    }
}
