package dev.spotdrill.lab.kube;

import static dev.spotdrill.lab.kube.KubeTestSupport.onDemand;
import static dev.spotdrill.lab.kube.KubeTestSupport.spot;
import static dev.spotdrill.lab.kube.KubeTestSupport.waitUpTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TerminationHandlerTest {
    private static final String SPOT = "ip-10-0-1-11.ec2.internal";
    private static final String SPOT_ID = "i-0c0ffee0000000a01";
    private static final String OTHER = "ip-10-0-1-12.ec2.internal";
    private static final String NOTICE = "{\"action\":\"terminate\",\"time\":\"2026-01-15T10:30:00Z\"}";
    private final KubeTestSupport lab = new KubeTestSupport();

    @AfterEach
    void tearDown() {
        lab.close();
    }

    private void start(TerminationHandlerSpec handler) {
        lab.start(ClusterSpec.of(
                        List.of(spot(SPOT, SPOT_ID), onDemand(OTHER, "i-0c0ffee0000000b01")),
                        List.of(WorkloadSpec.of("shop", "cart", 4)))
                .withDaemonSets(List.of(new DaemonSetSpec("kube-system", "aws-node")))
                .withTerminationHandler(handler));
        waitUpTo().untilAsserted(() -> {
            assertThat(lab.readyPods("shop", "cart")).hasSize(4);
            assertThat(lab.podsPerNode("shop", "cart")).containsKeys(SPOT, OTHER);
            assertThat(lab.readyPods("kube-system", "aws-node")).hasSize(2);
        });
    }

    private void start() {
        start(TerminationHandlerSpec.defaults());
    }

    private void sendNotice() {
        lab.imdsFor(SPOT_ID).notice("terminate", "2026-01-15T10:30:00Z");
    }

    private Optional<Taint> taint(String key) {
        Node node = lab.node(SPOT);
        List<Taint> taints =
                node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
        return taints.stream().filter(t -> key.equals(t.getKey())).findFirst();
    }

    private boolean cordoned() {
        return Boolean.TRUE.equals(lab.node(SPOT).getSpec().getUnschedulable());
    }

    private List<String> eventReasons() {
        return lab.client().v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> SPOT.equals(e.getInvolvedObject().getName()))
                .map(Event::getReason)
                .toList();
    }

    private long cartPodsOnSpot() {
        return lab.podsPerNode("shop", "cart").getOrDefault(SPOT, 0L);
    }

    private String dsPodOnSpot() {
        return lab.pods("kube-system", "aws-node").stream()
                .filter(p -> SPOT.equals(p.getSpec().getNodeName()))
                .map(p -> p.getMetadata().getName())
                .findFirst()
                .orElse(null);
    }

    /** Lets a good stretch of world time pass (three world minutes of handler polls) while the check holds. */
    private static org.awaitility.core.ConditionFactory meanwhile() {
        return waitUpTo().during(Duration.ofSeconds(3));
    }

    @Test
    void noticeTaintsLabelsCordonsDrainsAndEmitsEvents() {
        start();
        String dsPod = dsPodOnSpot();
        sendNotice();

        waitUpTo().untilAsserted(() -> {
            assertThat(cartPodsOnSpot()).isZero();
            assertThat(eventReasons()).contains("CordonAndDrain");
        });
        String eventId = "spot-itn-" + Kube.sha256Hex(NOTICE);
        Taint t = taint("aws-node-termination-handler/spot-itn").orElseThrow();
        assertThat(t.getValue()).isEqualTo(eventId.substring(0, 63));
        assertThat(t.getEffect()).isEqualTo("NoSchedule");
        assertThat(cordoned()).isTrue();
        assertThat(lab.node(SPOT).getMetadata().getLabels())
                .containsEntry("aws-node-termination-handler/action", "SPOT_ITN")
                .containsEntry("aws-node-termination-handler/event-id", eventId.substring(0, 63))
                .containsKey("aws-node-termination-handler/action-time");
        assertThat(eventReasons()).contains("SpotInterruption", "PreDrain", "CordonAndDrain", "PostDrain");
        // the DaemonSet pod stays; the evicted pods came back on the other node
        assertThat(dsPodOnSpot()).isEqualTo(dsPod);
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(4));
        assertThat(lab.podsPerNode("shop", "cart")).containsOnly(Map.entry(OTHER, 4L));
    }

    @Test
    void withoutANoticeTheHandlerLeavesTheNodeAlone() {
        start();
        int polls = lab.imdsFor(SPOT_ID).gets();

        meanwhile().untilAsserted(() -> {
            assertThat(taint("aws-node-termination-handler/spot-itn")).isEmpty();
            assertThat(cordoned()).isFalse();
            assertThat(cartPodsOnSpot()).isEqualTo(2);
        });
        assertThat(lab.imdsFor(SPOT_ID).gets())
                .as("the handler kept polling IMDS")
                .isGreaterThan(polls + 5);
        assertThat(lab.cluster.handlerNodes()).containsExactly(SPOT);
    }

    @Test
    void drainRetriesWhileABudgetRefusesAndFinishesOnceReplacementsAreReady() {
        lab.start(ClusterSpec.of(
                        List.of(spot(SPOT, SPOT_ID)),
                        List.of(WorkloadSpec.of("shop", "checkout", 2)
                                .withPdb(PdbSpec.minAvailable(1))
                                .withReadinessDelay(Duration.ofSeconds(30))))
                .withTerminationHandler(TerminationHandlerSpec.defaults()));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "checkout"))
                .hasSize(2));
        lab.cluster.addNode(onDemand(OTHER, "i-0c0ffee0000000b01"));
        sendNotice();

        waitUpTo()
                .untilAsserted(() -> assertThat(lab.cluster.evictionsRefused()).isPositive());
        waitUpTo().untilAsserted(() -> {
            assertThat(lab.podsPerNode("shop", "checkout")).containsOnly(Map.entry(OTHER, 2L));
            assertThat(eventReasons()).contains("CordonAndDrain");
        });
        assertThat(lab.cluster.evictionsGranted()).isEqualTo(2);
    }

    @Test
    void rebalanceMonitoringTaintsAndCordonsWithoutDraining() {
        start(TerminationHandlerSpec.defaults().withRebalance(true, false));
        lab.imdsFor(SPOT_ID).rebalance("2026-01-15T10:28:00Z");

        waitUpTo().untilAsserted(() -> {
            assertThat(taint("aws-node-termination-handler/rebalance-recommendation"))
                    .hasValueSatisfying(t -> assertThat(t.getValue()).startsWith("rebalance-recommendation-"));
            assertThat(cordoned()).isTrue();
        });
        meanwhile().untilAsserted(() -> assertThat(cartPodsOnSpot()).isEqualTo(2));
        assertThat(eventReasons()).contains("RebalanceRecommendation").doesNotContain("CordonAndDrain");
    }

    @Test
    void rebalanceDrainingAlsoDrains() {
        start(TerminationHandlerSpec.defaults().withRebalance(true, true));
        lab.imdsFor(SPOT_ID).rebalance("2026-01-15T10:28:00Z");

        waitUpTo().untilAsserted(() -> {
            assertThat(cartPodsOnSpot()).isZero();
            assertThat(eventReasons()).contains("RebalanceRecommendation", "CordonAndDrain");
        });
    }

    @Test
    void withoutRebalanceMonitoringARecommendationIsIgnored() {
        start();
        lab.imdsFor(SPOT_ID).rebalance("2026-01-15T10:28:00Z");

        meanwhile().untilAsserted(() -> {
            assertThat(taint("aws-node-termination-handler/rebalance-recommendation"))
                    .isEmpty();
            assertThat(cordoned()).isFalse();
        });
    }

    @Test
    void onDemandNodesGetNoHandlerUnlessConfigured() {
        start();
        assertThat(lab.cluster.handlerNodes()).containsExactly(SPOT);
    }

    // ------------------------------------------------------------------ faults

    @Test
    void downFaultStopsTheHandlerUntilItIsLifted() {
        lab.faults.put(TerminationHandlerFaults.DOWN, "");
        start();
        sendNotice();

        meanwhile().untilAsserted(() -> {
            assertThat(taint("aws-node-termination-handler/spot-itn")).isEmpty();
            assertThat(cordoned()).isFalse();
            assertThat(cartPodsOnSpot()).isEqualTo(2);
        });

        lab.faults.remove(TerminationHandlerFaults.DOWN);
        waitUpTo().untilAsserted(() -> {
            assertThat(taint("aws-node-termination-handler/spot-itn")).isPresent();
            assertThat(cartPodsOnSpot()).isZero();
        });
    }

    @Test
    void noTaintFaultCordonsAndDrainsButSetsNoTaint() {
        lab.faults.put(TerminationHandlerFaults.NO_TAINT, "");
        start();
        sendNotice();

        waitUpTo().untilAsserted(() -> {
            assertThat(cordoned()).isTrue();
            assertThat(cartPodsOnSpot()).isZero();
        });
        assertThat(taint("aws-node-termination-handler/spot-itn")).isEmpty();
    }

    @Test
    void noCordonFaultTaintsAndDrainsButLeavesTheNodeSchedulable() {
        lab.faults.put(TerminationHandlerFaults.NO_CORDON, "");
        start();
        sendNotice();

        waitUpTo().untilAsserted(() -> {
            assertThat(taint("aws-node-termination-handler/spot-itn")).isPresent();
            assertThat(eventReasons()).contains("CordonAndDrain");
        });
        assertThat(cordoned()).isFalse();
    }

    @Test
    void noDrainFaultTaintsAndCordonsButEvictsNothing() {
        lab.faults.put(TerminationHandlerFaults.NO_DRAIN, "");
        start();
        sendNotice();

        waitUpTo().untilAsserted(() -> {
            assertThat(taint("aws-node-termination-handler/spot-itn")).isPresent();
            assertThat(cordoned()).isTrue();
        });
        meanwhile().untilAsserted(() -> assertThat(cartPodsOnSpot()).isEqualTo(2));
        assertThat(eventReasons()).contains("SpotInterruption", "Cordon").doesNotContain("CordonAndDrain");
    }

    @Test
    void drainDelayFaultHoldsTheDrainBackByTheDelayInWorldTime() {
        lab.faults.put(TerminationHandlerFaults.DRAIN_DELAY, "PT2M");
        start();
        sendNotice();

        waitUpTo().untilAsserted(() -> assertThat(taint("aws-node-termination-handler/spot-itn"))
                .isPresent());
        Instant tainted = Instant.parse(
                taint("aws-node-termination-handler/spot-itn").orElseThrow().getTimeAdded());
        waitUpTo().untilAsserted(() -> assertThat(cartPodsOnSpot()).isZero());
        Instant drained = lab.clock.now();

        assertThat(Duration.between(tainted, drained)).isGreaterThanOrEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void taintEffectFaultChangesTheEffect() {
        lab.faults.put(TerminationHandlerFaults.TAINT_EFFECT, "PreferNoSchedule");
        start();
        sendNotice();

        waitUpTo().untilAsserted(() -> assertThat(taint("aws-node-termination-handler/spot-itn"))
                .hasValueSatisfying(t -> assertThat(t.getEffect()).isEqualTo("PreferNoSchedule")));
    }

    @Test
    void configuredTaintEffectIsUsedWithoutTheFault() {
        start(new TerminationHandlerSpec(
                true, java.util.Set.of(), false, false, false, "NoExecute", Optional.empty(), null));
        sendNotice();

        waitUpTo().untilAsserted(() -> assertThat(taint("aws-node-termination-handler/spot-itn"))
                .hasValueSatisfying(t -> assertThat(t.getEffect()).isEqualTo("NoExecute")));
    }

    @Test
    void taintKeyFaultUsesAnotherKey() {
        lab.faults.put(TerminationHandlerFaults.TAINT_KEY, "example.com/wrong");
        start();
        sendNotice();

        waitUpTo().untilAsserted(() -> assertThat(taint("example.com/wrong")).isPresent());
        assertThat(taint("aws-node-termination-handler/spot-itn")).isEmpty();
    }

    @Test
    void evictDaemonSetsFaultEvictsTheDaemonSetPodToo() {
        lab.faults.put(TerminationHandlerFaults.EVICT_DAEMONSETS, "");
        start();
        String dsPod = dsPodOnSpot();
        sendNotice();

        waitUpTo().untilAsserted(() -> {
            assertThat(cartPodsOnSpot()).isZero();
            assertThat(dsPodOnSpot()).isNotEqualTo(dsPod);
        });
        assertThat(lab.client()
                        .pods()
                        .inNamespace("kube-system")
                        .withName(dsPod)
                        .get())
                .isNull();
    }

    @Test
    void imdsTokenIsRenewedWhenRefused() {
        start();
        lab.imdsFor(SPOT_ID).forgetTokens();
        sendNotice();

        waitUpTo().untilAsserted(() -> assertThat(taint("aws-node-termination-handler/spot-itn"))
                .isPresent());
    }
}
