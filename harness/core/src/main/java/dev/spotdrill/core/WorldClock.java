package dev.spotdrill.core;

import java.time.Duration;
import java.time.Instant;

/**
 * The clock of a {@link World}: world time, and how fast it runs against wall time (the pace).
 *
 * <p>On AWS the pace is 1 and world time is the system clock. In the lab the pace is, for example, 60, so a
 * two-minute lead time takes two seconds of wall time. Every deadline is computed in world time and turned
 * into wall time through {@link #toWall(Duration)}.
 */
public interface WorldClock {

    /** The current world time. */
    Instant now();

    /** World seconds per wall second; 1 on AWS. */
    double pace();

    /** The wall duration that the given world duration takes at this clock's pace. */
    default Duration toWall(Duration world) {
        return scale(world, 1.0 / pace());
    }

    /** The world duration that passes during the given wall duration. */
    default Duration toWorld(Duration wall) {
        return scale(wall, pace());
    }

    /** The wall time left until the given world instant, never negative. */
    default Duration wallUntil(Instant worldInstant) {
        Duration world = Duration.between(now(), worldInstant);
        return world.isNegative() ? Duration.ZERO : toWall(world);
    }

    /** The system clock, pace 1. */
    static WorldClock system() {
        return Clocks.SYSTEM;
    }

    /**
     * A clock that starts at {@code origin} now and runs {@code pace} times faster than wall time.
     *
     * @throws IllegalArgumentException when the pace is not a positive finite number
     */
    static WorldClock paced(Instant origin, double pace) {
        return new Clocks.Paced(origin, pace);
    }

    private static Duration scale(Duration d, double factor) {
        double nanos = d.toNanos() * factor;
        return Duration.ofNanos(Math.round(nanos));
    }
}
