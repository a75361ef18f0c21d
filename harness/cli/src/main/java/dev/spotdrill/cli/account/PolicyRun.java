package dev.spotdrill.cli.account;

import dev.spotdrill.cli.CommandFailedException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.check.Preflight;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.Leftovers;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;

/**
 * What a nightly runner calls in AWS, observed in an embedded lab (the {@code shop} scenario): {@code doctor}'s
 * checks; a drill that passes through every AWS-backed source the sample suite uses (IMDS, EC2 and EventBridge with
 * its queue; the Kubernetes, Fargate and CAST AI sources call no AWS API); a drill that is aborted (its experiment is
 * stopped); and a {@code sweep} dry run.
 */
final class PolicyRun {
    static final String PASSING_INSTANCE = "i-0c0ffee0000000a01";
    static final String ABORTED_INSTANCE = "i-0c0ffee0000000a02";

    private PolicyRun() {}

    /** The IAM actions the runner needs, as the lab's call log shows them. */
    static SortedSet<String> observe() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(20).build())) {
            World world = lab.world();
            DrillOptions options = DrillOptions.defaults();
            Preflight.all(world, options);
            DrillSpec passing = new DrillSpec(
                    Selector.instances(PASSING_INSTANCE),
                    1,
                    "PT2M",
                    List.of(
                            Expectations.rebalanceRecommendation(Window.untilInterruption()),
                            Expectations.imdsNotice("terminate", Window.untilInterruption()),
                            Expectations.termination(Window.of(Moment.INTERRUPTION, Duration.ofMinutes(3))),
                            EventExpectations.interruptionWarning("terminate", Window.untilInterruption())),
                    null);
            try (Drill drill = Drill.prepare(world, passing, options, "spotdrill-policy.passes", List.of())) {
                drill.start();
                List<Verdict> verdicts = drill.awaitVerdicts();
                Optional<Throwable> failure = drill.finish();
                List<String> missed = verdicts.stream()
                        .filter(v -> !v.met())
                        .map(Verdict::toString)
                        .toList();
                if (!missed.isEmpty() || failure.isPresent()) {
                    // a drill that missed an observation may have skipped calls: the policy would be short of them
                    throw new CommandFailedException("the lab's passing drill did not pass ("
                            + (missed.isEmpty() ? failure.get().getMessage() : String.join("; ", missed))
                            + "), so its calls may be incomplete; run spotdrill policy again (on a less busy machine)");
                }
            }
            DrillSpec aborted = new DrillSpec(
                    Selector.instances(ABORTED_INSTANCE),
                    1,
                    "PT10M",
                    List.of(Expectations.imdsNotice("terminate", Window.untilInterruption())),
                    null);
            try (Drill drill = Drill.prepare(world, aborted, options, "spotdrill-policy.aborts", List.of())) {
                drill.start();
                drill.abort(new IllegalStateException("aborted on purpose: the experiment must be stopped"));
                drill.finish();
            }
            Leftovers.sweep(world, Leftovers.SweepOptions.defaults());
            return lab.callLog().iamActions();
        }
    }
}
