package dev.spotdrill.junit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.KubeAccess;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.KubeObservations;
import dev.spotdrill.core.kube.KubeProbe;
import dev.spotdrill.core.kube.NodeTargets;
import dev.spotdrill.lab.kube.ClusterGenerator;
import dev.spotdrill.lab.kube.ClusterSpec;
import dev.spotdrill.lab.kube.LabCluster;
import dev.spotdrill.lab.kube.NodeSpec;
import dev.spotdrill.lab.kube.TerminationHandlerSpec;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * P1 and P4 on the generated 5,000-node / 50,000-pod lab (realistic pods, all Ready first): the detection lag from
 * a node change leaving the client (the PUT of a taint) to the drill's timeline (p50/p99/max over 200 changes), the probe's heap
 * per drill after sync (forced GC, then used heap, over 5 probes of one target node and its Deployment each), and
 * node target resolution time by label selector. Prints {@code [figure]} lines. Sizes: {@code -Dbench.nodes=5000
 * -Dbench.pods=50000}.
 */
@Tag("benchmark")
class ScaleProbeBenchmark {
    static final int NODES = Integer.getInteger("bench.nodes", 5000);
    static final int PODS = Integer.getInteger("bench.pods", 50000);
    static final int CHANGES = 200;
    static final int PROBES = 20;

    @Test
    void detectionLagHeapPerDrillAndResolution() {
        WorldClock clock = WorldClock.paced(Instant.now(), 60);
        ClusterSpec spec =
                ClusterGenerator.generate(NODES, PODS, 1).withTerminationHandler(TerminationHandlerSpec.disabled());
        try (LabCluster cluster = LabCluster.start(spec, clock, id -> null)) {
            KubernetesClient admin = cluster.client();
            await().atMost(Duration.ofMinutes(30))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> admin.apps().deployments().inAnyNamespace().list().getItems().stream()
                            .allMatch(d -> d.getStatus() != null
                                    && Objects.equals(
                                            d.getStatus().getReadyReplicas(),
                                            d.getSpec().getReplicas())));
            World world = World.builder("bench")
                    .region("us-east-1")
                    .clock(clock)
                    .kube(KubeAccess.master(cluster.masterUrl()))
                    .build();

            // P4: resolution by label selector
            List<Long> times = new ArrayList<>();
            int matched = 0;
            for (int i = 0; i < 11; i++) {
                long t = System.nanoTime();
                matched = NodeTargets.find(world, "team=team-3,eks.amazonaws.com/capacityType=SPOT")
                        .size();
                times.add(System.nanoTime() - t);
            }
            times.sort(null);
            assertThat(matched).isPositive();
            DrillOverheadBenchmark.figure(
                    "P4.resolve",
                    times.get(5) / 1e6,
                    "ms",
                    1000,
                    "node targets by label selector (" + matched + " of " + NODES + " nodes), median");

            // P4: heap per drill after sync, each probe watching its target node and one Deployment
            List<Deployment> deployments =
                    admin.apps().deployments().inAnyNamespace().list().getItems();
            long heap0 = usedHeap();
            List<KubeProbe> probes = new ArrayList<>();
            Timeline timeline = new Timeline();
            Map<String, Long> seen = new ConcurrentHashMap<>();
            timeline.subscribe(o -> {
                if (o.kind().equals(KubeObservations.TAINT_ADDED) || o.kind().equals(KubeObservations.TAINT_REMOVED)) {
                    seen.put(o.kind() + "|" + o.data().get("value"), System.nanoTime());
                }
            });
            NodeSpec node = spec.nodes().get(7);
            try {
                for (int i = 0; i < PROBES; i++) {
                    NodeSpec n = spec.nodes().get(7 + i * 97);
                    Target target = new Target(n.instanceId(), n.instanceType(), n.zone(), n.name(), Map.of());
                    Deployment d = deployments.get(i * 31 % deployments.size());
                    probes.add(KubeProbe.start(
                            world,
                            List.of(target),
                            List.of(d.getMetadata().getNamespace() + "/"
                                    + d.getMetadata().getName()),
                            i == 0 ? timeline : new Timeline()));
                }
                long heap1 = usedHeap();
                DrillOverheadBenchmark.figure(
                        "P4.heapPerDrill",
                        (heap1 - heap0) / 1e6 / PROBES,
                        "MB",
                        64,
                        "probe heap per drill after sync (forced GC), " + PROBES + " drills, " + NODES + " nodes / "
                                + PODS + " pods");

                // P1: detection lag, API accepted -> timeline
                long[] lags = new long[CHANGES];
                for (int i = 0; i < CHANGES; i++) {
                    String value = "c" + i;
                    boolean add = i % 2 == 0;
                    String key = (add ? KubeObservations.TAINT_ADDED : KubeObservations.TAINT_REMOVED) + "|"
                            + (add ? value : "c" + (i - 1));
                    long[] sent = new long[1];
                    admin.nodes().withName(node.name()).edit(n -> {
                        // the change leaves the client now (the read before it is not part of the lag)
                        sent[0] = System.nanoTime();
                        if (add) {
                            n.getSpec()
                                    .getTaints()
                                    .add(new TaintBuilder()
                                            .withKey("bench")
                                            .withValue(value)
                                            .withEffect("NoSchedule")
                                            .build());
                        } else {
                            n.getSpec().getTaints().removeIf(t -> "bench".equals(t.getKey()));
                        }
                        return n;
                    });
                    await().atMost(Duration.ofSeconds(30))
                            .pollInterval(Duration.ofMillis(1))
                            .until(() -> seen.containsKey(key));
                    lags[i] = seen.get(key) - sent[0];
                }
                Arrays.sort(lags);
                DrillOverheadBenchmark.figure(
                        "P1.p50",
                        lags[CHANGES / 2] / 1e6,
                        "ms",
                        null,
                        "detection lag K8s change -> timeline, p50, " + NODES + " nodes / " + PODS + " pods");
                DrillOverheadBenchmark.figure(
                        "P1.p99",
                        lags[(int) Math.ceil(CHANGES * 0.99) - 1] / 1e6,
                        "ms",
                        50,
                        "detection lag K8s change -> timeline, p99 of " + CHANGES + ", " + NODES + " nodes / " + PODS
                                + " pods");
                DrillOverheadBenchmark.figure(
                        "P1.max",
                        lags[CHANGES - 1] / 1e6,
                        "ms",
                        null,
                        "detection lag K8s change -> timeline, max, " + NODES + " nodes / " + PODS + " pods");
            } finally {
                probes.forEach(KubeProbe::close);
            }
        }
    }

    /**
     * The used heap after full collections: the least of three readings, each after two System.gc() calls, so that
     * the lab's own garbage (its controller keeps writing statuses) does not hide a probe's few megabytes.
     */
    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.gc();
            least = Math.min(least, rt.totalMemory() - rt.freeMemory());
        }
        return least;
    }
}
