package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.opentest4j.MultipleFailuresError;

/**
 * Each fault of the reference termination handler is caught by the right Kubernetes expectation, whose message
 * names it and says what was seen; the faults that should not matter cause no false failure.
 */
class KubeHandlerFaultTest {
    static final String TAINT = "@ExpectTaint(key=\"aws-node-termination-handler/spot-itn\", effect=\"NoSchedule\")";

    @SpotDrill
    static class HandlerDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", leadTime = "PT2M")
        @ExpectTaint
        @ExpectCordon
        @ExpectDrain
        void drill() {}
    }

    @SpotDrill
    static class WatchedHandlerDrill {
        static final java.util.concurrent.atomic.AtomicReference<dev.spotdrill.core.drill.Timeline> TIMELINE =
                new java.util.concurrent.atomic.AtomicReference<>();

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", leadTime = "PT2M")
        @ExpectTaint
        @ExpectCordon
        @ExpectDrain
        void drill(InterruptionRun run) {
            TIMELINE.set(run.timeline());
        }
    }

    @SpotDrill
    static class LateDrainDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", leadTime = "PT2M")
        @ExpectTaint
        @ExpectDrain
        @ExpectAvailability(deployment = "shop/checkout", minReady = 3)
        void drill() {}
    }

    /** The messages of the drill's misses, one per missed expectation. */
    static List<String> misses(SpotLab lab, Class<?> fixture) {
        Throwable t = EngineRuns.failure(EngineRuns.run(lab, fixture), "drill").orElse(null);
        if (t == null) {
            return List.of();
        }
        if (t instanceof MultipleFailuresError m) {
            return m.getFailures().stream().map(Throwable::getMessage).toList();
        }
        return List.of(t.getMessage());
    }

    static SpotLab lab(String... faults) {
        return SpotLab.start(
                LabOptions.builder().scenario("shop").pace(30).faults(faults).build());
    }

    @Test
    void noTaintIsCaughtByExpectTaintAlone() {
        try (SpotLab lab = lab("terminationHandler.no-taint")) {
            List<String> misses = misses(lab, HandlerDrill.class);
            assertThat(misses).hasSize(1);
            assertThat(misses.get(0))
                    .startsWith(TAINT + " missed for i-0c0ffee0000000a0")
                    .contains("window: START..INTERRUPTION")
                    .containsPattern("last seen: (no taints|taints) on node ip-10-0-")
                    .doesNotContainPattern("last seen: taints on node [^:]+: [^\\n]*aws-node-termination-handler")
                    .contains("kube CORDONED");
        }
    }

    @Test
    void noCordonIsCaughtByExpectCordonAlone() {
        try (SpotLab lab = lab("terminationHandler.no-cordon")) {
            List<String> misses = misses(lab, HandlerDrill.class);
            assertThat(misses).hasSize(1);
            assertThat(misses.get(0))
                    .startsWith("@ExpectCordon missed for i-0c0ffee0000000a0")
                    .containsPattern("last seen: node ip-10-0-\\S+ schedulable \\(not cordoned\\)")
                    .contains("kube TAINT_ADDED");
        }
    }

    @Test
    void noDrainIsCaughtByExpectDrainNamingThePodsStillOnTheNode() {
        try (SpotLab lab = lab("terminationHandler.no-drain")) {
            List<String> misses = misses(lab, HandlerDrill.class);
            assertThat(misses).hasSize(1);
            assertThat(misses.get(0))
                    .startsWith("@ExpectDrain missed for i-0c0ffee0000000a0")
                    .containsPattern("last seen: 1 evictable pod still on node ip-10-0-\\S+: shop/checkout-\\S+"
                            + " \\(ReplicaSet checkout-\\S+\\)")
                    .doesNotContain("kube-system/aws-node");
        }
    }

    @Test
    void aDrainLateByThreeMinutesMissesExpectDrainAndAvailabilityDropsWhenTheNodeDies() {
        // lead time PT2M: the handler would start draining at NOTICE + PT3M, after the interruption
        try (SpotLab lab = lab("terminationHandler.drain-delay=PT3M")) {
            List<String> misses = misses(lab, LateDrainDrill.class);
            assertThat(misses).hasSize(2);
            assertThat(misses.get(0))
                    .startsWith("@ExpectDrain missed for i-0c0ffee0000000a0")
                    .contains("1 evictable pod still on node");
            // the checkout pod is lost with the node at the interruption, not evicted before it
            assertThat(misses.get(1))
                    .startsWith("@ExpectAvailability(deployment=\"shop/checkout\", minReady=3) missed")
                    .contains("shop/checkout fell to 2 Ready (below minReady 3)");
            Matcher at = Pattern.compile("fell to 2 Ready \\(below minReady 3\\) at \\+(\\d+\\.\\d)s")
                    .matcher(misses.get(1));
            assertThat(at.find()).isTrue();
            assertThat(Double.parseDouble(at.group(1))).isGreaterThanOrEqualTo(120.0);
        }
    }

    @Test
    void aNoExecuteTaintMissesExpectTaintNoScheduleAndSaysWhichTaintItSaw() {
        try (SpotLab lab = lab("terminationHandler.taint-effect=NoExecute")) {
            List<String> misses = misses(lab, HandlerDrill.class);
            assertThat(misses).hasSize(1);
            assertThat(misses.get(0))
                    .startsWith(TAINT + " missed")
                    .containsPattern("last seen: taints on node ip-10-0-\\S+: .*aws-node-termination-handler/spot-itn="
                            + "spot-itn-[0-9a-f]+:NoExecute");
        }
    }

    @Test
    void evictingDaemonSetPodsGivesNoFalseFailure() {
        try (SpotLab lab = lab("terminationHandler.evict-daemonsets")) {
            var results = EngineRuns.run(lab, WatchedHandlerDrill.class);
            results.testEvents().assertStatistics(s -> s.started(1).succeeded(1));
            // the fault took effect: DaemonSet pods were evicted too, and @ExpectDrain did not wait for them
            assertThat(WatchedHandlerDrill.TIMELINE.get().observations())
                    .anySatisfy(o -> {
                        assertThat(o.kind()).isEqualTo(dev.spotdrill.core.kube.KubeObservations.POD_EVICTED);
                        assertThat(o.data()).containsEntry("evictable", "false");
                    })
                    .anySatisfy(
                            o -> assertThat(o.kind()).isEqualTo(dev.spotdrill.core.kube.KubeObservations.NODE_DRAINED));
        }
    }

    @Test
    void aHandlerThatIsDownFailsEverythingDownstream() {
        try (SpotLab lab = lab("terminationHandler.down")) {
            List<String> misses = misses(lab, HandlerDrill.class);
            assertThat(misses).hasSize(3);
            assertThat(misses.get(0)).startsWith(TAINT + " missed").contains("last seen: no taints on node");
            assertThat(misses.get(1)).startsWith("@ExpectCordon missed").contains("schedulable (not cordoned)");
            assertThat(misses.get(2)).startsWith("@ExpectDrain missed").contains("evictable pod still on node");
        }
    }
}
