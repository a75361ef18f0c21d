package dev.spotdrill.junit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.KubeAccess;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.FargateObservations;
import dev.spotdrill.core.kube.FargateProbe;
import dev.spotdrill.lab.kube.CapacityType;
import dev.spotdrill.lab.kube.ClusterSpec;
import dev.spotdrill.lab.kube.LabCluster;
import dev.spotdrill.lab.kube.NodeSpec;
import dev.spotdrill.lab.kube.TerminationHandlerSpec;
import dev.spotdrill.lab.kube.WorkloadSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures the Fargate source's detection lag: from an annotation change of the watched Deployment (the request
 * sent, and the API server's answer) to the ANNOTATIONS_CHANGED observation on the timeline. Not a timed assertion:
 * it prints figures. Run it with
 * {@code ./mvnw -B -o -pl extensions -am test -Dtest=FargateProbeBenchmark -Dspotdrill.excludedGroups=
 * -Dsurefire.failIfNoSpecifiedTests=false} and read
 * {@code extensions/target/surefire-reports/dev.spotdrill.junit.bench.FargateProbeBenchmark-output.txt}.
 */
@Tag("benchmark")
class FargateProbeBenchmark {
    static final int CHANGES = Integer.getInteger("bench.changes", 200);

    @Test
    void detectionLagFromAnAnnotationChangeToTheTimeline() {
        WorldClock clock = WorldClock.paced(Instant.now(), 1);
        ClusterSpec spec = ClusterSpec.of(
                        List.of(NodeSpec.of(
                                        "ip-10-0-1-11.ec2.internal",
                                        "i-0c0ffee0000000a01",
                                        "us-east-1a",
                                        "m5.large",
                                        CapacityType.SPOT)
                                .withLabels(Map.of("compute-type", "spot"))),
                        List.of(WorkloadSpec.of("shop", "cart", 2)
                                .withLabels(Map.of("compute-type", "spot"))
                                .withNodeSelector(Map.of("compute-type", "spot"))
                                .withReadinessDelay(Duration.ZERO)))
                .withTerminationHandler(TerminationHandlerSpec.disabled());
        try (LabCluster cluster = LabCluster.start(spec, clock, id -> null)) {
            KubernetesClient admin = cluster.client();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> admin.pods().inNamespace("shop").list().getItems().stream()
                                    .filter(p -> p.getStatus().getConditions().stream()
                                            .anyMatch(c -> c.getType().equals("Ready")
                                                    && c.getStatus().equals("True")))
                                    .count()
                            == 2);
            World world = World.builder("bench")
                    .region("us-east-1")
                    .clock(clock)
                    .kube(KubeAccess.master(cluster.masterUrl()))
                    .build();
            Timeline timeline = new Timeline();
            Map<String, Long> seen = new ConcurrentHashMap<>();
            timeline.subscribe(o -> {
                if (o.kind().equals(FargateObservations.ANNOTATIONS_CHANGED)) {
                    seen.put(o.detail(), System.nanoTime());
                }
            });
            try (FargateProbe probe =
                    FargateProbe.start(world, timeline, List.of("shop/cart"), Set.of("compute-type"), Set.of())) {
                long[] fromSent = new long[CHANGES];
                long[] fromAccepted = new long[CHANGES];
                for (int i = 0; i < CHANGES; i++) {
                    String value = "c" + i;
                    String detail = "shop/cart annotations: bench=" + value + (i == 0 ? "" : " (was c" + (i - 1) + ")");
                    long sent = System.nanoTime();
                    admin.apps()
                            .deployments()
                            .inNamespace("shop")
                            .withName("cart")
                            .edit(d -> {
                                d.getMetadata().getAnnotations().put("bench", value);
                                return d;
                            });
                    long accepted = System.nanoTime();
                    await().atMost(Duration.ofSeconds(30)).until(() -> seen.containsKey(detail));
                    fromSent[i] = seen.get(detail) - sent;
                    fromAccepted[i] = Math.max(0, seen.get(detail) - accepted);
                }
                Arrays.sort(fromSent);
                Arrays.sort(fromAccepted);
                System.out.printf(
                        Locale.ROOT,
                        "Fargate source detection lag, %d annotation changes of shop/cart: from the request sent p50"
                                + " %.1f ms, p99 %.1f ms, max %.1f ms; from the API's answer p50 %.1f ms, p99 %.1f ms%n",
                        CHANGES,
                        fromSent[CHANGES / 2] / 1e6,
                        fromSent[(int) Math.ceil(CHANGES * 0.99) - 1] / 1e6,
                        fromSent[CHANGES - 1] / 1e6,
                        fromAccepted[CHANGES / 2] / 1e6,
                        fromAccepted[(int) Math.ceil(CHANGES * 0.99) - 1] / 1e6);
                assertThat(seen).hasSize(CHANGES);
            }
        }
    }
}
