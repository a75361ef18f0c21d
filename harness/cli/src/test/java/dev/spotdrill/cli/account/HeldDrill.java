package dev.spotdrill.cli.account;

import dev.spotdrill.core.AwsWorldProvider;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Window;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A nightly job's JVM, to be killed: {@code HeldDrill <instance id> <lead time>} attaches to a lab through
 * {@code -Dspotdrill.lab.url}, starts a drill with an EventBridge expectation (a rule and a queue), prints
 * {@code HELD <run id> <experiment id>} and waits until it is killed.
 */
public final class HeldDrill {
    private HeldDrill() {}

    public static void main(String[] args) throws Exception {
        SpotDrillConfig config = SpotDrillConfig.fromSystem();
        World world = AwsWorldProvider.find(config.get(SpotDrillConfig.WORLD, World.LAB))
                .open(config)
                .world();
        DrillSpec spec = new DrillSpec(
                Selector.instances(args[0]),
                1,
                args[1],
                List.of(EventExpectations.interruptionWarning("terminate", Window.untilInterruption())),
                null);
        Drill drill = Drill.prepare(world, spec, DrillOptions.from(config, world), "HeldDrill.held", List.of());
        drill.start();
        System.out.println(
                "HELD " + drill.info().runId() + " " + drill.experimentId().orElse("?"));
        new CountDownLatch(1).await(); // until SIGKILL
    }
}
