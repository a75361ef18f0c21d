package dev.spotdrill.junit.seam;

import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.internal.Probes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A test-only source, registered in this module's test resources exactly as a real one is: from START it writes a
 * drill-level BEAT observation every {@code every} (world time, a request parameter, default PT10S).
 */
public final class HeartbeatSource implements Source {
    public static final String KIND = "test-heartbeat";
    /** Every drill that started this source, by run id, with its requests. */
    public static final List<String> STARTED = new CopyOnWriteArrayList<>();

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        STARTED.add(ctx.drill().runId() + " " + requests);
        Duration every = requests.stream()
                .map(r -> r.param("every"))
                .filter(s -> s != null)
                .map(Duration::parse)
                .findFirst()
                .orElse(Duration.ofSeconds(10));
        List<ScheduledFuture<?>> beats = new CopyOnWriteArrayList<>();
        ctx.onStart(start -> {
            // beats at START + every, + 2 every, ...: anchored to START (which may already lie in the past when the
            // harness learns it), each stamped with its own world instant
            long wall = ctx.world().clock().toWall(every).toNanos();
            long first = ctx.world().clock().wallUntil(start.plus(every)).toNanos();
            int[] n = {0};
            beats.add(Probes.scheduler()
                    .scheduleAtFixedRate(
                            () -> {
                                n[0]++;
                                Instant at = start.plus(every.multipliedBy(n[0]));
                                ctx.timeline()
                                        .add(new Observation(
                                                at, KIND, "", "BEAT", "beat " + n[0], Map.of("n", "" + n[0])));
                            },
                            Math.max(0, first),
                            wall,
                            TimeUnit.NANOSECONDS));
        });
        return () -> beats.forEach(f -> f.cancel(false));
    }
}
