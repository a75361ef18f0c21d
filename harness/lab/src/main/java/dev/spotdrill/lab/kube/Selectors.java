package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotdrill.core.kube.LabelSelector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Label and field selectors as the API server applies them to lists and watches: label selectors with every
 * operator kubectl writes, and field selectors ({@code =}, {@code ==}, {@code !=}) on the fields each resource
 * supports (a field it does not support is refused with 400, as the real server does).
 */
final class Selectors {
    private static final Set<String> BOOLEAN_FIELDS = Set.of("spec.unschedulable", "spec.hostNetwork");

    private Selectors() {}

    /** One field requirement: {@code field=value} or {@code field!=value}. */
    record FieldRequirement(String field, boolean equals, String value) {
        boolean matches(JsonNode object) {
            return fieldValue(object, field).equals(value) == equals;
        }
    }

    /** A parsed label and field selector (either may be empty, which matches everything). */
    record Filter(LabelSelector labels, List<FieldRequirement> fields) {
        static final Filter ALL = new Filter(null, List.of());

        boolean matches(JsonNode object) {
            if (object == null) {
                return false;
            }
            if (labels != null && !labels.matches(Selectors.labels(object))) {
                return false;
            }
            for (FieldRequirement f : fields) {
                if (!f.matches(object)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Parses the {@code labelSelector} and {@code fieldSelector} query parameters for a resource.
     *
     * @throws ApiException 400 when either is malformed or names a field the resource does not support
     */
    static Filter parse(ApiResources.Type type, String labelSelector, String fieldSelector) {
        LabelSelector labels = null;
        if (labelSelector != null && !labelSelector.isBlank()) {
            try {
                labels = LabelSelector.parse(labelSelector);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(
                        "unable to parse requirement: label selector \"" + labelSelector + "\": " + e.getMessage());
            }
        }
        return new Filter(labels, fields(type, fieldSelector));
    }

    static List<FieldRequirement> fields(ApiResources.Type type, String selector) {
        List<FieldRequirement> out = new ArrayList<>();
        if (selector == null || selector.isBlank()) {
            return out;
        }
        for (String term : split(selector)) {
            if (term.isBlank()) {
                continue;
            }
            int ne = indexOfUnescaped(term, "!=");
            int eqeq = indexOfUnescaped(term, "==");
            int eq = indexOfUnescaped(term, "=");
            String field;
            String value;
            boolean equals;
            if (ne >= 0) {
                field = term.substring(0, ne);
                value = term.substring(ne + 2);
                equals = false;
            } else if (eqeq >= 0) {
                field = term.substring(0, eqeq);
                value = term.substring(eqeq + 2);
                equals = true;
            } else if (eq >= 0) {
                field = term.substring(0, eq);
                value = term.substring(eq + 1);
                equals = true;
            } else {
                throw ApiException.badRequest("invalid field selector: \"" + selector + "\": \"" + term
                        + "\" has no operator; write field=value, field==value or field!=value");
            }
            field = field.trim();
            if (!type.fields().contains(field)) {
                throw ApiException.badRequest("field label not supported: " + field + " (" + type.plural()
                        + " can be selected by " + String.join(", ", new TreeSet<>(type.fields())) + ")");
            }
            out.add(new FieldRequirement(field, equals, unescape(value)));
        }
        return out;
    }

    /** The value a field selector compares: the field's text, "" when absent ("false" for boolean fields). */
    static String fieldValue(JsonNode object, String field) {
        String path = field.equals("source") ? "source.component" : field;
        JsonNode n = object;
        for (String part : path.split("\\.")) {
            n = n == null ? null : n.get(part);
        }
        if (n == null || n.isNull() || n.isMissingNode()) {
            return BOOLEAN_FIELDS.contains(field) ? "false" : "";
        }
        return n.isValueNode() ? n.asText() : n.toString();
    }

    static Map<String, String> labels(JsonNode object) {
        JsonNode l = object.path("metadata").path("labels");
        if (!l.isObject()) {
            return Map.of();
        }
        Map<String, String> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                cur.append(c).append(s.charAt(++i));
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static int indexOfUnescaped(String s, String op) {
        for (int i = 0; i + op.length() <= s.length(); i++) {
            if (s.charAt(i) == '\\') {
                i++;
                continue;
            }
            if (s.startsWith(op, i)) {
                return i;
            }
        }
        return -1;
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                out.append(s.charAt(++i));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
