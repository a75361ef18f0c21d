package dev.spotdrill.lab.fork;

import dev.spotdrill.core.AwsWorldProvider;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.drill.Window;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A second process running one drill against a lab another JVM started, as a second CI job runs against one AWS
 * account: {@code ForkedDrill <run|hold> <instance id> <lead time>}. The lab, its endpoints and credentials come from
 * its control endpoint, {@code -Dspotdrill.lab.url} (with {@code -Dspotdrill.world=lab}), as for any drill in another
 * process. It prints
 * {@code FORK STARTED <run id> <experiment id>} once the experiment runs; {@code run} then waits for the verdicts and
 * ends the drill ({@code FORK FINISHED <run id> <met>/<all>}), {@code hold} waits until the JVM is told to stop.
 */
public final class ForkedDrill {
    private ForkedDrill() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        SpotDrillConfig config = SpotDrillConfig.fromSystem();
        World world = AwsWorldProvider.find(config.get(SpotDrillConfig.WORLD, World.LAB))
                .open(config)
                .world(); // a remote lab: the handle owns nothing to close
        DrillSpec spec = new DrillSpec(
                Selector.instances(args[1]),
                1,
                args[2],
                List.of(EventExpectations.interruptionWarning("terminate", Window.untilInterruption())),
                null);
        DrillOptions options = DrillOptions.from(config, world);
        try (Drill drill = Drill.prepare(world, spec, options, "ForkedDrill." + mode, DrillListener.load())) {
            try {
                drill.start();
            } catch (RuntimeException e) {
                System.out.println("FORK REFUSED " + drill.info().runId() + " "
                        + e.getMessage().replace('\n', ' '));
                System.exit(3);
            }
            System.out.println("FORK STARTED " + drill.info().runId() + " "
                    + drill.experimentId().orElse("?"));
            if (mode.equals("hold")) {
                new CountDownLatch(1).await(); // until SIGTERM or SIGKILL
            }
            List<Verdict> verdicts = drill.awaitVerdicts();
            long met = verdicts.stream().filter(Verdict::met).count();
            drill.finish().ifPresent(f -> System.out.println("FORK FAILURE " + f.getMessage()));
            System.out.println("FORK FINISHED " + drill.info().runId() + " " + met + "/" + verdicts.size());
        }
    }
}
