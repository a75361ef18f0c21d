package dev.spotdrill.core.drill;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one expectation for one target: met at a time, or missed with the last state seen.
 *
 * @param expectation the expectation's name, as the user wrote it, e.g. {@code @ExpectImdsNotice(action="terminate")}
 * @param target the target
 * @param window the window
 * @param windowStart the world time the window opened, empty when its moment never came
 * @param deadline the world-time deadline, empty when it could not be computed (its moment never came)
 * @param metAt the world time the expectation was met, empty when missed
 * @param lastSeen the last state the harness saw, for a missed verdict
 * @param message the full failure message for a missed verdict, empty when met
 */
public record Verdict(
        String expectation,
        Target target,
        Window window,
        Optional<Instant> windowStart,
        Optional<Instant> deadline,
        Optional<Instant> metAt,
        String lastSeen,
        String message) {

    public Verdict {
        Objects.requireNonNull(expectation, "expectation");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(window, "window");
        lastSeen = lastSeen == null ? "" : lastSeen;
        message = message == null ? "" : message;
    }

    /** Whether the expectation was met. */
    public boolean met() {
        return metAt.isPresent();
    }
}
