package dev.spotdrill.junit.internal;

import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.junit.InterruptionRun;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** The {@link InterruptionRun} handed to a test: a view of the drill kept in the extension store. */
final class RunView implements InterruptionRun {
    private final Supplier<Drill> drill;

    RunView(Supplier<Drill> drill) {
        this.drill = drill;
    }

    private Drill drill() {
        Drill d = drill.get();
        if (d == null) {
            throw new IllegalStateException(
                    "InterruptionRun is only available in a test method annotated with @SpotInterruption");
        }
        return d;
    }

    @Override
    public String experimentId() {
        return drill().experimentId()
                .orElseThrow(() -> new IllegalStateException(
                        "no FIS experiment: an observation-only drill (no @SpotInterruption) starts none"));
    }

    @Override
    public String templateId() {
        return drill().templateId()
                .orElseThrow(() -> new IllegalStateException(
                        "no FIS template: an observation-only drill (no @SpotInterruption) creates none"));
    }

    @Override
    public String runId() {
        return drill().info().runId();
    }

    @Override
    public List<Target> targets() {
        return drill().targets();
    }

    @Override
    public Optional<Instant> noticeTime() {
        return drill().noticeTime(targets().get(0).instanceId());
    }

    @Override
    public Optional<Instant> noticeTime(String instanceId) {
        return drill().noticeTime(instanceId);
    }

    @Override
    public Instant startTime() {
        return drill().timeline().startTime().orElseThrow();
    }

    @Override
    public Instant interruptionTime() {
        return drill().interruptionTime()
                .orElseThrow(() -> new IllegalStateException("this drill has no @SpotInterruption: an observation-only"
                        + " drill has no INTERRUPTION; use startTime()"));
    }

    @Override
    public Timeline timeline() {
        return drill().timeline();
    }

    @Override
    public Optional<dev.spotdrill.core.KubeAccess> kubernetes() {
        return drill().world().kube();
    }

    @Override
    public World world() {
        return drill().world();
    }

    @Override
    public ConditionFactory await() {
        Drill d = drill();
        WorldClock clock = d.world().clock();
        Duration poll = clock.toWall(Duration.ofSeconds(1));
        if (poll.compareTo(Duration.ofMillis(20)) < 0) {
            poll = Duration.ofMillis(20);
        }
        return Awaitility.await()
                .alias("InterruptionRun.await() in " + d.info().testName())
                .pollInterval(poll)
                .atMost(clock.wallUntil(d.deadline()).plus(Duration.ofSeconds(2)));
    }

    @Override
    public String toString() {
        Drill d = drill.get();
        return d == null
                ? "InterruptionRun[not started]"
                : "InterruptionRun[" + d.info().runId() + "]";
    }
}
