package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.List;
import java.util.Random;

/**
 * Generates a large, EKS-like cluster: N nodes (Spot and on-demand, several instance types, three zones) and M pods in
 * Deployments (most with a PodDisruptionBudget) and DaemonSets, the same for the same seed.
 *
 * <p>From a scenario YAML, {@code generate: {nodes: 50, pods: 500, seed: 1}} adds the generated instances (each
 * backing a node), workloads and daemonSets to those the scenario lists ({@link #expand(JsonNode)}); from code,
 * {@link #generate(int, int, long)} gives the {@link ClusterSpec}. Of the M pods, the DaemonSets run one per node
 * (two DaemonSets, aws-node and kube-proxy, when there are at least four pods per node, one when at least one,
 * else none; one the scenario already lists is not added again) and Deployments
 * of 2 to 20 replicas in ten {@code team-N} namespaces hold the rest. Nodes and pod templates carry a {@code team}
 * label, for selectors.
 */
public final class ClusterGenerator {
    /** The most nodes a scenario may generate. */
    public static final int MAX_NODES = 20_000;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] TYPES = {"m5.large", "m5.xlarge", "c5.xlarge", "c5.2xlarge", "r5.large", "m6i.large"};
    private static final int[] REPLICAS = {2, 3, 3, 5, 5, 8, 10, 12, 20};
    private static final int TEAMS = 10;

    private ClusterGenerator() {}

    /**
     * The cluster for the given sizes and seed.
     *
     * @param nodes how many nodes, 1 to {@value #MAX_NODES}
     * @param pods how many pods in all (DaemonSet pods included), at least 0
     * @param seed the random seed: the same seed gives the same cluster
     * @throws SpotDrillConfigurationException when a size is out of range
     */
    public static ClusterSpec generate(int nodes, int pods, long seed) {
        ObjectNode root = NODES.objectNode();
        add(root, nodes, pods, seed, "us-east-1", "generate");
        return ClusterSpec.fromYaml(root);
    }

    /**
     * The scenario tree with its {@code generate} section expanded into instances, workloads and daemonSets (added
     * after those it lists); the tree itself when it has no such section.
     *
     * @throws SpotDrillConfigurationException when the section is malformed, naming the field and the fix
     */
    public static JsonNode expand(JsonNode root) {
        if (root == null || !root.isObject() || !root.has("generate")) {
            return root;
        }
        JsonNode g = root.get("generate");
        if (!g.isObject()) {
            throw new SpotDrillConfigurationException(
                    "generate is " + g + "; write it as a mapping, e.g. generate: {nodes: 50, pods: 500, seed: 1}");
        }
        for (var it = g.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!List.of("nodes", "pods", "seed").contains(k)) {
                throw new SpotDrillConfigurationException(
                        "generate." + k + " is not a generator field; use only nodes, pods and seed");
            }
        }
        int nodes = whole(g, "nodes", -1);
        int pods = whole(g, "pods", 0);
        long seed = whole(g, "seed", 1);
        ObjectNode out = ((ObjectNode) root).deepCopy();
        out.remove("generate");
        add(out, nodes, pods, seed, root.path("region").asText("us-east-1"), "generate");
        return out;
    }

    private static int whole(JsonNode g, String field, int dflt) {
        JsonNode v = g.get(field);
        if (v == null) {
            if (dflt < 0) {
                throw new SpotDrillConfigurationException(
                        "generate." + field + " is missing; give the number of nodes, e.g. generate: {nodes: 50}");
            }
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw new SpotDrillConfigurationException(
                    "generate." + field + " is " + v + "; use a whole number of 0 or more, e.g. " + field + ": 50");
        }
        return v.asInt();
    }

    private static void add(ObjectNode root, int nodes, int pods, long seed, String region, String at) {
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new SpotDrillConfigurationException(
                    at + ".nodes is " + nodes + "; use 1 to " + MAX_NODES + " nodes, e.g. nodes: 50");
        }
        if (pods < 0) {
            throw new SpotDrillConfigurationException(at + ".pods is " + pods + "; use 0 or more, e.g. pods: 500");
        }
        Random rnd = new Random(seed);
        ArrayNode instances = array(root, "instances");
        long base = 0x6e00000000000L + (Math.floorMod(seed, 0x10000L) << 24);
        for (int i = 0; i < nodes; i++) {
            int zone = i % 3;
            String z = region + (char) ('a' + zone);
            // the first node is on-demand, the second Spot, then about 70% Spot
            boolean spot = i == 1 || (i != 0 && rnd.nextInt(10) < 7);
            String type = TYPES[rnd.nextInt(TYPES.length)];
            ObjectNode inst = instances.addObject();
            inst.put("id", String.format("i-0%016x", base + i));
            inst.put("type", type);
            inst.put("zone", z);
            inst.put("lifecycle", spot ? "spot" : "on-demand");
            // drills may interrupt them (the guardrail's opt-in tag), as in the built-in scenarios
            inst.putObject("tags").put("spotdrill/allowed", "true").put("team", "team-" + (i % TEAMS));
            ObjectNode node = inst.putObject("node");
            node.put("name", "ip-10-" + (20 + zone) + "-" + (i / 250) + "-" + (i % 250 + 1) + ".ec2.internal");
            ObjectNode labels = node.putObject("labels");
            labels.put("team", "team-" + (i % TEAMS));
            labels.put(
                    "spotdrill.dev/pool",
                    type.startsWith("c") ? "compute" : type.startsWith("r") ? "memory" : "general");
        }
        int daemonSets = pods >= 4 * nodes ? 2 : pods >= nodes ? 1 : 0;
        ArrayNode ds = array(root, "daemonSets");
        for (String name : List.of("aws-node", "kube-proxy").subList(0, daemonSets)) {
            boolean listed = false;
            for (JsonNode d : ds) {
                listed |= d.path("namespace").asText("default").equals("kube-system")
                        && d.path("name").asText().equals(name);
            }
            if (!listed) {
                // a DaemonSet the scenario lists runs on the generated nodes too
                ds.addObject().put("namespace", "kube-system").put("name", name);
            }
        }
        int left = pods - daemonSets * nodes;
        ArrayNode workloads = array(root, "workloads");
        for (int d = 0; left > 0; d++) {
            int replicas = Math.min(left, REPLICAS[rnd.nextInt(REPLICAS.length)]);
            left -= replicas;
            String team = "team-" + (d % TEAMS);
            ObjectNode w = workloads.addObject();
            w.put("namespace", team);
            w.put("name", String.format("svc-%05d", d));
            w.put("replicas", replicas);
            ObjectNode labels = w.putObject("labels");
            labels.put("team", team);
            labels.put("tier", List.of("web", "api", "worker").get(d % 3));
            if (d % 2 == 0) {
                w.putObject("pdb").put("maxUnavailable", 1);
            } else {
                w.putObject("pdb").put("minAvailable", "50%");
            }
        }
    }

    private static ArrayNode array(ObjectNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return root.putArray(field);
        }
        if (!n.isArray()) {
            throw new SpotDrillConfigurationException(field + " must be a list when generate adds to it, was " + n);
        }
        return (ArrayNode) n;
    }
}
