package dev.spotdrill.core.drill;

import java.time.Instant;
import java.util.List;

/**
 * A per-target condition with a {@link Window}. The drill evaluates it against the {@link Timeline} until it is
 * met or its deadline passes; the result is a {@link Verdict}.
 *
 * <p>An expectation names the {@link Source}s it needs through {@link #sources()}; it judges only the timeline.
 *
 * <p>An <em>eventual</em> expectation (the default) is met by the first matching observation inside its window. It
 * may also report {@code violatedAt} when it can no longer be met (a Job that failed): it is then missed at once,
 * without waiting for its deadline.
 * A {@linkplain #continuous() continuous} one (availability) must hold for the whole window and is decided at
 * the deadline, or at its first violation. It reports {@code metAt} while it has evidence that it held so far; at
 * the deadline, no violation without such evidence is a miss, never a pass.
 */
public interface Expectation {

    /** The expectation as the user wrote it, e.g. {@code @ExpectImdsNotice(action="terminate")}. */
    String name();

    /** When it must be met. */
    Window window();

    /**
     * The sources the drill must run for it, with their parameters, e.g. {@code kube{deployment=shop/checkout}}.
     * The drill also starts every source that can see the moment its window opens at.
     */
    List<SourceRequest> sources();

    /**
     * Evaluates the timeline for one target.
     *
     * @param windowStart when the window opened (world time)
     * @param deadline when it closes (world time)
     */
    Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline);

    /** Whether it must hold for the whole window rather than happen once inside it. */
    default boolean continuous() {
        return false;
    }

    /**
     * Whether it is judged once per target (the default), or once for the whole drill, like a blacklist check. A
     * drill-level expectation is evaluated with {@link Target#drill()}.
     */
    default boolean perTarget() {
        return true;
    }
}
