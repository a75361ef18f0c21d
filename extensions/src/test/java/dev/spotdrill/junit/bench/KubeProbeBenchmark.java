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
import dev.spotdrill.core.kube.LabelSelector;
import dev.spotdrill.core.kube.NodeTargets;
import dev.spotdrill.lab.kube.CapacityType;
import dev.spotdrill.lab.kube.ClusterSpec;
import dev.spotdrill.lab.kube.LabCluster;
import dev.spotdrill.lab.kube.NodeSpec;
import dev.spotdrill.lab.kube.TerminationHandlerSpec;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures the Kubernetes probe on a large lab cluster: detection lag from the API server accepting a node change
 * to the probe's observation, the probe's heap, and node target resolution time. Not a timed assertion: it prints
 * figures. Run it with
 * {@code ./mvnw -B -o -pl extensions -am verify -Dtest=KubeProbeBenchmark -Dspotdrill.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false}
 * and read {@code extensions/target/surefire-reports/dev.spotdrill.junit.bench.KubeProbeBenchmark-output.txt}.
 * Sizes: {@code -Dbench.nodes=500 -Dbench.pods=5000} (pods are created directly through the API, without the lab's
 * controller, already bound and Ready).
 */
@Tag("benchmark")
class KubeProbeBenchmark {
    static final int NODES = Integer.getInteger("bench.nodes", 500);
    static final int PODS = Integer.getInteger("bench.pods", 5000);
    static final int CHANGES = Integer.getInteger("bench.changes", 200);

    @Test
    void detectionLagHeapAndResolution() throws Exception {
        WorldClock clock = WorldClock.paced(Instant.now(), 1);
        try (LabCluster cluster = LabCluster.start(
                ClusterSpec.of(nodes(NODES), List.of()).withTerminationHandler(TerminationHandlerSpec.disabled()),
                clock,
                id -> null)) {
            KubernetesClient admin = cluster.client();
            long t0 = System.nanoTime();
            createPods(admin, PODS, NODES);
            System.out.printf(Locale.ROOT, "cluster: %d nodes, %d pods created in %.1f s%n", NODES, PODS, secs(t0));
            World world = World.builder("bench")
                    .region("us-east-1")
                    .clock(clock)
                    .kube(KubeAccess.master(cluster.masterUrl()))
                    .build();

            resolution(world, NODES);

            String node = name(7);
            Target target = new Target(instanceId(7), "m5.large", "us-east-1a", node, Map.of());
            Timeline timeline = new Timeline();
            Map<String, Long> seen = new ConcurrentHashMap<>();
            timeline.subscribe(o -> {
                if (o.kind().equals(KubeObservations.TAINT_ADDED) || o.kind().equals(KubeObservations.TAINT_REMOVED)) {
                    seen.put(o.kind() + "|" + o.data().get("value"), System.nanoTime());
                }
            });
            long heap0 = usedHeap();
            long s0 = System.nanoTime();
            try (KubeProbe probe = KubeProbe.start(world, List.of(target), List.of(), timeline)) {
                double syncSeconds = secs(s0);
                long heap1 = usedHeap();
                long[] lags = new long[CHANGES];
                for (int i = 0; i < CHANGES; i++) {
                    String value = "c" + i;
                    boolean add = i % 2 == 0;
                    String key = add ? KubeObservations.TAINT_ADDED : KubeObservations.TAINT_REMOVED;
                    String tv = add ? value : "c" + (i - 1);
                    admin.nodes().withName(node).edit(n -> {
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
                    long accepted = System.nanoTime();
                    await().atMost(Duration.ofSeconds(30)).until(() -> seen.containsKey(key + "|" + tv));
                    lags[i] = Math.max(0, seen.get(key + "|" + tv) - accepted);
                }
                long heap2 = usedHeap();
                Arrays.sort(lags);
                System.out.printf(
                        Locale.ROOT,
                        "probe: synced on %d nodes / %d pods in %.2f s; heap +%.1f MB after sync, +%.1f MB after %d"
                                + " changes%n",
                        NODES,
                        PODS,
                        syncSeconds,
                        (heap1 - heap0) / 1e6,
                        (heap2 - heap0) / 1e6,
                        CHANGES);
                System.out.printf(
                        Locale.ROOT,
                        "detection lag (API accepted -> observation), %d node changes: p50 %.1f ms, p99 %.1f ms, max"
                                + " %.1f ms%n",
                        CHANGES,
                        lags[CHANGES / 2] / 1e6,
                        lags[(int) Math.ceil(CHANGES * 0.99) - 1] / 1e6,
                        lags[CHANGES - 1] / 1e6);
                assertThat(timeline.observations().stream().filter(o -> o.kind().startsWith("TAINT_")))
                        .hasSize(CHANGES);
            }
        }
        try (LabCluster big = LabCluster.start(
                ClusterSpec.of(nodes(10 * NODES), List.of()).withTerminationHandler(TerminationHandlerSpec.disabled()),
                clock,
                id -> null)) {
            resolution(
                    World.builder("bench")
                            .region("us-east-1")
                            .clock(clock)
                            .kube(KubeAccess.master(big.masterUrl()))
                            .build(),
                    10 * NODES);
        }
    }

    static void resolution(World world, int nodes) {
        List<Long> times = new ArrayList<>();
        int matched = 0;
        for (int i = 0; i < 21; i++) {
            long t = System.nanoTime();
            matched = NodeTargets.find(world, "workload=checkout,eks.amazonaws.com/capacityType=SPOT")
                    .size();
            times.add(System.nanoTime() - t);
        }
        times.sort(null);
        System.out.printf(
                Locale.ROOT,
                "node target resolution at %d nodes (%d match, new client each time): p50 %.1f ms, max %.1f ms%n",
                nodes,
                matched,
                times.get(10) / 1e6,
                times.get(20) / 1e6);
        assertThat(LabelSelector.parse("workload=checkout").matches(Map.of("workload", "checkout")))
                .isTrue();
    }

    static List<NodeSpec> nodes(int n) {
        List<NodeSpec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(NodeSpec.of(
                            name(i),
                            instanceId(i),
                            i % 2 == 0 ? "us-east-1a" : "us-east-1b",
                            "m5.large",
                            i % 5 == 4 ? CapacityType.ON_DEMAND : CapacityType.SPOT)
                    .withLabels(Map.of("workload", i % 10 == 7 ? "checkout" : "web")));
        }
        return out;
    }

    static void createPods(KubernetesClient admin, int pods, int nodes) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch done = new CountDownLatch(pods);
        for (int i = 0; i < pods; i++) {
            int k = i;
            pool.execute(() -> {
                try {
                    admin.pods()
                            .inNamespace("bench")
                            .resource(new PodBuilder()
                                    .withNewMetadata()
                                    .withName("p-" + k)
                                    .withNamespace("bench")
                                    .withUid("uid-" + k)
                                    .addToLabels("app", "bench")
                                    .endMetadata()
                                    .withNewSpec()
                                    .withNodeName(name(k % nodes))
                                    .addNewContainer()
                                    .withName("c")
                                    .withImage("bench:1")
                                    .endContainer()
                                    .endSpec()
                                    .withNewStatus()
                                    .withPhase("Running")
                                    .addNewCondition()
                                    .withType("Ready")
                                    .withStatus("True")
                                    .endCondition()
                                    .endStatus()
                                    .build())
                            .create();
                } finally {
                    done.countDown();
                }
            });
        }
        done.await(10, TimeUnit.MINUTES);
        pool.shutdownNow();
    }

    static String name(int i) {
        return "ip-10-1-" + (i / 250) + "-" + (i % 250) + ".ec2.internal";
    }

    static String instanceId(int i) {
        return String.format("i-0%016x", 0xbe0000L + i);
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
