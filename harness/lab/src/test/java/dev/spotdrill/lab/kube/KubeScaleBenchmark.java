package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Scale figures for the lab cluster, not a timed assertion. Run with
 * {@code -Dtest=KubeScaleBenchmark -Dspotdrill.surefire.argLine=-Dspotdrill.benchmark=true}, or call main().
 */
@Tag("benchmark")
@EnabledIfSystemProperty(named = "spotdrill.benchmark", matches = "true")
class KubeScaleBenchmark {
    private static final int NODES = 500;
    private static final int PODS = 5_000;
    private static final int PATCHES = 200;

    public static void main(String[] args) throws Exception {
        new KubeScaleBenchmark().measure();
    }

    @Test
    void measure() throws Exception {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        try (LabCluster cluster = LabCluster.start(
                ClusterSpec.of(List.of(), List.of()).withTerminationHandler(TerminationHandlerSpec.disabled()),
                WorldClock.paced(Instant.now(), 60),
                id -> null)) {
            KubernetesClient client = cluster.client();

            long t0 = System.nanoTime();
            for (int i = 0; i < NODES; i++) {
                cluster.addNode(NodeSpec.of(
                        "ip-10-1-" + (i / 250) + "-" + (i % 250) + ".ec2.internal",
                        String.format("i-%017x", 0x5000L + i),
                        "us-east-1" + "abc".charAt(i % 3),
                        "m5.large",
                        i % 2 == 0 ? CapacityType.SPOT : CapacityType.ON_DEMAND));
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < PODS; i++) {
                client.pods()
                        .inNamespace("bench")
                        .resource(new PodBuilder()
                                .withNewMetadata()
                                .withName("p-" + i)
                                .withNamespace("bench")
                                .addToLabels("app", "bench")
                                .endMetadata()
                                .withNewSpec()
                                .withNodeName(
                                        "ip-10-1-" + ((i % NODES) / 250) + "-" + ((i % NODES) % 250) + ".ec2.internal")
                                .addNewContainer()
                                .withName("c")
                                .withImage("busybox")
                                .endContainer()
                                .endSpec()
                                .withNewStatus()
                                .withPhase("Running")
                                .endStatus()
                                .build())
                        .create();
            }
            long t2 = System.nanoTime();
            System.gc();
            long heapAfter = rt.totalMemory() - rt.freeMemory();
            assertThat(client.nodes().list().getItems()).hasSize(NODES);

            // informer update-to-event latency over node patches
            Map<String, Long> seen = new ConcurrentHashMap<>();
            CountDownLatch[] latch = {new CountDownLatch(1)};
            SharedIndexInformer<Node> informer = client.nodes().inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Node obj) {}

                @Override
                public void onUpdate(Node oldObj, Node newObj) {
                    String seq = newObj.getMetadata().getLabels().get("bench/seq");
                    if (seq != null && seen.putIfAbsent(seq, System.nanoTime()) == null) {
                        latch[0].countDown();
                    }
                }

                @Override
                public void onDelete(Node obj, boolean deletedFinalStateUnknown) {}
            });
            long[] lat = new long[PATCHES];
            long[] afterAck = new long[PATCHES];
            for (int i = 0; i < PATCHES; i++) {
                String name = "ip-10-1-" + ((i % NODES) / 250) + "-" + ((i % NODES) % 250) + ".ec2.internal";
                String seq = Integer.toString(i);
                latch[0] = new CountDownLatch(1);
                long sent = System.nanoTime();
                client.nodes().withName(name).edit(n -> {
                    n.getMetadata().getLabels().put("bench/seq", seq);
                    return n;
                });
                long acked = System.nanoTime();
                if (!latch[0].await(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("no informer event for patch " + i);
                }
                lat[i] = seen.get(seq) - sent;
                afterAck[i] = Math.max(0, seen.get(seq) - acked);
            }
            informer.close();
            long[] sorted = lat.clone();
            Arrays.sort(sorted);
            List<String> lines = new ArrayList<>();
            lines.add(String.format("nodes: %d created in %d ms", NODES, (t1 - t0) / 1_000_000));
            lines.add(String.format("pods: %d created in %d ms", PODS, (t2 - t1) / 1_000_000));
            lines.add(String.format(
                    "heap used after GC: %d MB before, %d MB after (+%d MB)",
                    heapBefore >> 20, heapAfter >> 20, (heapAfter - heapBefore) >> 20));
            lines.add(String.format(
                    "informer patch->event latency over %d node patches (edit, incl. GET+PATCH round trip):"
                            + " p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                    PATCHES,
                    sorted[PATCHES / 2] / 1e6,
                    sorted[(int) Math.ceil(PATCHES * 0.99) - 1] / 1e6,
                    sorted[PATCHES - 1] / 1e6));
            long[] ack = afterAck.clone();
            Arrays.sort(ack);
            lines.add(String.format(
                    "informer event after the PATCH response: p50 %.1f ms, p99 %.1f ms",
                    ack[PATCHES / 2] / 1e6, ack[(int) Math.ceil(PATCHES * 0.99) - 1] / 1e6));
            // one node's pods, as a per-node probe lists and watches them, against the whole cluster's
            String node0 = "ip-10-1-0-0.ec2.internal";
            long l0 = System.nanoTime();
            int all = client.pods().inAnyNamespace().list().getItems().size();
            long l1 = System.nanoTime();
            int one = client.pods()
                    .inAnyNamespace()
                    .withField("spec.nodeName", node0)
                    .list()
                    .getItems()
                    .size();
            long l2 = System.nanoTime();
            lines.add(String.format(
                    "pod list: all %d in %d ms; spec.nodeName=%s: %d in %d ms",
                    all, (l1 - l0) / 1_000_000, node0, one, (l2 - l1) / 1_000_000));
            lines.forEach(l -> System.out.println("[kube-benchmark] " + l));
        }
    }
}
