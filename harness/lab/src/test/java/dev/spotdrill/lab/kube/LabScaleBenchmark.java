package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * L1: how long a generated cluster takes from start to every pod Ready (each Deployment's readyReplicas at its
 * replicas, each DaemonSet's numberReady at its desired count; then every pod Ready and every PodDisruptionBudget
 * satisfied), wall time, printed as {@code [figure]} lines. The
 * 2,000-node / 20,000-pod run must be Ready within {@code -Dbench.ready2000.bound} (ISO duration, default PT10M);
 * the 5,000 / 50,000 one is measured against the 60 s goal. Run with {@code -Dspotdrill.excludedGroups=
 * -Dtest=LabScaleBenchmark}.
 */
@Tag("benchmark")
class LabScaleBenchmark {
    private static final Duration BOUND_2000 = Duration.parse(System.getProperty("bench.ready2000.bound", "PT10M"));

    @Test
    void twoThousandNodesAndTwentyThousandPodsTurnReadyWithinTheBound() {
        double s = ready(2_000, 20_000, BOUND_2000);
        figure("L1.ready2000", s, "s", 60, "2,000 nodes / 20,000 pods Ready, wall");
        assertThat(s).isLessThan(BOUND_2000.toSeconds());
    }

    @Test
    void fiveThousandNodesAndFiftyThousandPods() {
        double s = ready(5_000, 50_000, Duration.ofMinutes(20), LabScaleBenchmark::reconcileLatency);
        figure("L1.ready5000", s, "s", 60, "5,000 nodes / 50,000 pods Ready, wall");
    }

    /**
     * One change reconciled: a Deployment's pod is deleted, and the time until its replacement is bound to a node
     * (created, scheduled, written) is taken from the API server's storage, 20 times.
     */
    private static void reconcileLatency(LabCluster cluster) {
        KubernetesClient c = cluster.client();
        java.util.concurrent.ConcurrentHashMap<String, Long> bound = new java.util.concurrent.ConcurrentHashMap<>();
        cluster.onStoreChange(ch -> {
            if (ch.after() != null
                    && ch.after().path("kind").asText().equals("Pod")
                    && !ch.after().path("spec").path("nodeName").asText("").isEmpty()
                    && (ch.before() == null
                            || ch.before()
                                    .path("spec")
                                    .path("nodeName")
                                    .asText("")
                                    .isEmpty())) {
                bound.putIfAbsent(
                        ch.after().path("metadata").path("labels").path("app").asText(), System.nanoTime());
            }
        });
        List<Long> lags = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int d = i * 37; // the generator puts Deployment svc-<d> in namespace team-<d % 10>
            String ns = "team-" + (d % 10);
            String app = String.format("svc-%05d", d);
            var pods = c.pods().inNamespace(ns).withLabel("app", app).list().getItems();
            if (pods.isEmpty()) {
                continue;
            }
            bound.remove(app);
            long t0 = System.nanoTime();
            c.pods()
                    .inNamespace(ns)
                    .withName(pods.get(0).getMetadata().getName())
                    .delete();
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(1))
                    .until(() -> bound.containsKey(app));
            lags.add(bound.get(app) - t0);
        }
        lags.sort(null);
        assertThat(lags).hasSize(20);
        figure(
                "L1.reconcile.p50",
                lags.get(lags.size() / 2) / 1e6,
                "ms",
                null,
                "one change reconciled on 5,000 / 50,000: pod deleted -> replacement bound, p50 of " + lags.size());
        figure(
                "L1.reconcile.max",
                lags.get(lags.size() - 1) / 1e6,
                "ms",
                100,
                "one change reconciled on 5,000 / 50,000: pod deleted -> replacement bound, max of " + lags.size());
    }

    /** Any size, for profiling: {@code -Dbench.nodes=500 -Dbench.pods=5000}. */
    @Test
    void sizedByProperties() {
        int nodes = Integer.getInteger("bench.nodes", 0);
        int pods = Integer.getInteger("bench.pods", 0);
        org.junit.jupiter.api.Assumptions.assumeTrue(nodes > 0 && pods > 0, "-Dbench.nodes and -Dbench.pods not set");
        double s = ready(nodes, pods, Duration.ofMinutes(20));
        figure(
                "L1.ready" + nodes,
                s,
                "s",
                60,
                String.format(Locale.ROOT, "%,d nodes / %,d pods Ready, wall", nodes, pods));
    }

    static double ready(int nodes, int pods, Duration bound) {
        return ready(nodes, pods, bound, cluster -> {});
    }

    /** Starts the generated cluster and waits until it is Ready; the wall seconds from the start. Then {@code after}. */
    static double ready(int nodes, int pods, Duration bound, java.util.function.Consumer<LabCluster> after) {
        ClusterSpec spec =
                ClusterGenerator.generate(nodes, pods, 1).withTerminationHandler(TerminationHandlerSpec.disabled());
        long t0 = System.nanoTime();
        try (LabCluster cluster = LabCluster.start(spec, WorldClock.paced(Instant.now(), 60), id -> null)) {
            KubernetesClient c = cluster.client();
            await().atMost(bound).pollInterval(Duration.ofSeconds(1)).until(() -> allReady(c, spec));
            double seconds = (System.nanoTime() - t0) / 1e9;
            long ready = c.pods().inAnyNamespace().list().getItems().stream()
                    .filter(Kube::isPodReady)
                    .count();
            assertThat(ready).isEqualTo(pods);
            assertThat(cluster.unsatisfiedBudgets())
                    .as("PodDisruptionBudgets not satisfied")
                    .isEmpty();
            after.accept(cluster);
            return seconds;
        }
    }

    private static boolean allReady(KubernetesClient c, ClusterSpec spec) {
        List<Deployment> ds = c.apps().deployments().inAnyNamespace().list().getItems();
        if (ds.size() != spec.workloads().size()) {
            return false;
        }
        for (Deployment d : ds) {
            if (d.getStatus() == null
                    || !Objects.equals(
                            d.getStatus().getReadyReplicas(), d.getSpec().getReplicas())) {
                return false;
            }
        }
        for (DaemonSet d : c.apps().daemonSets().inAnyNamespace().list().getItems()) {
            if (d.getStatus() == null
                    || !Objects.equals(
                            d.getStatus().getNumberReady(), spec.nodes().size())) {
                return false;
            }
        }
        return true;
    }

    static void figure(String id, double value, String unit, Number goal, String what) {
        System.out.printf(
                Locale.ROOT,
                "[figure] {\"id\":\"%s\",\"value\":%.2f,\"unit\":\"%s\",\"goal\":%s,\"better\":\"lower\",\"what\":\"%s\"}%n",
                id,
                value,
                unit,
                goal,
                what);
    }
}
