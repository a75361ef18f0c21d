package dev.spotdrill.lab.kube;

import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionFactory;

/** Shared helpers for the lab cluster tests: pace 60, fake IMDS per instance, generous waits. */
final class KubeTestSupport implements AutoCloseable {
    static final double PACE = 60;
    final WorldClock clock = WorldClock.paced(Instant.now(), PACE);
    final Map<String, FakeImds> imds = new ConcurrentHashMap<>();
    final Map<String, String> faults = new ConcurrentHashMap<>();
    LabCluster cluster;

    static NodeSpec spot(String name, String id) {
        return NodeSpec.of(name, id, "us-east-1a", "m5.large", CapacityType.SPOT);
    }

    static NodeSpec onDemand(String name, String id) {
        return NodeSpec.of(name, id, "us-east-1b", "m5.large", CapacityType.ON_DEMAND);
    }

    LabCluster start(ClusterSpec spec) {
        for (NodeSpec n : spec.nodes()) {
            imds.computeIfAbsent(n.instanceId(), id -> new FakeImds());
        }
        cluster = LabCluster.start(spec, clock, this::endpoint, () -> Map.copyOf(faults));
        return cluster;
    }

    FakeImds imdsFor(String instanceId) {
        return imds.computeIfAbsent(instanceId, id -> new FakeImds());
    }

    private URI endpoint(String instanceId) {
        FakeImds f = imds.get(instanceId);
        return f == null ? null : f.endpoint();
    }

    KubernetesClient client() {
        return cluster.client();
    }

    static ConditionFactory waitUpTo() {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50));
    }

    List<Pod> pods(String namespace, String app) {
        return client().pods()
                .inNamespace(namespace)
                .withLabel("app", app)
                .list()
                .getItems();
    }

    List<Pod> readyPods(String namespace, String app) {
        return pods(namespace, app).stream().filter(Kube::isPodReady).toList();
    }

    Map<String, Long> podsPerNode(String namespace, String app) {
        return pods(namespace, app).stream()
                .filter(p -> p.getSpec().getNodeName() != null)
                .collect(Collectors.groupingBy(p -> p.getSpec().getNodeName(), Collectors.counting()));
    }

    Node node(String name) {
        return client().nodes().withName(name).get();
    }

    @Override
    public void close() {
        if (cluster != null) {
            cluster.close();
        }
        imds.values().forEach(FakeImds::close);
    }
}
