package dev.spotdrill.core.drill;

import java.time.Instant;
import java.util.Optional;

/**
 * What an {@link Expectation} concluded from the timeline so far, for one target.
 *
 * @param metAt when the condition first held inside the window, or empty
 * @param violatedAt for a continuous expectation, when it first broke inside the window, or empty
 * @param lastSeen the last relevant state, in words, for a failure message
 */
public record Evaluation(Optional<Instant> metAt, Optional<Instant> violatedAt, String lastSeen) {

    public Evaluation {
        lastSeen = lastSeen == null ? "" : lastSeen;
    }

    /** The condition held at the given time. */
    public static Evaluation metAt(Instant at, String lastSeen) {
        return new Evaluation(Optional.of(at), Optional.empty(), lastSeen);
    }

    /** Not (yet) met; {@code lastSeen} says what was seen instead. */
    public static Evaluation notYet(String lastSeen) {
        return new Evaluation(Optional.empty(), Optional.empty(), lastSeen);
    }

    /**
     * A continuous expectation broke at the given time; or an eventual one can no longer be met (a Job that failed),
     * which misses it at once.
     */
    public static Evaluation violatedAt(Instant at, String lastSeen) {
        return new Evaluation(Optional.empty(), Optional.of(at), lastSeen);
    }
}
