package dev.spotdrill.core.drill;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Watches one kind of signal for a drill's targets and writes what it sees to the drill's {@link Timeline}:
 * IMDS, EC2 state, Kubernetes, EventBridge events, the CAST AI blacklist. Found by {@link ServiceLoader}, as
 * {@link DrillListener} is; the drill starts the sources its expectations {@linkplain Expectation#sources() ask
 * for}, and every source that can see a {@link Moment} an expectation is measured from.
 *
 * <p>A source observes on its own threads and never blocks the drill for long: {@link #start} returns once it is
 * watching. It establishes REBALANCE and NOTICE through {@link SourceContext#markMoment}; the moment is the
 * earliest any source saw, and the timeline records which source that was.
 *
 * <p>Implementations need a public no-argument constructor and a line in
 * {@code META-INF/services/dev.spotdrill.core.drill.Source}.
 */
public interface Source {

    /** When in a drill a source starts. */
    enum Stage {
        /**
         * Right after the targets are resolved, before any mutating call: for sources that must see the state
         * before anything changes, and that can refuse bad input (an unknown Deployment) while nothing exists yet.
         */
        RESOLVED,
        /** After the FIS template exists, just before the experiment starts: the template id is known. */
        BEFORE_EXPERIMENT
    }

    /** The kind that expectations ask for, for example {@code imds}; unique among the sources on the class path. */
    String kind();

    /**
     * The moments ({@link Moment#REBALANCE}, {@link Moment#NOTICE}) this source can establish for the drill's
     * targets in its world; empty when it cannot, for example IMDS from a runner that is not the target. Called
     * once targets are resolved, before anything is created; it may read the world, but briefly.
     */
    default Set<Moment> moments(SourceContext context) {
        return Set.of();
    }

    /**
     * When {@link #moments} is empty for a moment some expectation needs: how a user could make this source see it,
     * for the failure message, e.g. {@code IMDS: use spotdrill.imds.via=probe-pod ...}; empty to say nothing.
     */
    default String momentHint(SourceContext context) {
        return "";
    }

    /**
     * Checks, before anything is created, that the source can serve the drill; throws
     * {@link dev.spotdrill.core.SpotDrillConfigurationException} with the value and the fix when it cannot.
     *
     * @param requests what the expectations asked of it; empty when it is started only to see a moment
     */
    default void check(SourceContext context, List<SourceRequest> requests) {}

    /** When the source starts; by default just before the experiment. */
    default Stage stage() {
        return Stage.BEFORE_EXPERIMENT;
    }

    /**
     * Starts watching, and returns what stops it. The drill closes sources in the reverse order it started them,
     * whatever happened.
     *
     * @param requests what the expectations asked of it; empty when it is started only to see a moment
     */
    AutoCloseable start(SourceContext context, List<SourceRequest> requests);

    /** The sources registered through {@code META-INF/services}, in class-path order. */
    static List<Source> load() {
        List<Source> out = new ArrayList<>();
        ServiceLoader.load(Source.class).forEach(out::add);
        return out;
    }
}
