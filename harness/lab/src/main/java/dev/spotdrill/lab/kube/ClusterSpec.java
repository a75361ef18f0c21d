package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the lab's Kubernetes cluster holds at start: nodes, Deployments, DaemonSets and the reference
 * termination handler's settings.
 *
 * <p>Fargate: pods that match a {@linkplain FargateSpec Fargate profile} run on virtual nodes of their own; see
 * {@link FargateSpec}.
 *
 * @param nodes the nodes, each backed by one instance
 * @param workloads the Deployments (with optional PodDisruptionBudgets)
 * @param daemonSets the DaemonSets
 * @param terminationHandler the reference termination handler's settings
 * @param nodeDeletionDelay world time from an instance's termination until its node object is deleted; default
 *     PT30S
 * @param fargate the Fargate profiles and startup delay; default none
 */
public record ClusterSpec(
        List<NodeSpec> nodes,
        List<WorkloadSpec> workloads,
        List<DaemonSetSpec> daemonSets,
        TerminationHandlerSpec terminationHandler,
        Duration nodeDeletionDelay,
        FargateSpec fargate) {

    /** The node deletion delay when none is given. */
    public static final Duration DEFAULT_NODE_DELETION_DELAY = Duration.ofSeconds(30);

    public ClusterSpec {
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        workloads = workloads == null ? List.of() : List.copyOf(workloads);
        daemonSets = daemonSets == null ? List.of() : List.copyOf(daemonSets);
        terminationHandler = terminationHandler == null ? TerminationHandlerSpec.defaults() : terminationHandler;
        nodeDeletionDelay = nodeDeletionDelay == null ? DEFAULT_NODE_DELETION_DELAY : nodeDeletionDelay;
        fargate = fargate == null ? FargateSpec.none() : fargate;
        if (nodeDeletionDelay.isNegative()) {
            throw new SpotDrillConfigurationException(
                    "nodeDeletionDelay is " + nodeDeletionDelay + "; use PT0S or more, e.g. PT30S");
        }
        unique(nodes.stream().map(NodeSpec::name).toList(), "node name");
        unique(nodes.stream().map(NodeSpec::instanceId).toList(), "node instance id");
        unique(workloads.stream().map(w -> w.namespace() + "/" + w.name()).toList(), "workload");
        unique(daemonSets.stream().map(d -> d.namespace() + "/" + d.name()).toList(), "daemonSet");
    }

    /** A cluster of the given nodes and workloads, no DaemonSets, NTH defaults. */
    public static ClusterSpec of(List<NodeSpec> nodes, List<WorkloadSpec> workloads) {
        return new ClusterSpec(nodes, workloads, List.of(), null, null, null);
    }

    /** This spec with other nodes (for example the instances with the ids the lab generated). */
    public ClusterSpec withNodes(List<NodeSpec> newNodes) {
        return new ClusterSpec(newNodes, workloads, daemonSets, terminationHandler, nodeDeletionDelay, fargate);
    }

    /** This spec with other DaemonSets. */
    public ClusterSpec withDaemonSets(List<DaemonSetSpec> newDaemonSets) {
        return new ClusterSpec(nodes, workloads, newDaemonSets, terminationHandler, nodeDeletionDelay, fargate);
    }

    /** This spec with other termination-handler settings. */
    public ClusterSpec withTerminationHandler(TerminationHandlerSpec handler) {
        return new ClusterSpec(nodes, workloads, daemonSets, handler, nodeDeletionDelay, fargate);
    }

    /** This spec with another node deletion delay. */
    public ClusterSpec withNodeDeletionDelay(Duration delay) {
        return new ClusterSpec(nodes, workloads, daemonSets, terminationHandler, delay, fargate);
    }

    /** This spec with another Fargate setup. */
    public ClusterSpec withFargate(FargateSpec newFargate) {
        return new ClusterSpec(nodes, workloads, daemonSets, terminationHandler, nodeDeletionDelay, newFargate);
    }

    /**
     * Reads a scenario's {@code instances} (only each one's {@code node:}), {@code workloads}, {@code daemonSets},
     * {@code responders.terminationHandler}, {@code kube.nodeDeletionDelay} and {@code fargate}. An instance with {@code count: N}
     * gives N nodes: ids are counted up from its {@code id} (or generated), and names come from a {@code {i}} in
     * its node name (or are generated as EKS does: {@code ip-10-0-<zone>-<n>.ec2.internal}). When the lab
     * generates the instance ids itself, build the nodes from those and use {@link #withNodes(List)}.
     *
     * @throws SpotDrillConfigurationException naming the scenario path, the value and the fix
     */
    public static ClusterSpec fromYaml(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new SpotDrillConfigurationException("scenario root must be a YAML mapping, was "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        List<NodeSpec> nodes = new ArrayList<>();
        Map<String, Integer> perZone = new HashMap<>();
        int generated = 0;
        JsonNode instances = list(root, "instances");
        for (int i = 0; i < instances.size(); i++) {
            String at = "instances[" + i + "]";
            JsonNode inst = instances.get(i);
            int count = intField(inst, "count", 1, at);
            if (count < 1) {
                throw new SpotDrillConfigurationException(at + ".count is " + count + "; use 1 or more");
            }
            JsonNode node = inst.get("node");
            String zone = text(inst, "zone", "us-east-1a", at);
            String type = text(inst, "type", "m5.large", at);
            CapacityType capacity = CapacityType.parse(text(inst, "lifecycle", "on-demand", at));
            String baseId = text(inst, "id", null, at);
            for (int k = 0; k < count; k++) {
                String id = baseId == null
                        ? String.format("i-0%016x", 0x5d0000000000a00L + ++generated)
                        : idPlus(baseId, k, at);
                if (node == null || node.isNull()) {
                    continue;
                }
                String nodeAt = at + ".node";
                String name = text(node, "name", null, nodeAt);
                if (name == null || (count > 1 && !name.contains("{i}"))) {
                    if (name != null) {
                        throw new SpotDrillConfigurationException(nodeAt + ".name '" + name + "' names " + count
                                + " nodes (count: " + count + "); put {i} in it, e.g. checkout-{i}.ec2.internal, or"
                                + " leave it out to get EKS-style names");
                    }
                    int zoneIndex = zone.charAt(zone.length() - 1) - 'a' + 1;
                    int n = perZone.merge(zone, 1, Integer::sum);
                    name = "ip-10-0-" + zoneIndex + "-" + (10 + n) + ".ec2.internal";
                } else {
                    name = name.replace("{i}", Integer.toString(k));
                }
                try {
                    nodes.add(new NodeSpec(
                            name, id, zone, type, capacity, stringMap(node, "labels", nodeAt), taints(node, nodeAt)));
                } catch (SpotDrillConfigurationException e) {
                    throw new SpotDrillConfigurationException(at + ": " + e.getMessage());
                }
            }
        }
        List<WorkloadSpec> workloads = new ArrayList<>();
        JsonNode ws = list(root, "workloads");
        for (int i = 0; i < ws.size(); i++) {
            String at = "workloads[" + i + "]";
            JsonNode w = ws.get(i);
            try {
                workloads.add(new WorkloadSpec(
                        text(w, "namespace", "default", at),
                        text(w, "name", null, at),
                        intField(w, "replicas", 1, at),
                        stringMap(w, "nodeSelector", at),
                        tolerations(w, at),
                        pdb(w, at),
                        duration(w, "readinessDelay", null, at),
                        stringMap(w, "labels", at)));
            } catch (SpotDrillConfigurationException e) {
                throw e.getMessage().startsWith(at)
                        ? e
                        : new SpotDrillConfigurationException(at + ": " + e.getMessage());
            }
        }
        List<DaemonSetSpec> daemonSets = new ArrayList<>();
        JsonNode ds = list(root, "daemonSets");
        for (int i = 0; i < ds.size(); i++) {
            String at = "daemonSets[" + i + "]";
            try {
                daemonSets.add(new DaemonSetSpec(
                        text(ds.get(i), "namespace", "default", at), text(ds.get(i), "name", null, at)));
            } catch (SpotDrillConfigurationException e) {
                throw new SpotDrillConfigurationException(at + ": " + e.getMessage());
            }
        }
        TerminationHandlerSpec handler = TerminationHandlerSpec.defaults();
        JsonNode th = root.path("responders").path("terminationHandler");
        if (!th.isMissingNode() && !th.isNull()) {
            String at = "responders.terminationHandler";
            Set<String> onNodes = new HashSet<>();
            JsonNode nodeList = th.path("nodes");
            if (nodeList.isArray()) {
                nodeList.forEach(n -> onNodes.add(n.asText()));
            }
            try {
                handler = new TerminationHandlerSpec(
                        bool(th, "enabled", true, at),
                        onNodes,
                        bool(th, "onDemandNodes", false, at),
                        bool(th, "rebalanceMonitoring", false, at),
                        bool(th, "rebalanceDraining", false, at),
                        text(th, "taintEffect", "NoSchedule", at),
                        Optional.ofNullable(duration(th, "podGracePeriod", null, at)),
                        duration(th, "pollInterval", null, at),
                        mode(text(th, "mode", "imds", at), at));
            } catch (SpotDrillConfigurationException e) {
                throw e.getMessage().startsWith(at)
                        ? e
                        : new SpotDrillConfigurationException(at + ": " + e.getMessage());
            }
        }
        Duration deletion = duration(root.path("kube"), "nodeDeletionDelay", null, "kube");
        return new ClusterSpec(nodes, workloads, daemonSets, handler, deletion, FargateSpec.fromYaml(root));
    }

    private static TerminationHandlerSpec.Mode mode(String mode, String at) {
        return switch (mode.toLowerCase(java.util.Locale.ROOT)) {
            case "imds" -> TerminationHandlerSpec.Mode.IMDS;
            case "queue" -> TerminationHandlerSpec.Mode.QUEUE;
            default ->
                throw new SpotDrillConfigurationException(at + ".mode '" + mode
                        + "' is not a handler mode; use imds (the default: it polls IMDS) or queue (it consumes its"
                        + " EventBridge rules' SQS queue)");
        };
    }

    private static String idPlus(String baseId, int k, String at) {
        if (!baseId.matches("i-[0-9a-f]{8,17}")) {
            throw new SpotDrillConfigurationException(
                    at + ".id '" + baseId + "' is not an EC2 instance id; use i- followed by 8 or 17 hex digits");
        }
        if (k == 0) {
            return baseId;
        }
        String hex = baseId.substring(2);
        String next = new BigInteger(hex, 16).add(BigInteger.valueOf(k)).toString(16);
        if (next.length() > hex.length()) {
            throw new SpotDrillConfigurationException(at + ".id '" + baseId + "' cannot be counted up " + k + " times");
        }
        return "i-" + "0".repeat(hex.length() - next.length()) + next;
    }

    private static Optional<PdbSpec> pdb(JsonNode w, String at) {
        JsonNode p = w.get("pdb");
        if (p == null || p.isNull()) {
            return Optional.empty();
        }
        Optional<String> min = Optional.ofNullable(p.get("minAvailable")).map(JsonNode::asText);
        Optional<String> max = Optional.ofNullable(p.get("maxUnavailable")).map(JsonNode::asText);
        return Optional.of(new PdbSpec(min, max));
    }

    private static List<TolerationSpec> tolerations(JsonNode w, String at) {
        List<TolerationSpec> out = new ArrayList<>();
        JsonNode ts = list(w, "tolerations");
        for (int i = 0; i < ts.size(); i++) {
            JsonNode t = ts.get(i);
            String tat = at + ".tolerations[" + i + "]";
            out.add(new TolerationSpec(
                    text(t, "key", "", tat),
                    text(t, "operator", "Equal", tat),
                    text(t, "value", "", tat),
                    text(t, "effect", "", tat)));
        }
        return out;
    }

    private static List<TaintSpec> taints(JsonNode node, String at) {
        List<TaintSpec> out = new ArrayList<>();
        JsonNode ts = list(node, "taints");
        for (int i = 0; i < ts.size(); i++) {
            JsonNode t = ts.get(i);
            String tat = at + ".taints[" + i + "]";
            out.add(new TaintSpec(
                    text(t, "key", null, tat), text(t, "value", "", tat), text(t, "effect", "NoSchedule", tat)));
        }
        return out;
    }

    static JsonNode list(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
        }
        if (!n.isArray()) {
            throw new SpotDrillConfigurationException(field + " must be a YAML list, was "
                    + n.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        return n;
    }

    static String text(JsonNode parent, String field, String dflt, String at) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isValueNode()) {
            throw new SpotDrillConfigurationException(at + "." + field + " must be a plain value, was " + n);
        }
        return n.asText();
    }

    private static int intField(JsonNode parent, String field, int dflt, String at) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.canConvertToInt() || !(n.isIntegralNumber() || n.asText().matches("-?\\d+"))) {
            throw new SpotDrillConfigurationException(at + "." + field + " '" + n.asText() + "' is not a whole number");
        }
        return n.isIntegralNumber() ? n.intValue() : Integer.parseInt(n.asText());
    }

    private static boolean bool(JsonNode parent, String field, boolean dflt, String at) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        String v = n.asText();
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new SpotDrillConfigurationException(
                at + "." + field + " '" + v + "' is not a boolean; use true or false");
    }

    static Duration duration(JsonNode parent, String field, Duration dflt, String at) {
        String v = parent.isMissingNode() ? null : text(parent, field, null, at);
        if (v == null) {
            return dflt;
        }
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            throw new SpotDrillConfigurationException(
                    at + "." + field + " '" + v + "' is not an ISO-8601 duration; write e.g. PT5S");
        }
    }

    static Map<String, String> stringMap(JsonNode parent, String field, String at) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return Map.of();
        }
        if (!n.isObject()) {
            throw new SpotDrillConfigurationException(at + "." + field + " must be a mapping of strings, was " + n);
        }
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static void unique(List<String> values, String what) {
        Set<String> seen = new HashSet<>();
        for (String v : values) {
            if (!seen.add(v)) {
                throw new SpotDrillConfigurationException(
                        "duplicate " + what + " '" + v + "'; every " + what + " must be unique in a scenario");
            }
        }
    }
}
