package dev.spotdrill.core.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.WorldClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The judge decides an eventual expectation that reports a violation (a failed Job) at once, not at its deadline. */
class JudgeTest {

    /** Met by a DONE observation, broken by a FAILED one. */
    private static Expectation doneOrFailed(Window window) {
        return new Expectation() {
            @Override
            public String name() {
                return "@ExpectDone";
            }

            @Override
            public Window window() {
                return window;
            }

            @Override
            public List<SourceRequest> sources() {
                return List.of();
            }

            @Override
            public boolean perTarget() {
                return false;
            }

            @Override
            public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
                return timeline.first(o -> o.kind().equals("DONE") || o.kind().equals("FAILED"))
                        .map(o -> o.kind().equals("DONE")
                                ? Evaluation.metAt(o.at(), "done")
                                : Evaluation.violatedAt(o.at(), "failed: " + o.detail()))
                        .orElse(Evaluation.notYet("nothing yet"));
            }
        };
    }

    @Test
    void anEventualExpectationThatReportsAViolationIsMissedAtOnce() {
        WorldClock clock = WorldClock.paced(Instant.parse("2026-01-15T10:00:00Z"), 60);
        Timeline tl = new Timeline();
        Instant start = clock.now();
        tl.start(start, null);
        tl.add(new Observation(start.plusSeconds(3), "test", "", "FAILED", "exit code 1", Map.of()));
        Expectation e = doneOrFailed(Window.of(Moment.START, Duration.ofHours(1)));

        Verdict v = new Judge(clock, tl, () -> {}).judge(e, Target.drill());

        assertThat(v.met()).isFalse();
        assertThat(v.lastSeen()).isEqualTo("failed: exit code 1");
        assertThat(v.message()).startsWith("@ExpectDone missed for the drill\n  window: START+PT1H");
        // decided long before the deadline (an hour of world time is a minute of wall time)
        assertThat(clock.now()).isBefore(start.plus(Duration.ofMinutes(20)));
    }

    @Test
    void aViolationAfterTheMeetingObservationDoesNotUndoIt() {
        WorldClock clock = WorldClock.paced(Instant.parse("2026-01-15T10:00:00Z"), 60);
        Timeline tl = new Timeline();
        Instant start = clock.now();
        tl.start(start, null);
        tl.add(new Observation(start.plusSeconds(2), "test", "", "DONE", "", Map.of()));

        Verdict v = new Judge(clock, tl, () -> {})
                .judge(doneOrFailed(Window.of(Moment.START, Duration.ofMinutes(10))), Target.drill());

        assertThat(v.met()).isTrue();
        assertThat(v.metAt()).contains(start.plusSeconds(2));
    }
}
