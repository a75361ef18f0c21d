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
 * @param selector how targets are found
 * @param count how many of the matching instances to interrupt; 0 means all
 * @param leadTimeText as written, an ISO-8601 duration (FIS {@code durationBeforeInterruption})
 * @param expectations what must follow
 * @param seed the selection seed for {@code count}, or {@code null} for one derived from the test name
 */
public record DrillSpec(Selector selector, int count, String leadTimeText, List<Expectation> expectations, Long seed) {

    public DrillSpec {
        Objects.requireNonNull(selector, "selector");
        expectations = List.copyOf(expectations);
    }

    /** The lead time, parsed; call only after the drill validated the spec. */
    public Duration leadTime() {
        return Duration.parse(leadTimeText);
    }
}
