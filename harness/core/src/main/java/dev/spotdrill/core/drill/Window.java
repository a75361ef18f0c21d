package dev.spotdrill.core.drill;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * When an expectation must be met: from a {@link Moment}, within a duration, or until INTERRUPTION when the
 * duration is empty.
 */
public record Window(Moment from, Optional<Duration> within) {

    public Window {
        Objects.requireNonNull(from, "from");
        within = within == null ? Optional.empty() : within;
        within.ifPresent(d -> {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("within must be positive, was " + d);
            }
        });
    }

    /** From START until INTERRUPTION. */
    public static Window untilInterruption() {
        return new Window(Moment.START, Optional.empty());
    }

    /** From the moment until INTERRUPTION. */
    public static Window from(Moment from) {
        return new Window(from, Optional.empty());
    }

    /** From the moment, within the duration. */
    public static Window of(Moment from, Duration within) {
        return new Window(from, Optional.of(within));
    }

    /** For messages: {@code NOTICE+PT30S} or {@code START..INTERRUPTION}. */
    public String describe() {
        return within.map(d -> from + "+" + d).orElse(from + "..INTERRUPTION");
    }
}
