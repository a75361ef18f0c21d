package dev.spotdrill.core.aws;

import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Probes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Polls GetExperiment every 2 s of world time (at least every 100 ms wall) while a drill runs, and records each
 * status change on the timeline.
 */
public final class ExperimentWatcher implements AutoCloseable {
    static final Duration INTERVAL = Duration.ofSeconds(2);
    static final Duration WALL_FLOOR = Duration.ofMillis(100);

    private final World world;
    private final AwsBackend backend;
    private final Timeline timeline;
    private final Consumer<ExperimentView> onChange;
    private volatile ExperimentView last;
    private final ScheduledFuture<?> task;

    private ExperimentWatcher(
            World world,
            AwsBackend backend,
            ExperimentView first,
            Timeline timeline,
            Consumer<ExperimentView> onChange) {
        this.world = world;
        this.backend = backend;
        this.timeline = timeline;
        this.onChange = onChange;
        this.last = first;
        long every = Backoff.pollInterval(world.clock(), INTERVAL, WALL_FLOOR).toNanos();
        this.task = Probes.scheduler().scheduleWithFixedDelay(this::poll, every, every, TimeUnit.NANOSECONDS);
    }

    /** Starts watching from a known view of the experiment. */
    public static ExperimentWatcher start(
            World world,
            AwsBackend backend,
            ExperimentView first,
            Timeline timeline,
            Consumer<ExperimentView> onChange) {
        return new ExperimentWatcher(world, backend, first, timeline, onChange);
    }

    /** Reads the experiment now and records a change. */
    public ExperimentView poll() {
        ExperimentView before = last;
        if (before.terminal()) {
            return before;
        }
        try {
            ExperimentView now = backend.getExperiment(before.id());
            last = now;
            if (!now.status().equals(before.status())) {
                record(now);
                onChange.accept(now);
            }
            return now;
        } catch (RuntimeException e) {
            timeline.status("", "fis:experiment", world.clock().now(), "GetExperiment failed: " + e.getMessage());
            return before;
        }
    }

    /** Records a view on the timeline as an EXPERIMENT_STATE observation. */
    public void record(ExperimentView view) {
        timeline.add(new Observation(
                world.clock().now(),
                "fis",
                "",
                Observation.Kinds.EXPERIMENT_STATE,
                "experiment " + view.id() + " " + view.status() + (view.reason().isEmpty() ? "" : ": " + view.reason()),
                Map.of("status", view.status(), "reason", view.reason(), "experimentId", view.id())));
    }

    /** The latest view. */
    public ExperimentView last() {
        return last;
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
