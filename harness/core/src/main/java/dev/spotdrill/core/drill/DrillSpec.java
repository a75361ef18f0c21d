package dev.spotdrill.core.drill;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a drill does: which targets, how many, with what lead time, and what must follow.
 *
 * <p>The spec is checked by the drill before any AWS call, not here, so that every problem is reported with
 * the attribute and value the user wrote.
 *
 * <p>A spec without a selector is an <em>observation-only</em> drill: no FIS experiment, START is when its sources
 * run, and every expectation needs a {@code within}. A nightly check of a blacklister is written this way.
 *
 * @param selector how targets are found; {@code null} for an observation-only drill
 * @param count how many of the matching instances to interrupt; 0 means all
 * @param leadTimeText as written, an ISO-8601 duration (FIS {@code durationBeforeInterruption})
 * @param expectations what must follow
 * @param seed the selection seed for {@code count}, or {@code null} for one derived from the test name
 */
public record DrillSpec(Selector selector, int count, String leadTimeText, List<Expectation> expectations, Long seed) {

    public DrillSpec {
        expectations = List.copyOf(expectations);
        if (selector == null) {
            leadTimeText = "";
            count = 0;
        }
    }

    /** An observation-only drill: no FIS experiment, only the expectations' sources, from START. */
    public static DrillSpec observationOnly(List<Expectation> expectations) {
        return new DrillSpec(null, 0, "", expectations, null);
    }

    /** Whether the drill interrupts nothing and only observes. */
    public boolean observationOnly() {
        return selector == null;
    }

    /** The lead time, parsed; call only after the drill validated the spec, and never for an observation-only one. */
    public Duration leadTime() {
        Objects.requireNonNull(selector, "an observation-only drill has no lead time");
        return Duration.parse(leadTimeText);
    }
}
