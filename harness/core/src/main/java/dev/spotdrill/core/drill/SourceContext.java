package dev.spotdrill.core.drill;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.World;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** What a {@link Source} gets from the drill it serves. */
public interface SourceContext {

    /** The world: clients' endpoints, credentials, clock, Kubernetes access. */
    World world();

    /** The drill's run id, test name and spec. */
    DrillInfo drill();

    /** The resolved targets; empty for an observation-only drill. */
    List<Target> targets();

    /** Where observations go. */
    Timeline timeline();

    /** The drill's options (guardrails, IMDS route, ...). */
    DrillOptions options();

    /** The configuration the drill was made from, for a source's own keys. */
    SpotDrillConfig config();

    /**
     * The tags every resource the drill creates carries ({@code spotdrill:run-id}, {@code spotdrill:test},
     * {@code spotdrill:created-at}), so that leftovers can be found by tag.
     */
    Map<String, String> tags();

    /** The FIS template id, once created (always, for sources of stage {@link Source.Stage#BEFORE_EXPERIMENT}). */
    Optional<String> templateId();

    /**
     * Records that a source saw a moment for a target at a world time. The moment is the earliest time any source
     * marked; the timeline records which source that was.
     */
    void markMoment(Moment moment, String targetId, Instant at, String source);

    /** A progress line for the console and the report, for long waits. */
    void progress(String line);

    /**
     * Runs the action once START is known (the experiment's Spot action runs; for an observation-only drill, when
     * its sources run), with START's world time; at once if START is already known.
     */
    void onStart(Consumer<Instant> action);
}
