package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.drill.Evaluation;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.KubeExpectations;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.core.kube.KubeObservations;
import dev.spotdrill.core.kube.LabelSelector;
import dev.spotdrill.core.kube.NodeTargets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The label selector parser, providerID parsing and the Kubernetes expectations' evaluation, without a cluster. */
class KubeUnitsTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Target TARGET = new Target("i-0abc", "m5.large", "us-east-1a", "ip-10-0-1-1", Map.of());

    @Test
    void selectorsParseAndMatchAsKubectlDoes() {
        LabelSelector s =
                LabelSelector.parse("workload in (checkout,cart), !spotdrill/skip, tier!=db, team==shop, zone");
        assertThat(s.requirements()).hasSize(5);
        assertThat(s.matches(Map.of("workload", "cart", "tier", "web", "team", "shop", "zone", "a")))
                .isTrue();
        assertThat(s.matches(Map.of("workload", "batch", "team", "shop", "zone", "a")))
                .isFalse();
        assertThat(s.matches(Map.of("workload", "cart", "team", "shop", "zone", "a", "spotdrill/skip", "")))
                .isFalse();
        assertThat(s.matches(Map.of("workload", "cart", "team", "shop"))).isFalse();
        assertThat(s.equalities()).containsExactly(Map.entry("team", "shop"));
        assertThat(LabelSelector.parse("eks.amazonaws.com/capacityType=SPOT").equalities())
                .containsEntry("eks.amazonaws.com/capacityType", "SPOT");
    }

    @Test
    void badSelectorsSayWhatIsWrong() {
        assertThatThrownBy(() -> LabelSelector.parse("workload in (a,b")).hasMessage("a '(' is not closed");
        assertThatThrownBy(() -> LabelSelector.parse("a=b,,c=d")).hasMessage("an empty requirement between commas");
        assertThatThrownBy(() -> LabelSelector.parse("work load=x"))
                .hasMessageStartingWith("in \"work load=x\", \"work load\" is not a label key");
        assertThatThrownBy(() -> LabelSelector.parse("workload=check out"))
                .hasMessageStartingWith("in \"workload=check out\", \"check out\" is not a label value");
        assertThatThrownBy(() -> LabelSelector.parse(" ")).hasMessage("the selector is empty");
        assertThatThrownBy(() -> NodeTargets.parse("a>1"))
                .hasMessageStartingWith("@SpotInterruption(nodes=\"a>1\"): not a Kubernetes label selector");
    }

    @Test
    void providerIdsGiveInstanceIdsOnlyForAws() {
        assertThat(NodeTargets.instanceId("aws:///us-east-1a/i-0c0ffee0000000a01"))
                .contains("i-0c0ffee0000000a01");
        assertThat(NodeTargets.instanceId("aws:///us-east-1a/fargate-ip-10-0-1-1"))
                .isEmpty();
        assertThat(NodeTargets.instanceId("gce://p/z/n")).isEmpty();
        assertThat(NodeTargets.instanceId(null)).isEmpty();
    }

    @Test
    void availabilityIsViolatedAtTheFirstDropBelowMinReadyWithTheCountOverTime() {
        Timeline t = timeline();
        t.add(ready(-5, 3));
        t.add(ready(10, 2));
        t.add(ready(20, 3));
        Expectation two = KubeExpectations.availability(
                "shop/checkout", 2, Window.of(dev.spotdrill.core.drill.Moment.START, Duration.ofMinutes(5)));
        Evaluation unseen = two.evaluate(timeline(), TARGET, T0, T0.plusSeconds(300));
        assertThat(unseen.metAt()).as("no reading is no evidence").isEmpty();
        assertThat(unseen.violatedAt()).isEmpty();
        assertThat(unseen.lastSeen()).isEqualTo("no Ready count of shop/checkout seen yet");
        Evaluation held = two.evaluate(t, TARGET, T0, T0.plusSeconds(300));
        assertThat(two.continuous()).isTrue();
        assertThat(held.violatedAt()).isEmpty();
        assertThat(held.metAt()).contains(T0);
        assertThat(held.lastSeen())
                .isEqualTo("shop/checkout held; Ready pods over time: 3 at +0.0s, 2 at +10.0s, 3 at +20.0s");

        Expectation three = KubeExpectations.availability(
                "shop/checkout", 3, Window.of(dev.spotdrill.core.drill.Moment.START, Duration.ofMinutes(5)));
        Evaluation broken = three.evaluate(t, TARGET, T0, T0.plusSeconds(300));
        assertThat(broken.violatedAt()).contains(T0.plusSeconds(10));
        assertThat(broken.lastSeen()).contains("fell to 2 Ready (below minReady 3) at +10.0s");

        Expectation four = KubeExpectations.availability(
                "shop/checkout", 4, Window.of(dev.spotdrill.core.drill.Moment.START, Duration.ofMinutes(5)));
        assertThat(four.evaluate(t, TARGET, T0, T0.plusSeconds(300)).violatedAt())
                .contains(T0);
    }

    @Test
    void aTaintCountsOnlyWithItsKeyAndEffectAndOneSeenBeforeTheWindowOpenedCountsFromItsStart() {
        Timeline t = timeline();
        Expectation taint = KubeExpectations.taint("k", "NoSchedule", Window.untilInterruption());
        assertThat(taint.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).isEmpty();
        t.add(obs(-3, KubeObservations.TAINT_ADDED, Map.of("key", "k", "value", "", "effect", "NoExecute")));
        assertThat(taint.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).isEmpty();
        t.add(obs(-2, KubeObservations.TAINT_ADDED, taint("k", "NoSchedule", false)));
        assertThat(taint.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).contains(T0);
    }

    @Test
    void onlyFreshEvidenceCountsAStateTheNodeHadWhenTheProbeStartedMeetsNothing() {
        Timeline t = timeline();
        Expectation taint = KubeExpectations.taint("k", "NoSchedule", Window.untilInterruption());
        Expectation cordon = KubeExpectations.cordon(Window.untilInterruption());
        Expectation drain = KubeExpectations.drain(false, Window.untilInterruption());
        t.add(obs(-1, KubeObservations.TAINT_ADDED, taint("k", "NoSchedule", true)));
        t.add(obs(-1, KubeObservations.CORDONED, Map.of("initial", "true")));
        t.add(obs(-1, KubeObservations.NODE_DRAINED, Map.of("initial", "true")));
        assertThat(taint.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).isEmpty();
        assertThat(cordon.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).isEmpty();
        assertThat(drain.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).isEmpty();
        // the same states, seen to change after the probe started, do count
        t.add(obs(7, KubeObservations.TAINT_ADDED, taint("k", "NoSchedule", false)));
        t.add(obs(8, KubeObservations.CORDONED, Map.of()));
        t.add(obs(9, KubeObservations.NODE_DRAINED, Map.of("initial", "false")));
        assertThat(taint.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).contains(T0.plusSeconds(7));
        assertThat(cordon.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).contains(T0.plusSeconds(8));
        assertThat(drain.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).contains(T0.plusSeconds(9));
    }

    @Test
    void theKubernetesExpectationsTellTheSourceWhatTheyWillJudge() {
        Window w = Window.untilInterruption();
        assertThat(KubeExpectations.cordon(w).sources()).hasToString("[kube{expect=cordon}]");
        assertThat(KubeExpectations.taint("k", "NoSchedule", w).sources())
                .hasToString("[kube{effect=NoSchedule, expect=taint, key=k}]");
        assertThat(KubeExpectations.drain(true, w).sources()).hasToString("[kube{expect=drain}]");
        assertThat(KubeExpectations.nodeRemoved(w).sources()).hasToString("[kube]");
        assertThat(KubeExpectations.availability("shop/checkout", 2, w).sources())
                .hasToString("[kube{deployment=shop/checkout}]");
    }

    @Test
    void podsLostWithTheNodeAreNotADrainAndTheMissSaysSo() {
        Timeline t = timeline();
        Map<String, String> pod =
                Map.of("namespace", "shop", "owner", "ReplicaSet checkout-1", "evictable", "true", "pod", "p1");
        t.add(obs(153, KubeObservations.POD_DELETED, pod));
        t.add(new Observation(
                T0.plusMillis(153_100),
                "kube",
                TARGET.instanceId(),
                KubeObservations.PODS_LOST,
                "lost",
                Map.of("pods", "1")));
        for (boolean rescheduled : new boolean[] {false, true}) {
            Evaluation e = KubeExpectations.drain(rescheduled, Window.untilInterruption())
                    .evaluate(t, TARGET, T0, T0.plusSeconds(300));
            assertThat(e.metAt()).isEmpty();
            assertThat(e.lastSeen())
                    .isEqualTo("the node was never drained: its 1 pod was lost with the node at +153.1s");
        }
    }

    @Test
    void aRescheduledDrainWaitsForAReplacementOfEveryPodThatLeft() {
        Timeline t = timeline();
        Expectation drain = KubeExpectations.drain(true, Window.untilInterruption());
        Map<String, String> pod =
                Map.of("namespace", "shop", "owner", "ReplicaSet checkout-1", "evictable", "true", "pod", "p1");
        t.add(obs(5, KubeObservations.POD_EVICTED, pod));
        t.add(obs(5, KubeObservations.NODE_DRAINED, Map.of("initial", "false")));
        Evaluation waiting = drain.evaluate(t, TARGET, T0, T0.plusSeconds(120));
        assertThat(waiting.metAt()).isEmpty();
        assertThat(waiting.lastSeen())
                .isEqualTo("the node was drained at +5.0s, but no replacement is Ready on another node yet for 1 of"
                        + " shop ReplicaSet checkout-1");
        t.add(obs(
                9, KubeObservations.REPLACEMENT_READY, Map.of("namespace", "shop", "owner", "ReplicaSet checkout-1")));
        assertThat(drain.evaluate(t, TARGET, T0, T0.plusSeconds(120)).metAt()).contains(T0.plusSeconds(9));
        assertThat(KubeExpectations.drain(false, Window.untilInterruption())
                        .evaluate(t, TARGET, T0, T0.plusSeconds(120))
                        .metAt())
                .contains(T0.plusSeconds(5));
    }

    static Timeline timeline() {
        Timeline t = new Timeline();
        t.start(T0, Duration.ofMinutes(2));
        return t;
    }

    static Observation ready(int second, int ready) {
        return new Observation(
                T0.plusSeconds(second),
                "kube",
                "",
                KubeObservations.READY_COUNT,
                "",
                Map.of("deployment", "shop/checkout", "ready", Integer.toString(ready), "desired", "3"));
    }

    static Map<String, String> taint(String key, String effect, boolean initial) {
        return Map.of("key", key, "value", "", "effect", effect, "initial", Boolean.toString(initial));
    }

    static Observation obs(int second, String kind, Map<String, String> data) {
        return new Observation(T0.plusSeconds(second), "kube", TARGET.instanceId(), kind, kind, data);
    }
}
