package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.KubeObservations;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** A node-selected drill against the healthy reference termination handler: every Kubernetes expectation is met. */
class KubeDrillTest {
    static final List<Target> TARGETS = new CopyOnWriteArrayList<>();
    static final List<Timeline> TIMELINES = new CopyOnWriteArrayList<>();

    @SpotDrill
    static class Healthy {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout", leadTime = "PT2M")
        @ExpectTaint(from = Moment.NOTICE, within = "PT30S")
        @ExpectCordon(from = Moment.NOTICE, within = "PT30S")
        @ExpectDrain(rescheduled = true)
        @ExpectAvailability(deployment = "shop/checkout", minReady = 2)
        @ExpectNodeRemoved
        @ExpectImdsNotice
        void drill(InterruptionRun run) {
            TARGETS.addAll(run.targets());
            TIMELINES.add(run.timeline());
        }
    }

    @SpotDrill
    static class ByTags {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @ExpectCordon
        @ExpectTaint
        void drill() {}
    }

    @Test
    void aTagSelectedDrillFindsItsNodeByProviderId() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(10).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, ByTags.class);

            EngineRuns.assertAllPassed(results, 1);
        }
    }

    @Test
    void everyKubernetesExpectationIsMetWithTheHealthyHandler() {
        TARGETS.clear();
        TIMELINES.clear();
        Set<String> before = kubeThreads();
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(10).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, Healthy.class);

            EngineRuns.assertAllPassed(results, 1);
            Target t = TARGETS.get(0);
            assertThat(t.nodeName()).startsWith("ip-10-0-").endsWith(".ec2.internal");
            assertThat(lab.instance(t.instanceId()).orElseThrow().nodeName()).contains(t.nodeName());
            Timeline timeline = TIMELINES.get(0);
            assertThat(kinds(timeline, t.instanceId()))
                    .contains(
                            KubeObservations.TAINT_ADDED,
                            KubeObservations.CORDONED,
                            KubeObservations.POD_EVICTED,
                            KubeObservations.NODE_DRAINED,
                            KubeObservations.REPLACEMENT_READY,
                            KubeObservations.NODE_NOT_READY,
                            KubeObservations.NODE_DELETED);
            Observation taint = timeline.first(
                            o -> o.kind().equals(KubeObservations.TAINT_ADDED) && o.isAbout(t.instanceId()))
                    .orElseThrow();
            assertThat(taint.data())
                    .containsEntry("key", "aws-node-termination-handler/spot-itn")
                    .containsEntry("effect", "NoSchedule");
            assertThat(taint.detail()).contains("added to node " + t.nodeName());
            // the evicted checkout pod names its owner; the DaemonSet pods stay
            Observation evicted = timeline.first(o -> o.kind().equals(KubeObservations.POD_EVICTED)
                            && "true".equals(o.data().get("evictable")))
                    .orElseThrow();
            assertThat(evicted.data()).containsEntry("namespace", "shop");
            assertThat(evicted.data().get("owner")).startsWith("ReplicaSet checkout-");
            // a replacement instance joins as a node with the same labels
            await().atMost(Duration.ofSeconds(30)).until(() -> lab.instance(t.instanceId())
                    .orElseThrow()
                    .replacedBy()
                    .isPresent());
            String fresh =
                    lab.instance(t.instanceId()).orElseThrow().replacedBy().orElseThrow();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> lab.cluster().orElseThrow().nodeNameFor(fresh).isPresent());
            String node = lab.cluster().orElseThrow().nodeNameFor(fresh).orElseThrow();
            assertThat(lab.cluster()
                            .orElseThrow()
                            .client()
                            .nodes()
                            .withName(node)
                            .get()
                            .getMetadata()
                            .getLabels())
                    .containsEntry("workload", "checkout");
        }
        // the probe's informers and clients are gone with the drill
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(kubeThreads()).isSubsetOf(before));
    }

    static List<String> kinds(Timeline timeline, String instanceId) {
        return timeline.about(instanceId).stream().map(Observation::kind).toList();
    }

    static Set<String> kubeThreads() {
        Set<String> names = ConcurrentHashMap.newKeySet();
        Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.contains("informer") || n.contains("vert.x") || n.startsWith("spotdrill-kube"))
                .forEach(names::add);
        return names;
    }
}
