package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The three patch types the API server applies: JSON patch (RFC 6902), JSON merge patch (RFC 7386: a null removes
 * the key) and strategic merge patch (Kubernetes' merge: lists with a merge key are merged element by element, the
 * {@code $patch}, {@code $retainKeys}, {@code $deleteFromPrimitiveList} and {@code $setElementOrder} directives are
 * honoured; lists without one are replaced, as for the real server's atomic lists such as node
 * {@code spec.taints}).
 *
 * <p>Inputs are never modified: each method returns a new tree.
 */
final class Patches {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The merge key of each mergeable list, by field name (Kubernetes' patchMergeKey tags). */
    private static final Map<String, String> MERGE_KEYS = Map.ofEntries(
            Map.entry("containers", "name"),
            Map.entry("initContainers", "name"),
            Map.entry("ephemeralContainers", "name"),
            Map.entry("env", "name"),
            Map.entry("volumeMounts", "mountPath"),
            Map.entry("volumeDevices", "devicePath"),
            Map.entry("volumes", "name"),
            Map.entry("imagePullSecrets", "name"),
            Map.entry("conditions", "type"),
            Map.entry("ownerReferences", "uid"),
            Map.entry("hostAliases", "ip"),
            Map.entry("addresses", "type"),
            Map.entry("podIPs", "ip"),
            Map.entry("resourceClaims", "name"),
            Map.entry("topologySpreadConstraints", "topologyKey"));
    /** Lists of scalars merged as sets (patchStrategy merge without a key). */
    private static final Set<String> PRIMITIVE_MERGE = Set.of("finalizers");

    private Patches() {}

    // ------------------------------------------------------------------ JSON patch

    /**
     * Applies an RFC 6902 JSON patch.
     *
     * @throws ApiException 400 for a malformed patch, 422 when an operation does not apply
     */
    static JsonNode jsonPatch(JsonNode document, JsonNode patch) {
        if (patch == null || !patch.isArray()) {
            throw ApiException.badRequest("a JSON patch must be a JSON array of operations, e.g."
                    + " [{\"op\":\"replace\",\"path\":\"/spec/unschedulable\",\"value\":true}]");
        }
        JsonNode doc = document.deepCopy();
        for (JsonNode op : patch) {
            String kind = op.path("op").asText("");
            String path = op.path("path").asText(null);
            if (path == null) {
                throw ApiException.badRequest("JSON patch operation " + op + " has no path");
            }
            switch (kind) {
                case "add" -> doc = add(doc, path, value(op));
                case "remove" -> doc = remove(doc, path, op);
                case "replace" -> doc = replace(doc, path, value(op), op);
                case "move" -> {
                    String from = op.path("from").asText(null);
                    JsonNode v = get(doc, requireFrom(from, op), op);
                    doc = remove(doc, from, op);
                    doc = add(doc, path, v);
                }
                case "copy" -> {
                    String from = op.path("from").asText(null);
                    doc = add(doc, path, get(doc, requireFrom(from, op), op).deepCopy());
                }
                case "test" -> {
                    JsonNode actual = get(doc, path, op);
                    if (!actual.equals(value(op))) {
                        throw unprocessable(
                                "testing value " + path + " failed: it is " + actual + ", not " + value(op));
                    }
                }
                default ->
                    throw ApiException.badRequest("JSON patch operation \"" + kind + "\" in " + op
                            + " is unknown; use add, remove, replace, move, copy or test");
            }
        }
        return doc;
    }

    private static String requireFrom(String from, JsonNode op) {
        if (from == null) {
            throw ApiException.badRequest("JSON patch operation " + op + " needs a \"from\" path");
        }
        return from;
    }

    private static JsonNode value(JsonNode op) {
        if (!op.has("value")) {
            throw ApiException.badRequest("JSON patch operation " + op + " needs a \"value\"");
        }
        return op.get("value");
    }

    private static List<String> pointer(String path) {
        if (path.isEmpty()) {
            return List.of();
        }
        if (!path.startsWith("/")) {
            throw ApiException.badRequest("JSON pointer \"" + path + "\" must start with /");
        }
        List<String> out = new ArrayList<>();
        for (String p : path.substring(1).split("/", -1)) {
            out.add(p.replace("~1", "/").replace("~0", "~"));
        }
        return out;
    }

    private static JsonNode get(JsonNode doc, String path, JsonNode op) {
        JsonNode n = doc;
        for (String part : pointer(path)) {
            n = child(n, part);
            if (n == null) {
                throw unprocessable("doc is missing path: \"" + path + "\" (operation " + op + ")");
            }
        }
        return n;
    }

    private static JsonNode child(JsonNode n, String part) {
        if (n.isObject()) {
            return n.get(part);
        }
        if (n.isArray()) {
            int i = index(part);
            return i >= 0 && i < n.size() ? n.get(i) : null;
        }
        return null;
    }

    private static int index(String part) {
        try {
            return Integer.parseInt(part);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static JsonNode add(JsonNode doc, String path, JsonNode value) {
        List<String> parts = pointer(path);
        if (parts.isEmpty()) {
            return value.deepCopy();
        }
        JsonNode parent = parentOf(doc, parts, path);
        String last = parts.get(parts.size() - 1);
        if (parent.isObject()) {
            ((ObjectNode) parent).set(last, value.deepCopy());
        } else if (parent.isArray()) {
            ArrayNode a = (ArrayNode) parent;
            if (last.equals("-")) {
                a.add(value.deepCopy());
            } else {
                int i = index(last);
                if (i < 0 || i > a.size()) {
                    throw unprocessable(
                            "add operation does not apply: index " + last + " is out of bounds for " + path);
                }
                a.insert(i, value.deepCopy());
            }
        } else {
            throw unprocessable("add operation does not apply: the parent of " + path + " is not a container");
        }
        return doc;
    }

    private static JsonNode replace(JsonNode doc, String path, JsonNode value, JsonNode op) {
        get(doc, path, op);
        List<String> parts = pointer(path);
        if (parts.isEmpty()) {
            return value.deepCopy();
        }
        JsonNode parent = parentOf(doc, parts, path);
        String last = parts.get(parts.size() - 1);
        if (parent.isObject()) {
            ((ObjectNode) parent).set(last, value.deepCopy());
        } else {
            ((ArrayNode) parent).set(index(last), value.deepCopy());
        }
        return doc;
    }

    private static JsonNode remove(JsonNode doc, String path, JsonNode op) {
        List<String> parts = pointer(path);
        if (parts.isEmpty()) {
            return NODES.nullNode();
        }
        JsonNode parent = parentOf(doc, parts, path);
        String last = parts.get(parts.size() - 1);
        if (parent.isObject() && parent.has(last)) {
            ((ObjectNode) parent).remove(last);
        } else if (parent.isArray() && index(last) >= 0 && index(last) < parent.size()) {
            ((ArrayNode) parent).remove(index(last));
        } else {
            throw unprocessable("doc is missing path: \"" + path + "\" (operation " + op + ")");
        }
        return doc;
    }

    private static JsonNode parentOf(JsonNode doc, List<String> parts, String path) {
        JsonNode n = doc;
        for (String part : parts.subList(0, parts.size() - 1)) {
            n = child(n, part);
            if (n == null) {
                throw unprocessable("doc is missing path: \"" + path + "\"");
            }
        }
        return n;
    }

    private static ApiException unprocessable(String message) {
        return new ApiException(422, "Invalid", "the JSON patch does not apply: " + message);
    }

    // ------------------------------------------------------------------ merge patch

    /** Applies an RFC 7386 JSON merge patch: objects merge recursively, null removes the key, others replace. */
    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return patch == null ? NODES.nullNode() : patch.deepCopy();
        }
        ObjectNode out = target != null && target.isObject() ? (ObjectNode) target.deepCopy() : NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                out.remove(e.getKey());
            } else {
                out.set(e.getKey(), mergePatch(out.get(e.getKey()), e.getValue()));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ strategic merge patch

    /**
     * Applies a strategic merge patch.
     *
     * @throws ApiException 400 when the patch is not a JSON object or a directive is malformed
     */
    static JsonNode strategicMerge(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            throw ApiException.badRequest(
                    "a strategic merge patch must be a JSON object, e.g." + " {\"spec\":{\"unschedulable\":true}}");
        }
        JsonNode out = mergeObject(target, (ObjectNode) patch);
        return out == null ? NODES.objectNode() : out;
    }

    /** Merges a patch object into a target; null means "delete this map" ({@code $patch: delete}). */
    private static JsonNode mergeObject(JsonNode target, ObjectNode patch) {
        String directive = patch.path("$patch").asText("merge");
        switch (directive) {
            case "delete" -> {
                return null;
            }
            case "replace" -> {
                ObjectNode r = patch.deepCopy();
                stripDirectives(r);
                return r;
            }
            case "merge" -> {
                // below
            }
            default ->
                throw ApiException.badRequest(
                        "unknown patch directive $patch: \"" + directive + "\"; use merge, replace or delete");
        }
        ObjectNode out = target != null && target.isObject() ? (ObjectNode) target.deepCopy() : NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (key.equals("$patch") || key.equals("$retainKeys") || key.startsWith("$setElementOrder/")) {
                continue;
            }
            if (key.startsWith("$deleteFromPrimitiveList/")) {
                String field = key.substring("$deleteFromPrimitiveList/".length());
                JsonNode list = out.get(field);
                if (list != null && list.isArray() && value.isArray()) {
                    ArrayNode kept = NODES.arrayNode();
                    for (JsonNode v : list) {
                        if (!contains(value, v)) {
                            kept.add(v);
                        }
                    }
                    out.set(field, kept);
                }
                continue;
            }
            if (value.isNull()) {
                out.remove(key);
            } else if (value.isObject()) {
                JsonNode merged = mergeObject(out.get(key), (ObjectNode) value);
                if (merged == null) {
                    out.remove(key);
                } else {
                    out.set(key, merged);
                }
            } else if (value.isArray()) {
                out.set(key, mergeList(key, out.get(key), (ArrayNode) value));
            } else {
                out.set(key, value.deepCopy());
            }
        }
        JsonNode retain = patch.get("$retainKeys");
        if (retain != null) {
            if (!retain.isArray()) {
                throw ApiException.badRequest("$retainKeys must be a list of field names, not " + retain);
            }
            Set<String> keep = new HashSet<>();
            retain.forEach(k -> keep.add(k.asText()));
            List<String> drop = new ArrayList<>();
            out.fieldNames().forEachRemaining(k -> {
                if (!keep.contains(k)) {
                    drop.add(k);
                }
            });
            drop.forEach(out::remove);
        }
        return out;
    }

    private static JsonNode mergeList(String field, JsonNode target, ArrayNode patch) {
        boolean replace = false;
        ArrayNode items = NODES.arrayNode();
        for (JsonNode p : patch) {
            if (p.isObject()
                    && p.size() == 1
                    && "replace".equals(p.path("$patch").asText())) {
                replace = true;
            } else {
                items.add(p);
            }
        }
        ArrayNode current = target != null && target.isArray() ? (ArrayNode) target.deepCopy() : NODES.arrayNode();
        if (PRIMITIVE_MERGE.contains(field) && !replace) {
            for (JsonNode p : items) {
                if (!contains(current, p)) {
                    current.add(p.deepCopy());
                }
            }
            return current;
        }
        String key = mergeKey(field, items, current);
        if (key == null || replace) {
            ArrayNode r = NODES.arrayNode();
            for (JsonNode p : items) {
                if (p.isObject()) {
                    ObjectNode c = p.deepCopy();
                    stripDirectives(c);
                    r.add(c);
                } else {
                    r.add(p.deepCopy());
                }
            }
            return r;
        }
        for (JsonNode p : items) {
            if (!p.isObject()) {
                throw ApiException.badRequest("list " + field + " is merged by " + key + "; its patch elements must"
                        + " be objects, not " + p);
            }
            JsonNode k = p.get(key);
            if (k == null) {
                throw ApiException.badRequest("map: " + p + " does not contain declared merge key: " + key);
            }
            int at = indexOf(current, key, k);
            if ("delete".equals(p.path("$patch").asText())) {
                if (at >= 0) {
                    current.remove(at);
                }
            } else if (at >= 0) {
                JsonNode merged = mergeObject(current.get(at), (ObjectNode) p);
                if (merged == null) {
                    current.remove(at);
                } else {
                    current.set(at, merged);
                }
            } else {
                ObjectNode c = p.deepCopy();
                stripDirectives(c);
                current.add(c);
            }
        }
        return current;
    }

    private static String mergeKey(String field, ArrayNode patch, ArrayNode current) {
        if (field.equals("ports")) {
            for (JsonNode n : patch.size() > 0 ? patch : current) {
                return n.has("containerPort") ? "containerPort" : "port";
            }
            return "port";
        }
        return MERGE_KEYS.get(field);
    }

    private static int indexOf(ArrayNode list, String key, JsonNode value) {
        for (int i = 0; i < list.size(); i++) {
            if (value.equals(list.get(i).get(key))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean contains(JsonNode list, JsonNode v) {
        for (JsonNode x : list) {
            if (x.equals(v)) {
                return true;
            }
        }
        return false;
    }

    private static void stripDirectives(ObjectNode o) {
        List<String> drop = new ArrayList<>();
        o.fieldNames().forEachRemaining(k -> {
            if (k.startsWith("$")) {
                drop.add(k);
            }
        });
        drop.forEach(o::remove);
        for (JsonNode child : o) {
            if (child.isObject()) {
                stripDirectives((ObjectNode) child);
            } else if (child.isArray()) {
                for (JsonNode c : child) {
                    if (c.isObject()) {
                        stripDirectives((ObjectNode) c);
                    }
                }
            }
        }
    }
}
