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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Polls GetExperiment while a drill runs, with backoff in world time: every 1 s after a change, growing by half
 * each quiet poll up to 10 s (and never more often than every 50 ms of wall time). Records each status change on
 * the timeline.
 */
public final class ExperimentWatcher implements AutoCloseable {
    static final Duration FIRST = Duration.ofSeconds(1);
    static final Duration MAX = Duration.ofSeconds(10);
    static final Duration WALL_FLOOR = Duration.ofMillis(50);

    private final World world;
    private final AwsBackend backend;
    private final Timeline timeline;
    private final Consumer<ExperimentView> onChange;
    private volatile ExperimentView last;
    private volatile ScheduledFuture<?> task;
    private volatile boolean closed;
    private Duration interval = FIRST;
    private volatile long lastPollNanos = System.nanoTime();
    /** One GetExperiment at a time; separate from the scheduling monitor so a slow read never blocks a waiter. */
    private final ReentrantLock reading = new ReentrantLock();

    private final AtomicInteger failedReads = new AtomicInteger();
    private volatile String lastError = "";
    private volatile long lastReadNanos = System.nanoTime();

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
        schedule();
    }

    private synchronized void schedule() {
        if (closed || last.terminal()) {
            return;
        }
        long wait = Backoff.pollInterval(world.clock(), interval, WALL_FLOOR).toNanos();
        task = Probes.scheduler().schedule(this::tick, wait, TimeUnit.NANOSECONDS);
    }

    private void tick() {
        try {
            ExperimentView before = last;
            ExperimentView now = poll();
            synchronized (this) {
                interval = now.status().equals(before.status()) ? Backoff.grow(interval, 1.5, MAX) : FIRST;
            }
        } finally {
            schedule(); // whatever happened, keep watching
        }
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

    /** Polls soon again from the shortest interval: after the drill asked FIS for a change (a stop). */
    public synchronized void nudge() {
        if (task != null) {
            task.cancel(false);
        }
        interval = FIRST;
        schedule();
    }

    /**
     * The latest view, read again now if the last read is older than {@code wall}: a waiter's guarantee of fresh
     * state even when the shared probe threads are starved on a busy machine. It never waits behind a read that is
     * already under way; it returns the latest view instead.
     */
    public ExperimentView pollIfStale(Duration wall) {
        if (System.nanoTime() - lastPollNanos <= wall.toNanos() || !reading.tryLock()) {
            return last;
        }
        try {
            return read();
        } finally {
            reading.unlock();
        }
    }

    /** Reads the experiment now and records a change. */
    public ExperimentView poll() {
        reading.lock();
        try {
            return read();
        } finally {
            reading.unlock();
        }
    }

    private ExperimentView read() {
        lastPollNanos = System.nanoTime();
        ExperimentView before = last;
        if (before.terminal()) {
            return before;
        }
        try {
            ExperimentView now = backend.getExperiment(before.id());
            lastReadNanos = System.nanoTime();
            last = now;
            if (!now.status().equals(before.status())) {
                record(now);
                onChange.accept(now);
            }
            return now;
        } catch (RuntimeException e) {
            failedReads.incrementAndGet();
            lastError = String.valueOf(e.getMessage());
            timeline.status("", "fis:experiment", world.clock().now(), "GetExperiment failed: " + e.getMessage());
            return before;
        }
    }

    /**
     * How the reads went, for a failure message: when the last answer came (wall time) and the failed reads with
     * the last error.
     */
    public String readHealth() {
        long agoMs = (System.nanoTime() - lastReadNanos) / 1_000_000;
        int failed = failedReads.get();
        return "last GetExperiment answer " + agoMs / 1000.0 + " s ago (wall)"
                + (failed == 0 ? "" : ", " + failed + " failed read(s), the last: " + lastError);
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
    public synchronized void close() {
        closed = true;
        if (task != null) {
            task.cancel(false);
        }
    }
}
