package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The part of IAM policy evaluation the lab needs: a role's identity policies decide whether it may call an action on
 * a resource. It reads {@code Effect}, {@code Action}/{@code NotAction}, {@code Resource}/{@code NotResource} (with
 * {@code *} and {@code ?} wildcards) and {@code Condition} with the string operators ({@code StringEquals},
 * {@code StringNotEquals}, {@code StringLike}, {@code StringNotLike}, {@code StringEqualsIgnoreCase}) on context keys
 * such as {@code aws:ResourceTag/<key>}. An explicit Deny wins, then an Allow, else the request is implicitly denied,
 * as IAM decides. A condition with an operator the lab does not know never matches (so it never grants).
 */
final class LabPolicies {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LabPolicies() {}

    /** IAM's three decisions, with the words SimulatePrincipalPolicy answers. */
    enum Decision {
        ALLOWED("allowed"),
        IMPLICIT_DENY("implicitDeny"),
        EXPLICIT_DENY("explicitDeny");

        final String wire;

        Decision(String wire) {
            this.wire = wire;
        }
    }

    /**
     * The decision for one request, the statements that decided it ({@code policy name} of each) and the context keys
     * its conditions asked for that the request did not give.
     */
    record Result(Decision decision, List<String> matched, Set<String> missingContext) {}

    /**
     * Evaluates named policy documents for one action on one resource.
     *
     * @param policies policy name to JSON document
     * @param action for example {@code ec2:SendSpotInstanceInterruptions}
     * @param resource a resource ARN, or {@code *}
     * @param context context keys (case-insensitive) to their values, e.g. {@code aws:ResourceTag/team -> checkout}
     */
    static Result evaluate(Map<String, String> policies, String action, String resource, Map<String, String> context) {
        Map<String, String> ctx = new java.util.HashMap<>();
        context.forEach((k, v) -> ctx.put(k.toLowerCase(Locale.ROOT), v));
        List<String> allows = new ArrayList<>();
        List<String> denies = new ArrayList<>();
        Set<String> missing = new LinkedHashSet<>();
        for (Map.Entry<String, String> p : policies.entrySet()) {
            JsonNode doc;
            try {
                doc = JSON.readTree(p.getValue());
            } catch (IOException e) {
                continue;
            }
            JsonNode statements = doc.path("Statement");
            List<JsonNode> list = new ArrayList<>();
            if (statements.isArray()) {
                statements.forEach(list::add);
            } else if (statements.isObject()) {
                list.add(statements);
            }
            for (JsonNode s : list) {
                if (!applies(s, action, resource)) {
                    continue;
                }
                if (!conditions(s.path("Condition"), ctx, missing)) {
                    continue;
                }
                String effect = s.path("Effect").asText("");
                if (effect.equals("Deny")) {
                    denies.add(p.getKey());
                } else if (effect.equals("Allow")) {
                    allows.add(p.getKey());
                }
            }
        }
        if (!denies.isEmpty()) {
            return new Result(Decision.EXPLICIT_DENY, denies, missing);
        }
        if (!allows.isEmpty()) {
            return new Result(Decision.ALLOWED, allows, missing);
        }
        return new Result(Decision.IMPLICIT_DENY, List.of(), missing);
    }

    private static boolean applies(JsonNode s, String action, String resource) {
        boolean actionMatches;
        if (s.has("Action")) {
            actionMatches = anyMatches(s.get("Action"), action, true);
        } else if (s.has("NotAction")) {
            actionMatches = !anyMatches(s.get("NotAction"), action, true);
        } else {
            return false;
        }
        if (!actionMatches) {
            return false;
        }
        if (s.has("Resource")) {
            return anyMatches(s.get("Resource"), resource, false);
        }
        if (s.has("NotResource")) {
            return !anyMatches(s.get("NotResource"), resource, false);
        }
        return false;
    }

    private static boolean anyMatches(JsonNode patterns, String value, boolean ignoreCase) {
        List<String> list = new ArrayList<>();
        if (patterns.isArray()) {
            patterns.forEach(n -> list.add(n.asText()));
        } else {
            list.add(patterns.asText());
        }
        for (String p : list) {
            if (glob(p, ignoreCase).matcher(value).matches()) {
                return true;
            }
        }
        return false;
    }

    /** Whether every condition of a statement holds; keys it needs and the context lacks go into {@code missing}. */
    private static boolean conditions(JsonNode condition, Map<String, String> ctx, Set<String> missing) {
        if (condition.isMissingNode() || condition.isNull()) {
            return true;
        }
        boolean all = true;
        for (var op : iterable(condition)) {
            for (var key : iterable(op.getValue())) {
                String name = key.getKey();
                String actual = ctx.get(name.toLowerCase(Locale.ROOT));
                List<String> wanted = new ArrayList<>();
                if (key.getValue().isArray()) {
                    key.getValue().forEach(n -> wanted.add(n.asText()));
                } else {
                    wanted.add(key.getValue().asText());
                }
                if (actual == null) {
                    missing.add(name);
                }
                if (!holds(op.getKey(), actual, wanted)) {
                    all = false;
                }
            }
        }
        return all;
    }

    private static boolean holds(String operator, String actual, List<String> wanted) {
        return switch (operator) {
            case "StringEquals" -> actual != null && wanted.contains(actual);
            case "StringNotEquals" -> actual != null && !wanted.contains(actual);
            case "StringEqualsIgnoreCase" -> actual != null && wanted.stream().anyMatch(actual::equalsIgnoreCase);
            case "StringLike" ->
                actual != null
                        && wanted.stream()
                                .anyMatch(w -> glob(w, false).matcher(actual).matches());
            case "StringNotLike" ->
                actual != null
                        && wanted.stream()
                                .noneMatch(w -> glob(w, false).matcher(actual).matches());
            default -> false;
        };
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode n) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        n.fields().forEachRemaining(out::add);
        return out;
    }

    private static Pattern glob(String value, boolean ignoreCase) {
        StringBuilder re = new StringBuilder();
        for (char c : value.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.DOTALL : Pattern.DOTALL);
    }

    /** The context IAM builds from a resource's tags: {@code aws:ResourceTag/<key>} for each. */
    static Map<String, String> resourceTags(Map<String, String> tags) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        tags.forEach((k, v) -> out.put("aws:ResourceTag/" + k, v));
        return out;
    }
}
