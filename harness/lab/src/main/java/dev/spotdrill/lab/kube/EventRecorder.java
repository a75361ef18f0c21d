package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events for the lab's controllers, kubelets and reference handlers, written straight into the
 * API server's store with the real components' reasons and sources, so that {@code kubectl get events} and
 * {@code kubectl describe node} tell the story. Timestamps are world time. Identical events (same object, reason,
 * message and source) are aggregated as the real event recorder does: the count goes up and lastTimestamp moves.
 */
final class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    static final String SCHEDULER = "default-scheduler";
    static final String NODE_CONTROLLER = "node-controller";
    static final String KUBELET = "kubelet";
    static final String TAINT_MANAGER = "taint-eviction-controller";

    private final ApiStore store;
    private final WorldClock clock;
    private final ApiResources.Type events = ApiResources.require("v1", "events");
    private final ApiResources.Type nodes = ApiResources.require("v1", "nodes");
    private final ApiResources.Type pods = ApiResources.require("v1", "pods");
    private final Map<String, String[]> recorded = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    EventRecorder(ApiStore store, WorldClock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** A node event, e.g. NTH's Cordon or the node controller's NodeNotReady. */
    void node(String nodeName, String type, String reason, String message, String component) {
        ObjectNode node = store.get(nodes, null, nodeName);
        ObjectNode ref = JsonNodeFactory.instance.objectNode();
        ref.put("kind", "Node");
        ref.put("name", nodeName);
        ref.put(
                "uid",
                node == null ? nodeName : node.path("metadata").path("uid").asText(nodeName));
        ref.put("apiVersion", "v1");
        record("default", ref, type, reason, message, component, nodeName);
    }

    /** A pod event, e.g. the scheduler's Scheduled or the kubelet's Killing. */
    void pod(JsonNode pod, String fieldPath, String type, String reason, String message, String component) {
        JsonNode meta = pod.path("metadata");
        ObjectNode ref = JsonNodeFactory.instance.objectNode();
        ref.put("kind", "Pod");
        ref.put("namespace", meta.path("namespace").asText());
        ref.put("name", meta.path("name").asText());
        ref.put("uid", meta.path("uid").asText());
        ref.put("apiVersion", "v1");
        if (fieldPath != null) {
            ref.put("fieldPath", fieldPath);
        }
        String host = pod.path("spec").path("nodeName").asText("");
        record(meta.path("namespace").asText("default"), ref, type, reason, message, component, host);
    }

    void pod(Pod pod, String type, String reason, String message, String component) {
        ObjectNode stored = store.get(
                pods, pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        pod(stored != null ? stored : fallback(pod), null, type, reason, message, component);
    }

    private static ObjectNode fallback(Pod pod) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ObjectNode meta = o.putObject("metadata");
        meta.put("namespace", pod.getMetadata().getNamespace());
        meta.put("name", pod.getMetadata().getName());
        meta.put("uid", pod.getMetadata().getUid());
        if (pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
            o.putObject("spec").put("nodeName", pod.getSpec().getNodeName());
        }
        return o;
    }

    // ------------------------------------------------------------------ the lab's own components

    void scheduled(Pod pod, String nodeName) {
        pod(
                pod,
                "Normal",
                "Scheduled",
                "Successfully assigned " + pod.getMetadata().getNamespace() + "/"
                        + pod.getMetadata().getName() + " to " + nodeName,
                SCHEDULER);
    }

    void failedScheduling(Pod pod, List<Node> candidates) {
        pod(pod, "Warning", "FailedScheduling", unschedulableMessage(pod, candidates), SCHEDULER);
    }

    /** The kubelet stops a deleted pod's containers. */
    void killing(JsonNode pod) {
        for (JsonNode c : pod.path("spec").path("containers")) {
            String name = c.path("name").asText();
            pod(pod, "spec.containers{" + name + "}", "Normal", "Killing", "Stopping container " + name, KUBELET);
        }
    }

    void taintEviction(Pod pod) {
        pod(
                pod,
                "Normal",
                "TaintManagerEviction",
                "Marking for deletion Pod " + pod.getMetadata().getNamespace() + "/"
                        + pod.getMetadata().getName(),
                TAINT_MANAGER);
    }

    void registeredNode(String nodeName) {
        node(
                nodeName,
                "Normal",
                "RegisteredNode",
                "Node " + nodeName + " event: Registered Node " + nodeName + " in Controller",
                NODE_CONTROLLER);
    }

    void nodeNotReady(String nodeName) {
        node(nodeName, "Normal", "NodeNotReady", "Node " + nodeName + " status is now: NodeNotReady", NODE_CONTROLLER);
    }

    void removingNode(String nodeName) {
        node(
                nodeName,
                "Normal",
                "RemovingNode",
                "Node " + nodeName + " event: Removing Node " + nodeName + " from Controller",
                NODE_CONTROLLER);
    }

    /** The scheduler's explanation, e.g. "0/7 nodes are available: 3 node(s) were unschedulable, ...". */
    static String unschedulableMessage(Pod pod, List<Node> nodes) {
        Map<String, Integer> reasons = new TreeMap<>();
        for (Node n : nodes) {
            String why = whyNot(pod, n);
            if (why != null) {
                reasons.merge(why, 1, Integer::sum);
            }
        }
        StringBuilder sb = new StringBuilder("0/" + nodes.size() + " nodes are available");
        if (!reasons.isEmpty()) {
            sb.append(": ");
            StringBuilder parts = new StringBuilder();
            reasons.forEach((why, count) -> {
                if (parts.length() > 0) {
                    parts.append(", ");
                }
                parts.append(count).append(" node(s) ").append(why);
            });
            sb.append(parts);
        }
        sb.append(". preemption: 0/")
                .append(nodes.size())
                .append(" nodes are available: ")
                .append(nodes.size())
                .append(" Preemption is not helpful for scheduling.");
        return sb.toString();
    }

    private static String whyNot(Pod pod, Node node) {
        if (!Kube.isNodeReady(node)) {
            return "were not ready";
        }
        if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
            Taint cordon = new TaintBuilder()
                    .withKey("node.kubernetes.io/unschedulable")
                    .withEffect("NoSchedule")
                    .build();
            if (!Kube.tolerates(pod.getSpec().getTolerations(), cordon)) {
                return "were unschedulable";
            }
        }
        if (!Kube.selectorMatches(pod.getSpec().getNodeSelector(), LabController.labelsOf(node.getMetadata()))) {
            return "didn't match Pod's node affinity/selector";
        }
        if (node.getSpec().getTaints() != null) {
            for (Taint t : node.getSpec().getTaints()) {
                if (("NoSchedule".equals(t.getEffect()) || "NoExecute".equals(t.getEffect()))
                        && !Kube.tolerates(pod.getSpec().getTolerations(), t)) {
                    return "had untolerated taint {" + t.getKey() + ": " + (t.getValue() == null ? "" : t.getValue())
                            + "}";
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ storage

    private void record(
            String namespace,
            ObjectNode involved,
            String type,
            String reason,
            String message,
            String component,
            String host) {
        String key = String.join(
                "\u0000",
                namespace,
                involved.path("kind").asText(),
                involved.path("name").asText(),
                involved.path("uid").asText(),
                involved.path("fieldPath").asText(""),
                type,
                reason,
                message,
                component,
                host == null ? "" : host);
        String now = ApiStore.timestamp(clock.now());
        try {
            store.atomically(() -> {
                String[] existing = recorded.get(key);
                if (existing != null && store.get(events, existing[0], existing[1]) != null) {
                    store.update(events, existing[0], existing[1], e -> {
                        e.put("count", e.path("count").asInt(1) + 1);
                        e.put("lastTimestamp", now);
                        ((ObjectNode) e.get("metadata")).remove("resourceVersion");
                        return e;
                    });
                    return null;
                }
                ObjectNode e = JsonNodeFactory.instance.objectNode();
                e.put("apiVersion", "v1");
                e.put("kind", "Event");
                String name = involved.path("name").asText() + "."
                        + Long.toHexString(eventNanos(clock.now()) + sequence.incrementAndGet());
                e.putObject("metadata").put("name", name).put("namespace", namespace);
                e.set("involvedObject", involved);
                e.put("reason", reason);
                e.put("message", message);
                ObjectNode source = e.putObject("source");
                source.put("component", component);
                if (host != null && !host.isEmpty()) {
                    source.put("host", host);
                }
                e.put("firstTimestamp", now);
                e.put("lastTimestamp", now);
                e.put("count", 1);
                e.put("type", type);
                e.put("reportingComponent", component);
                e.put("reportingInstance", host == null ? "" : host);
                store.create(events, namespace, e);
                recorded.put(key, new String[] {namespace, name});
                return null;
            });
        } catch (ApiException e) {
            LOG.debug(
                    "event {} for {} not recorded: {}",
                    reason,
                    involved.path("name").asText(),
                    e.getMessage());
        }
    }

    private static long eventNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
