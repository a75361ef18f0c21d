package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * The README's examples, written exactly as the README prints them (annotations and body, nothing added), pass on
 * the healthy {@code shop} lab. The Kubernetes example has no IMDS expectation: its NOTICE must still come, from
 * whichever source sees it.
 *
 * <p>Its labs run at pace 6: the example gives the handler PT30S from NOTICE to taint and cordon, which at pace 15
 * is two wall seconds, and a full parallel build on a busy 2-core machine was seen to starve the lab's handler for
 * longer than that; at pace 6 it has five.
 */
class ReadmeExamplesTest {
    static final List<Timeline> TIMELINES = new CopyOnWriteArrayList<>();

    /** The README's "Kubernetes targets and expectations" example, as printed. */
    @SpotDrill
    static class KubernetesExample {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", count = 1, leadTime = "PT2M")
        @ExpectTaint(
                key = "aws-node-termination-handler/spot-itn",
                effect = "NoSchedule",
                from = Moment.NOTICE,
                within = "PT30S")
        @ExpectCordon(from = Moment.NOTICE, within = "PT30S")
        @ExpectDrain
        @ExpectAvailability(deployment = "shop/checkout", minReady = 2)
        void checkoutSurvivesSpotLoss(InterruptionRun run) {}
    }

    /** A listener-free way to see the example's timeline: the same example, with its timeline kept. */
    @SpotDrill
    static class KubernetesExampleKept {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", count = 1, leadTime = "PT2M")
        @ExpectTaint(
                key = "aws-node-termination-handler/spot-itn",
                effect = "NoSchedule",
                from = Moment.NOTICE,
                within = "PT30S")
        @ExpectCordon(from = Moment.NOTICE, within = "PT30S")
        @ExpectDrain
        @ExpectAvailability(deployment = "shop/checkout", minReady = 2)
        void checkoutSurvivesSpotLoss(InterruptionRun run) {
            TIMELINES.add(run.timeline());
        }
    }

    @Test
    void theKubernetesExampleAsPrintedPassesOnTheHealthyLab() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(6).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, KubernetesExample.class);

            EngineRuns.assertAllPassed(results, 1);
        }
        // a lab of its own: in the first one the drained node's replacement runs no checkout pod yet, and a drill
        // that picked it would rightly be refused (@ExpectDrain on a node with nothing to drain proves nothing)
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(6).build())) {
            EngineExecutionResults kept = EngineRuns.run(lab, KubernetesExampleKept.class);
            EngineRuns.assertAllPassed(kept, 1);
            Timeline timeline = TIMELINES.get(0);
            String target = timeline.observations().stream()
                    .filter(o -> o.source().equals("kube") && !o.targetId().isEmpty())
                    .findFirst()
                    .orElseThrow()
                    .targetId();
            // NOTICE was established by a source, and the timeline says which
            assertThat(timeline.moment(dev.spotdrill.core.drill.Moment.NOTICE, target))
                    .isPresent();
            assertThat(timeline.momentSource(dev.spotdrill.core.drill.Moment.NOTICE, target))
                    .isPresent();
            assertThat(timeline.render()).containsPattern(target + "  NOTICE  \\(first seen by [a-z]+\\)");
        }
    }
}
