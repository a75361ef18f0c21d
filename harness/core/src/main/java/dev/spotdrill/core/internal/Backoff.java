package dev.spotdrill.core.internal;

import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.WorldClock;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Spacing between retries of a refused AWS call (throttling, quota, IAM propagation), in world time. This is
 * the only place spotdrill pauses without a condition to await: a retry has nothing to observe until it is made.
 */
public final class Backoff {
    private Backoff() {}

    /** Parks the thread for the wall time that the world duration takes; an interrupt ends the wait. */
    public static void pause(WorldClock clock, Duration world) {
        LockSupport.parkNanos(clock.toWall(world).toNanos());
        if (Thread.currentThread().isInterrupted()) {
            throw new SpotDrillException("interrupted while waiting to retry");
        }
    }

    /** The next backoff: doubled, at most {@code max}. */
    public static Duration next(Duration current, Duration max) {
        Duration d = current.multipliedBy(2);
        return d.compareTo(max) > 0 ? max : d;
    }

    /** The next backoff: multiplied by {@code factor}, at most {@code max}. */
    public static Duration grow(Duration current, double factor, Duration max) {
        Duration d = Duration.ofNanos(Math.round(current.toNanos() * factor));
        return d.compareTo(max) > 0 ? max : d;
    }

    /** A poll interval: the world interval in wall time, but never below {@code floor} wall time. */
    public static Duration pollInterval(WorldClock clock, Duration world, Duration floor) {
        Duration wall = clock.toWall(world);
        return wall.compareTo(floor) < 0 ? floor : wall;
    }
}
