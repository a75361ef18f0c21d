package dev.spotdrill.core.drill;

import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Messages;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Decides verdicts from a drill's timeline: waits (with Awaitility, in world time through the pace) for each
 * expectation's window to open, then until it is met, broken or past its deadline.
 */
final class Judge {
    /** How long after a deadline a miss is declared: sources see things a poll late. */
    static final Duration GRACE_WORLD = Duration.ofSeconds(2);

    static final Duration GRACE_WALL = Duration.ofMillis(300);

    private final WorldClock clock;
    private final Timeline timeline;
    private final Runnable failIfAborted;

    /**
     * @param failIfAborted called on every poll; throws to end a wait (the experiment failed)
     */
    Judge(WorldClock clock, Timeline timeline, Runnable failIfAborted) {
        this.clock = clock;
        this.timeline = timeline;
        this.failIfAborted = failIfAborted;
    }

    /** The latest a REBALANCE or NOTICE may come: INTERRUPTION (START for an observation-only drill). */
    private Instant lastMomentTime() {
        return timeline.interruptionTime().orElseGet(() -> timeline.startTime().orElseThrow());
    }

    /** Waits until the expectation is decided for the target, and returns its verdict. */
    Verdict judge(Expectation e, Target t) {
        Duration poll = Backoff.pollInterval(clock, Duration.ofMillis(500), Duration.ofMillis(20));
        String alias = e.name() + " for " + t.describe();
        Window w = e.window();
        // 1. the window opens when its moment comes; REBALANCE and NOTICE may come until INTERRUPTION
        Optional<Instant> open = timeline.moment(w.from(), t.instanceId());
        if (open.isEmpty()) {
            untilOrLimit(
                    alias + ": waiting for " + w.from(),
                    lastMomentTime().plus(GRACE_WORLD),
                    poll,
                    () -> timeline.moment(w.from(), t.instanceId()).isPresent());
            open = timeline.moment(w.from(), t.instanceId());
        }
        if (open.isPresent()) {
            // 2. met, broken, or past the deadline
            Instant windowStart = open.get();
            Instant deadline = deadline(w, windowStart);
            untilOrLimit(alias, deadline.plus(GRACE_WORLD), poll, () -> {
                Evaluation ev = e.evaluate(timeline, t, windowStart, deadline);
                // an eventual expectation that can no longer be met (a Job that failed) is decided at once too
                return ev.violatedAt().isPresent()
                        || (!e.continuous() && ev.metAt().isPresent());
            });
        }
        return decide(e, t, true).orElseThrow();
    }

    /** The window's deadline: {@code within} after it opened, else INTERRUPTION. */
    Instant deadline(Window w, Instant windowStart) {
        return w.within().map(windowStart::plus).orElseGet(() -> timeline.interruptionTime()
                .orElseThrow(() -> new IllegalStateException(
                        "a window until INTERRUPTION in a drill without one: " + w.describe())));
    }

    /**
     * The verdict the timeline supports now; empty while it can still change, unless {@code last} (the waits are
     * over), which always decides.
     */
    Optional<Verdict> decide(Expectation e, Target t, boolean last) {
        Instant now = clock.now();
        Window w = e.window();
        Optional<Instant> open = timeline.moment(w.from(), t.instanceId());
        if (open.isEmpty()) {
            Instant lastMoment = lastMomentTime();
            if (!last && !now.isAfter(lastMoment.plus(GRACE_WORLD))) {
                return Optional.empty();
            }
            Evaluation ev = e.evaluate(timeline, t, lastMoment, lastMoment);
            return Optional.of(missed(
                    e,
                    t,
                    Optional.empty(),
                    Optional.empty(),
                    Messages.momentNeverCame(w.from(), timeline.watchers(w.from())) + "; " + ev.lastSeen()));
        }
        Instant windowStart = open.get();
        Instant deadline = deadline(w, windowStart);
        boolean past = last || now.isAfter(deadline.plus(GRACE_WORLD));
        Evaluation ev = e.evaluate(timeline, t, windowStart, deadline);
        if (e.continuous()) {
            if (ev.violatedAt().isPresent()) {
                return Optional.of(missed(e, t, Optional.of(windowStart), Optional.of(deadline), ev.lastSeen()));
            }
            if (!past) {
                return Optional.empty();
            }
            return ev.metAt().isPresent()
                    ? Optional.of(met(e, t, windowStart, deadline, deadline, ev.lastSeen()))
                    : Optional.of(missed(e, t, Optional.of(windowStart), Optional.of(deadline), ev.lastSeen()));
        }
        if (ev.metAt().isPresent() && !ev.metAt().get().isAfter(deadline)) {
            return Optional.of(met(e, t, windowStart, deadline, ev.metAt().get(), ev.lastSeen()));
        }
        if (ev.violatedAt().isPresent() && !ev.violatedAt().get().isAfter(deadline)) {
            return Optional.of(missed(e, t, Optional.of(windowStart), Optional.of(deadline), ev.lastSeen()));
        }
        if (!past) {
            return Optional.empty();
        }
        String seen = ev.metAt().isPresent()
                ? Messages.lateMet(ev.metAt().get(), timeline) + ": " + ev.lastSeen()
                : ev.lastSeen();
        return Optional.of(missed(e, t, Optional.of(windowStart), Optional.of(deadline), seen));
    }

    /** Awaits the condition until a world-time limit (plus grace); also ends when the experiment fails. */
    private void untilOrLimit(String alias, Instant worldLimit, Duration poll, Callable<Boolean> done) {
        Duration graceWorld = clock.toWorld(GRACE_WALL);
        Instant limit = worldLimit.plus(graceWorld.compareTo(GRACE_WORLD) > 0 ? graceWorld : GRACE_WORLD);
        try {
            await().alias(alias)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(poll)
                    .atMost(clock.wallUntil(limit).plus(Duration.ofSeconds(10)))
                    .until(() -> {
                        failIfAborted.run();
                        return done.call() || !clock.now().isBefore(limit);
                    });
        } catch (ConditionTimeoutException ignored) {
            // decided by the caller from the timeline
        }
    }

    private Verdict met(Expectation e, Target t, Instant start, Instant deadline, Instant at, String seen) {
        return new Verdict(
                e.name(), t, e.window(), Optional.of(start), Optional.of(deadline), Optional.of(at), seen, "");
    }

    private Verdict missed(
            Expectation e, Target t, Optional<Instant> start, Optional<Instant> deadline, String lastSeen) {
        Verdict draft = new Verdict(e.name(), t, e.window(), start, deadline, Optional.empty(), lastSeen, "");
        return new Verdict(
                e.name(), t, e.window(), start, deadline, Optional.empty(), lastSeen, Messages.missed(draft, timeline));
    }
}
