package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Server-side printing: the {@code meta.k8s.io/v1 Table} that {@code kubectl get} asks for, with the columns the
 * real server prints for nodes, pods, workloads, budgets, namespaces and events (priority 1 columns are the
 * {@code -o wide} ones). Ages are world time, so they agree with the lab's timestamps at any pace.
 */
final class Tables {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String NONE = "<none>";

    private final Function<JsonNode, Integer> disruptionsAllowed;

    /** @param disruptionsAllowed how many pods a PodDisruptionBudget lets go now */
    Tables(Function<JsonNode, Integer> disruptionsAllowed) {
        this.disruptionsAllowed = disruptionsAllowed;
    }

    /** Whether an Accept header asks for a Table. */
    static boolean wanted(String accept) {
        return accept != null && accept.contains("as=Table");
    }

    private record Column(String name, String type, String format, int priority, String description) {}

    private static Column col(String name) {
        return new Column(name, "string", "", 0, name);
    }

    private static Column wide(String name) {
        return new Column(name, "string", "", 1, name);
    }

    private static final Column NAME =
            new Column("Name", "string", "name", 0, "Name must be unique within a namespace; see metadata.name");
    private static final Column AGE = new Column(
            "Age", "string", "", 0, "CreationTimestamp: when the object was created, as world time before now");

    private List<Column> columns(String kind) {
        return switch (kind) {
            case "Node" ->
                List.of(
                        NAME,
                        col("Status"),
                        col("Roles"),
                        AGE,
                        col("Version"),
                        wide("Internal-IP"),
                        wide("External-IP"),
                        wide("OS-Image"),
                        wide("Kernel-Version"),
                        wide("Container-Runtime"));
            case "Pod" ->
                List.of(
                        NAME,
                        col("Ready"),
                        col("Status"),
                        new Column("Restarts", "string", "", 0, "The number of container restarts"),
                        AGE,
                        wide("IP"),
                        wide("Node"),
                        wide("Nominated Node"),
                        wide("Readiness Gates"));
            case "Deployment" ->
                List.of(
                        NAME,
                        col("Ready"),
                        col("Up-to-date"),
                        col("Available"),
                        AGE,
                        wide("Containers"),
                        wide("Images"),
                        wide("Selector"));
            case "ReplicaSet" ->
                List.of(
                        NAME,
                        col("Desired"),
                        col("Current"),
                        col("Ready"),
                        AGE,
                        wide("Containers"),
                        wide("Images"),
                        wide("Selector"));
            case "DaemonSet" ->
                List.of(
                        NAME,
                        col("Desired"),
                        col("Current"),
                        col("Ready"),
                        col("Up-to-date"),
                        col("Available"),
                        col("Node Selector"),
                        AGE,
                        wide("Containers"),
                        wide("Images"),
                        wide("Selector"));
            case "StatefulSet" -> List.of(NAME, col("Ready"), AGE, wide("Containers"), wide("Images"));
            case "PodDisruptionBudget" ->
                List.of(NAME, col("Min Available"), col("Max Unavailable"), col("Allowed Disruptions"), AGE);
            case "Namespace" -> List.of(NAME, col("Status"), AGE);
            case "Event" ->
                List.of(
                        col("Last Seen"),
                        col("Type"),
                        col("Reason"),
                        col("Object"),
                        col("Message"),
                        wide("Subobject"),
                        wide("Source"),
                        wide("First Seen"),
                        wide("Count"),
                        new Column("Name", "string", "name", 1, "metadata.name"));
            case "Job" -> List.of(NAME, col("Status"), col("Completions"), AGE);
            case "CronJob" -> List.of(NAME, col("Schedule"), col("Suspend"), col("Active"), AGE);
            case "Service" -> List.of(NAME, col("Type"), col("Cluster-IP"), col("Port(s)"), AGE);
            case "ConfigMap", "Secret" -> List.of(NAME, col("Data"), AGE);
            default -> List.of(NAME, AGE);
        };
    }

    private List<Object> cells(String kind, JsonNode o, Instant now) {
        String age = age(now, o.path("metadata").path("creationTimestamp").asText(""));
        String name = o.path("metadata").path("name").asText();
        JsonNode spec = o.path("spec");
        JsonNode status = o.path("status");
        return switch (kind) {
            case "Node" -> nodeCells(o, age);
            case "Pod" -> podCells(o, age);
            case "Deployment" ->
                List.of(
                        name,
                        status.path("readyReplicas").asInt(0) + "/"
                                + spec.path("replicas").asInt(1),
                        status.path("updatedReplicas").asInt(0),
                        status.path("availableReplicas").asInt(0),
                        age,
                        containers(spec, "name"),
                        containers(spec, "image"),
                        selector(spec.path("selector")));
            case "ReplicaSet" ->
                List.of(
                        name,
                        spec.path("replicas").asInt(1),
                        status.path("replicas").asInt(0),
                        status.path("readyReplicas").asInt(0),
                        age,
                        containers(spec, "name"),
                        containers(spec, "image"),
                        selector(spec.path("selector")));
            case "DaemonSet" ->
                List.of(
                        name,
                        status.path("desiredNumberScheduled").asInt(0),
                        status.path("currentNumberScheduled").asInt(0),
                        status.path("numberReady").asInt(0),
                        status.path("updatedNumberScheduled").asInt(0),
                        status.path("numberAvailable").asInt(0),
                        pairs(spec.path("template").path("spec").path("nodeSelector")),
                        age,
                        containers(spec, "name"),
                        containers(spec, "image"),
                        selector(spec.path("selector")));
            case "StatefulSet" ->
                List.of(
                        name,
                        status.path("readyReplicas").asInt(0) + "/"
                                + spec.path("replicas").asInt(1),
                        age,
                        containers(spec, "name"),
                        containers(spec, "image"));
            case "PodDisruptionBudget" ->
                List.of(
                        name,
                        spec.has("minAvailable") ? spec.get("minAvailable").asText() : "N/A",
                        spec.has("maxUnavailable") ? spec.get("maxUnavailable").asText() : "N/A",
                        disruptionsAllowed.apply(o),
                        age);
            case "Namespace" -> List.of(name, status.path("phase").asText("Active"), age);
            case "Event" -> eventCells(o, now);
            case "Job" ->
                List.of(
                        name,
                        status.path("succeeded").asInt(0)
                                        >= spec.path("completions").asInt(1)
                                ? "Complete"
                                : status.path("failed").asInt(0) > 0 ? "Failed" : "Running",
                        status.path("succeeded").asInt(0) + "/"
                                + spec.path("completions").asInt(1),
                        age);
            case "CronJob" ->
                List.of(
                        name,
                        spec.path("schedule").asText(""),
                        Boolean.toString(spec.path("suspend").asBoolean(false)),
                        status.path("active").size(),
                        age);
            case "Service" ->
                List.of(
                        name,
                        spec.path("type").asText("ClusterIP"),
                        spec.path("clusterIP").asText(NONE),
                        ports(spec.path("ports")),
                        age);
            case "ConfigMap", "Secret" -> List.of(name, o.path("data").size(), age);
            default -> List.of(name, age);
        };
    }

    private List<Object> nodeCells(JsonNode o, String age) {
        String ready = "Unknown";
        for (JsonNode c : o.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                ready = c.path("status").asText().equals("True") ? "Ready" : "NotReady";
            }
        }
        if (ready.equals("Unknown")) {
            ready = "NotReady";
        }
        if (o.path("spec").path("unschedulable").asBoolean(false)) {
            ready += ",SchedulingDisabled";
        }
        TreeSet<String> roles = new TreeSet<>();
        for (Iterator<String> it = o.path("metadata").path("labels").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (k.startsWith("node-role.kubernetes.io/")) {
                roles.add(k.substring("node-role.kubernetes.io/".length()));
            }
        }
        JsonNode info = o.path("status").path("nodeInfo");
        return List.of(
                o.path("metadata").path("name").asText(),
                ready,
                roles.isEmpty() ? NONE : String.join(",", roles),
                age,
                info.path("kubeletVersion").asText(""),
                address(o, "InternalIP"),
                address(o, "ExternalIP"),
                info.path("osImage").asText("<unknown>"),
                info.path("kernelVersion").asText("<unknown>"),
                info.path("containerRuntimeVersion").asText("<unknown>"));
    }

    private static String address(JsonNode node, String type) {
        for (JsonNode a : node.path("status").path("addresses")) {
            if (a.path("type").asText().equals(type)) {
                return a.path("address").asText();
            }
        }
        return NONE;
    }

    private List<Object> podCells(JsonNode o, String age) {
        JsonNode spec = o.path("spec");
        JsonNode status = o.path("status");
        int total = spec.path("containers").size();
        int ready = 0;
        int restarts = 0;
        if (status.path("containerStatuses").size() > 0) {
            for (JsonNode cs : status.path("containerStatuses")) {
                ready += cs.path("ready").asBoolean(false) ? 1 : 0;
                restarts += cs.path("restartCount").asInt(0);
            }
        } else {
            for (JsonNode c : status.path("conditions")) {
                if (c.path("type").asText().equals("Ready")
                        && c.path("status").asText().equals("True")) {
                    ready = total;
                }
            }
        }
        String phase = status.path("reason").asText(status.path("phase").asText("Pending"));
        if (o.path("metadata").has("deletionTimestamp")) {
            phase = "Terminating";
        }
        return List.of(
                o.path("metadata").path("name").asText(),
                ready + "/" + total,
                phase,
                Integer.toString(restarts),
                age,
                status.path("podIP").asText(NONE),
                spec.path("nodeName").asText(NONE),
                status.path("nominatedNodeName").asText(NONE),
                NONE);
    }

    private static List<Object> eventCells(JsonNode o, Instant now) {
        JsonNode io = o.path("involvedObject");
        String last = o.path("lastTimestamp").asText(o.path("eventTime").asText(""));
        String first = o.path("firstTimestamp").asText(last);
        String component = o.path("source").path("component").asText("");
        String host = o.path("source").path("host").asText("");
        return List.of(
                age(now, last),
                o.path("type").asText(""),
                o.path("reason").asText(""),
                io.path("kind").asText("").toLowerCase(Locale.ROOT) + "/"
                        + io.path("name").asText(""),
                o.path("message").asText(""),
                io.path("fieldPath").asText(""),
                host.isEmpty() ? component : component + ", " + host,
                age(now, first),
                o.path("count").asInt(1),
                o.path("metadata").path("name").asText());
    }

    private static String containers(JsonNode spec, String field) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : spec.path("template").path("spec").path("containers")) {
            out.add(c.path(field).asText());
        }
        return out.isEmpty() ? NONE : String.join(",", out);
    }

    private static String selector(JsonNode selector) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        selector.path("matchLabels").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(e.getKey() + "=" + e.getValue().asText());
        }
        for (JsonNode r : selector.path("matchExpressions")) {
            List<String> values = new ArrayList<>();
            r.path("values").forEach(v -> values.add(v.asText()));
            out.add(r.path("key").asText() + " " + r.path("operator").asText().toLowerCase(Locale.ROOT) + " ("
                    + String.join(",", values) + ")");
        }
        return out.isEmpty() ? NONE : String.join(",", out);
    }

    private static String pairs(JsonNode map) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(e.getKey() + "=" + e.getValue().asText());
        }
        return out.isEmpty() ? NONE : String.join(",", out);
    }

    private static String ports(JsonNode ports) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : ports) {
            out.add(p.path("port").asText() + "/" + p.path("protocol").asText("TCP"));
        }
        return out.isEmpty() ? NONE : String.join(",", out);
    }

    /**
     * A Table of the objects.
     *
     * @param includeObject the client's {@code includeObject}: None, Metadata (default) or Object
     */
    ObjectNode table(String kind, List<? extends JsonNode> objects, Instant now, String includeObject, long rv) {
        ObjectNode t = NODES.objectNode();
        t.put("kind", "Table");
        t.put("apiVersion", "meta.k8s.io/v1");
        t.putObject("metadata").put("resourceVersion", Long.toString(rv));
        ArrayNode defs = t.putArray("columnDefinitions");
        for (Column c : columns(kind)) {
            ObjectNode d = defs.addObject();
            d.put("name", c.name());
            d.put("type", c.type());
            d.put("format", c.format());
            d.put("description", c.description());
            d.put("priority", c.priority());
        }
        ArrayNode rows = t.putArray("rows");
        for (JsonNode o : objects) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            for (Object cell : cells(kind, o, now)) {
                if (cell instanceof Integer i) {
                    cells.add(i);
                } else {
                    cells.add(String.valueOf(cell));
                }
            }
            String include = includeObject == null || includeObject.isEmpty() ? "Metadata" : includeObject;
            switch (include) {
                case "None" -> {
                    // no object
                }
                case "Object" -> row.set("object", o);
                default -> {
                    ObjectNode partial = row.putObject("object");
                    partial.put("kind", "PartialObjectMetadata");
                    partial.put("apiVersion", "meta.k8s.io/v1");
                    partial.set("metadata", o.path("metadata").deepCopy());
                }
            }
        }
        return t;
    }

    /** How long ago (world time) a timestamp was, as kubectl prints ages: 45s, 3m20s, 5h, 2d3h. */
    static String age(Instant now, String timestamp) {
        if (timestamp == null || timestamp.isEmpty()) {
            return "<unknown>";
        }
        try {
            return humanDuration(Duration.between(Instant.parse(timestamp), now));
        } catch (DateTimeParseException e) {
            return "<unknown>";
        }
    }

    static String humanDuration(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < -1) {
            return "<invalid>";
        }
        if (seconds < 0) {
            return "0s";
        }
        if (seconds < 120) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        }
        if (minutes < 180) {
            return minutes + "m";
        }
        long hours = minutes / 60;
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        }
        if (hours < 48) {
            return hours + "h";
        }
        if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
        }
        if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        }
        if (hours < 24 * 365 * 8) {
            long days = hours / 24 % 365;
            return days == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + days + "d";
        }
        return hours / 24 / 365 + "y";
    }
}
