package dev.spotdrill.core.drill;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Hears what a drill does, as it does it; found by {@link ServiceLoader}. Reports (Allure) and the console
 * progress lines are listeners. Every method has a default, so a listener implements only what it needs.
 *
 * <p>Listeners are called from the drill's threads, including probe threads: implementations must be
 * thread-safe and quick. An exception thrown by a listener is logged and never fails the drill.
 */
public interface DrillListener {

    /** The drill begins; nothing has been called in AWS yet. */
    default void drillStarted(DrillInfo drill) {}

    /** A phase begins. */
    default void phaseStarted(DrillInfo drill, Phase phase) {}

    /**
     * A phase ends.
     *
     * @param failure the reason the phase failed, or {@code null} when it succeeded
     */
    default void phaseFinished(DrillInfo drill, Phase phase, Throwable failure) {}

    /** The targets are resolved; {@code seed} is the selection seed used for {@code count}. */
    default void targetsResolved(DrillInfo drill, List<Target> targets, long seed) {}

    /** The FIS template was created; {@code templateJson} is the request as FIS received it. */
    default void templateCreated(DrillInfo drill, String templateId, String templateJson) {}

    /** The experiment was started. */
    default void experimentStarted(DrillInfo drill, String experimentId) {}

    /** A moment came, for one target (REBALANCE, NOTICE) or for all (START, INTERRUPTION: target empty). */
    default void momentReached(DrillInfo drill, Moment moment, String targetId, Instant at) {}

    /** A probe saw something. */
    default void observed(DrillInfo drill, Observation observation) {}

    /** A long wait is still under way; {@code line} is a progress line for a console. */
    default void progress(DrillInfo drill, String line) {}

    /** One expectation's verdict for one target is decided. */
    default void verdict(DrillInfo drill, Verdict verdict) {}

    /** The drill ended, with everything it knows. */
    default void drillFinished(DrillInfo drill, DrillReport report) {}

    /** The listeners registered through {@code META-INF/services}. */
    static List<DrillListener> load() {
        List<DrillListener> out = new ArrayList<>();
        java.util.Iterator<DrillListener> it =
                ServiceLoader.load(DrillListener.class).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    return out;
                }
                out.add(it.next());
            } catch (java.util.ServiceConfigurationError e) {
                // a broken listener must never stop a drill; say so and go on with the others
                System.getLogger(DrillListener.class.getName())
                        .log(System.Logger.Level.WARNING, "spotdrill: skipping a DrillListener: " + e.getMessage());
            }
        }
    }
}
