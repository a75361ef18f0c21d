package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.KubeObservations;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** Two node-selected drills on different nodes of one cluster, in parallel: both pass and neither sees the other. */
class KubeParallelDrillsTest {
    static final Map<String, Target> TARGETS = new ConcurrentHashMap<>();
    static final Map<String, Timeline> TIMELINES = new ConcurrentHashMap<>();

    @SpotDrill
    static class TwoDrills {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout")
        @ExpectTaint
        @ExpectCordon
        @ExpectDrain
        void checkout(InterruptionRun run) {
            TARGETS.put("checkout", run.targets().get(0));
            TIMELINES.put("checkout", run.timeline());
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=cart")
        @ExpectTaint
        @ExpectCordon
        @ExpectDrain
        void cart(InterruptionRun run) {
            TARGETS.put("cart", run.targets().get(0));
            TIMELINES.put("cart", run.timeline());
        }
    }

    @Test
    void twoDrillsOnDifferentNodesRunInParallelWithoutCrosstalk() {
        TARGETS.clear();
        TIMELINES.clear();
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(10).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, TwoDrills.class);

            EngineRuns.assertAllPassed(results, 2);
            Target checkout = TARGETS.get("checkout");
            Target cart = TARGETS.get("cart");
            assertThat(checkout.nodeName()).isNotEqualTo(cart.nodeName());
            assertThat(lab.instance(checkout.instanceId()).orElseThrow().nodeLabels())
                    .containsEntry("workload", "checkout");
            assertThat(lab.instance(cart.instanceId()).orElseThrow().nodeLabels())
                    .containsEntry("workload", "cart");
            // the experiments overlapped in time
            assertThat(TIMELINES.get("checkout").startTime().orElseThrow())
                    .isBefore(TIMELINES.get("cart").interruptionTime().orElseThrow());
            assertThat(TIMELINES.get("cart").startTime().orElseThrow())
                    .isBefore(TIMELINES.get("checkout").interruptionTime().orElseThrow());
            assertOnlyAbout(TIMELINES.get("checkout"), checkout);
            assertOnlyAbout(TIMELINES.get("cart"), cart);
        }
    }

    static void assertOnlyAbout(Timeline timeline, Target target) {
        assertThat(timeline.observations().stream()
                        .filter(o -> o.source().equals(KubeObservations.SOURCE))
                        .map(Observation::targetId)
                        .distinct())
                .containsExactly(target.instanceId());
        assertThat(timeline.observations().stream()
                        .filter(o -> o.source().equals(KubeObservations.SOURCE))
                        .map(Observation::detail))
                .allMatch(d -> d.contains(target.nodeName()));
    }
}
