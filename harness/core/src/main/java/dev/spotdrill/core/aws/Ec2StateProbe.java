package dev.spotdrill.core.aws;

import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Probes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Watches the targets' EC2 state with DescribeInstances every 5 s of world time (at least every 100 ms wall). */
public final class Ec2StateProbe implements AutoCloseable {
    static final Duration INTERVAL = Duration.ofSeconds(5);
    static final Duration WALL_FLOOR = Duration.ofMillis(100);

    private final World world;
    private final AwsBackend backend;
    private final List<Target> targets;
    private final Timeline timeline;
    private final Map<String, String> last = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> task;

    private Ec2StateProbe(World world, AwsBackend backend, List<Target> targets, Timeline timeline) {
        this.world = world;
        this.backend = backend;
        this.targets = List.copyOf(targets);
        this.timeline = timeline;
        targets.forEach(t -> last.put(t.instanceId(), "running"));
        long every = Backoff.pollInterval(world.clock(), INTERVAL, WALL_FLOOR).toNanos();
        this.task = Probes.scheduler().scheduleWithFixedDelay(this::poll, 0, every, TimeUnit.NANOSECONDS);
    }

    public static Ec2StateProbe start(World world, AwsBackend backend, List<Target> targets, Timeline timeline) {
        return new Ec2StateProbe(world, backend, targets, timeline);
    }

    private void poll() {
        try {
            List<AwsBackend.Instance> instances =
                    backend.describe(targets.stream().map(Target::instanceId).toList());
            Instant at = world.clock().now(); // stamped when the answer arrived
            for (AwsBackend.Instance i : instances) {
                timeline.status(i.id(), "ec2:state", at, "DescribeInstances: " + i.id() + " is " + i.state());
                String before = last.put(i.id(), i.state());
                if (!i.state().equals(before)) {
                    timeline.add(new Observation(
                            at,
                            "ec2",
                            i.id(),
                            Observation.Kinds.INSTANCE_STATE,
                            (before == null ? "" : before + " -> ") + i.state(),
                            Map.of("state", i.state())));
                }
            }
        } catch (RuntimeException e) {
            Instant at = world.clock().now();
            targets.forEach(t ->
                    timeline.status(t.instanceId(), "ec2:state", at, "DescribeInstances failed: " + e.getMessage()));
        }
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
