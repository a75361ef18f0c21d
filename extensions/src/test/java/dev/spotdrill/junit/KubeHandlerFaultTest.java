package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.kube.KubeObservations;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.ArrayList;
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

    @SpotDrill
    static class LostPodsDrill {
        static final java.util.concurrent.atomic.AtomicReference<dev.spotdrill.core.drill.Timeline> TIMELINE =
                new java.util.concurrent.atomic.AtomicReference<>();

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", leadTime = "PT2M")
        @ExpectTermination
        @ExpectDrain(rescheduled = true)
        void drill(InterruptionRun run) {
            TIMELINE.set(run.timeline());
            // the verdicts come after the node is gone: what left with it must not count as a drain
            run.await().until(() -> run.timeline()
                    .first(o -> o.kind().equals(KubeObservations.PODS_LOST))
                    .isPresent());
        }
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

    /**
     * A shop lab at pace 15: a healthy handler's taint is due within a few seconds of world time, and at pace 30 a CI
     * run of the whole suite on 2 cores was seen to hold it back 126 s of world time (4 wall seconds).
     */
    static SpotLab lab(String... faults) {
        return SpotLab.start(
                LabOptions.builder().scenario("shop").pace(15).faults(faults).build());
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
    void podsLostWithTheNodeAreNotADrainAndTheMissSaysWhenTheyWereLost() {
        // the handler would drain at NOTICE + PT3M; the instance dies at +120 s and its node (with the checkout pod
        // still on it) is deleted 30 s later
        try (SpotLab lab = lab("terminationHandler.drain-delay=PT3M")) {
            List<String> misses = misses(lab, LostPodsDrill.class);
            assertThat(misses).hasSize(1);
            assertThat(misses.get(0))
                    .startsWith("@ExpectDrain(rescheduled=true) missed for i-0c0ffee0000000a0")
                    .containsPattern("last seen: the node was never drained: its 1 pod was lost with the node at"
                            + " \\+\\d+\\.\\ds\n")
                    .doesNotContain("the node was drained")
                    .contains("kube PODS_LOST");
            Matcher at =
                    Pattern.compile("lost with the node at \\+(\\d+\\.\\d)s").matcher(misses.get(0));
            assertThat(at.find()).isTrue();
            assertThat(Double.parseDouble(at.group(1))).isGreaterThanOrEqualTo(120.0);
            List<Observation> timeline = LostPodsDrill.TIMELINE.get().observations();
            assertThat(timeline)
                    .anySatisfy(o -> {
                        assertThat(o.kind()).isEqualTo(KubeObservations.POD_DELETED);
                        assertThat(o.data()).containsEntry("evictable", "true");
                    })
                    .anySatisfy(o -> {
                        assertThat(o.kind()).isEqualTo(KubeObservations.PODS_LOST);
                        assertThat(o.data()).containsEntry("pods", "1");
                        assertThat(o.detail()).contains("lost with the node, not drained");
                    })
                    .noneMatch(o -> o.kind().equals(KubeObservations.NODE_DRAINED));
        }
    }

    @Test
    void aTaintWithAnotherKeyIsCaughtByExpectTaintNamingTheTaintItSaw() {
        try (SpotLab lab = lab("terminationHandler.taint-key=example.com/wrong")) {
            List<String> misses = misses(lab, HandlerDrill.class);
            assertThat(misses).hasSize(1);
            assertThat(misses.get(0))
                    .startsWith(TAINT + " missed for i-0c0ffee0000000a0")
                    .containsPattern("last seen: taints on node ip-10-0-\\S+: .*example\\.com/wrong=\\S+:NoSchedule")
                    .doesNotContainPattern("last seen: [^\\n]*aws-node-termination-handler/spot-itn")
                    .contains("kube CORDONED");
        }
    }

    @Test
    void twoMissesPrintTheTimelineOnceInTimeOrderAfterTheMisses() {
        try (SpotLab lab = lab("terminationHandler.no-taint", "terminationHandler.no-cordon")) {
            Throwable failure = EngineRuns.failure(EngineRuns.run(lab, HandlerDrill.class), "drill")
                    .orElseThrow();

            assertThat(failure).isInstanceOf(MultipleFailuresError.class);
            List<Throwable> each = ((MultipleFailuresError) failure).getFailures();
            assertThat(each).hasSize(2);
            assertThat(each.get(0).getMessage()).startsWith(TAINT + " missed");
            assertThat(each.get(1).getMessage()).startsWith("@ExpectCordon missed");
            assertThat(each).allSatisfy(f -> assertThat(f.getMessage()).doesNotContain("timeline (world time"));
            String message = failure.getMessage();
            String header = "timeline (world time from START):";
            assertThat(message.split(Pattern.quote(header), -1))
                    .as("timeline headers")
                    .hasSize(2);
            int timelineAt = message.indexOf(header);
            assertThat(message.indexOf(TAINT + " missed")).isBetween(0, timelineAt);
            assertThat(message.indexOf("@ExpectCordon missed")).isBetween(0, timelineAt);
            List<Double> offsets = new ArrayList<>();
            List<String> lines = new ArrayList<>();
            Matcher line = Pattern.compile("(?m)^ {4}([+-]?\\d+\\.\\d)s  (.*)$").matcher(message.substring(timelineAt));
            while (line.find()) {
                offsets.add(Double.parseDouble(line.group(1)));
                lines.add(line.group(2));
            }
            assertThat(offsets).hasSizeGreaterThan(5).isSorted();
            assertThat(lines)
                    .filteredOn(l -> l.startsWith("START") || l.startsWith("INTERRUPTION"))
                    .extracting(l -> l.substring(0, l.indexOf(' ')))
                    .containsExactly("START", "INTERRUPTION");
            assertThat(lines).anyMatch(l -> l.contains("kube POD_EVICTED"));
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
            EngineRuns.assertAllPassed(results, 1);
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
