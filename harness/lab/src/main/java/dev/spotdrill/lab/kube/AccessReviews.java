package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code authorization.k8s.io/v1 selfsubjectaccessreviews}: "may I?" as the real API server answers it, for
 * {@code spotdrill doctor}. The lab's caller may do everything, except what the fault {@value #RBAC_DENY} denies:
 * {@code kube.rbac-deny=pods/log:get+deployments.apps:patch} (entries {@code resource[.group][/subresource]:verb},
 * joined with {@code +}; {@code *} as the verb denies every verb).
 *
 * <p>The fault changes the reviews' answers only: the lab's API server has no authentication, so it still serves the
 * requests themselves (the lab's own controllers use the same server).
 */
public final class AccessReviews {
    /** The fault that denies verbs in the reviews' answers. */
    public static final String RBAC_DENY = "kube.rbac-deny";

    static final String GROUP_VERSION = "authorization.k8s.io/v1";
    static final String PATH = "/apis/" + GROUP_VERSION + "/selfsubjectaccessreviews";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One denied resource and verb. */
    record Denial(String resource, Optional<String> group, String subresource, String verb) {
        boolean matches(String res, String grp, String sub, String v) {
            return resource.equals(res)
                    && group.map(g -> g.equals(grp)).orElse(true)
                    && subresource.equals(sub)
                    && (verb.equals("*") || verb.equals(v));
        }

        @Override
        public String toString() {
            return resource + group.map(g -> "." + g).orElse("") + (subresource.isEmpty() ? "" : "/" + subresource)
                    + ":" + verb;
        }
    }

    private final Supplier<Optional<String>> denied;

    AccessReviews(Supplier<Optional<String>> denied) {
        this.denied = denied;
    }

    /** Empty when a {@value #RBAC_DENY} value is well formed, else what is wrong with it. */
    public static Optional<String> problem(String value) {
        try {
            parse(value);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    static List<Denial> parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    "needs resource:verb entries joined with +, e.g. pods/log:get+deployments.apps:patch");
        }
        List<Denial> out = new ArrayList<>();
        for (String entry : value.split("\\+")) {
            String e = entry.trim();
            int colon = e.lastIndexOf(':');
            if (colon <= 0 || colon == e.length() - 1) {
                throw new IllegalArgumentException(
                        "entry \"" + e + "\" is not resource[.group][/subresource]:verb, e.g."
                                + " pods/log:get or deployments.apps:patch");
            }
            String verb = e.substring(colon + 1);
            String res = e.substring(0, colon);
            String sub = "";
            int slash = res.indexOf('/');
            if (slash >= 0) {
                sub = res.substring(slash + 1);
                res = res.substring(0, slash);
            }
            Optional<String> group = Optional.empty();
            int dot = res.indexOf('.');
            if (dot >= 0) {
                group = Optional.of(res.substring(dot + 1));
                res = res.substring(0, dot);
            }
            if (!res.matches("[a-z0-9]+") || !sub.matches("[a-z0-9]*") || !verb.matches("[a-z]+|\\*")) {
                throw new IllegalArgumentException("entry \"" + e + "\" is not resource[.group][/subresource]:verb in"
                        + " lower case, e.g. pods/log:get or deployments.apps:patch");
            }
            out.add(new Denial(res, group, sub, verb));
        }
        return List.copyOf(out);
    }

    /**
     * Answers one review: the request echoed with its {@code status}.
     *
     * @throws ApiException 400 for a body that is not a SelfSubjectAccessReview, 422 for a spec without exactly one of
     *     {@code resourceAttributes} and {@code nonResourceAttributes}
     */
    ObjectNode review(JsonNode body) {
        String kind = body.path("kind").asText("");
        String apiVersion = body.path("apiVersion").asText("");
        if (!kind.isEmpty() && !kind.equals("SelfSubjectAccessReview")
                || !apiVersion.isEmpty() && !apiVersion.equals(GROUP_VERSION)) {
            throw ApiException.badRequest("the body of the request was in an unknown format - accepted media types"
                    + " include: application/json, application/yaml (expected kind SelfSubjectAccessReview of "
                    + GROUP_VERSION + ", got kind \"" + kind + "\" of \"" + apiVersion + "\")");
        }
        JsonNode spec = body.path("spec");
        JsonNode ra = spec.path("resourceAttributes");
        JsonNode nra = spec.path("nonResourceAttributes");
        boolean hasRa = ra.isObject();
        boolean hasNra = nra.isObject();
        if (hasRa == hasNra) {
            throw invalid(
                    "spec.resourceAttributes",
                    hasRa ? "{...}" : "null",
                    "exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }
        ObjectNode out = NODES.objectNode();
        out.put("kind", "SelfSubjectAccessReview");
        out.put("apiVersion", GROUP_VERSION);
        ObjectNode meta = out.putObject("metadata");
        meta.putNull("creationTimestamp");
        out.set("spec", spec.deepCopy());
        ObjectNode status = out.putObject("status");
        if (hasNra) {
            status.put("allowed", true);
            return out;
        }
        String resource = ra.path("resource").asText("").toLowerCase(Locale.ROOT);
        String group = ra.path("group").asText("");
        String sub = ra.path("subresource").asText("");
        String verb = ra.path("verb").asText("");
        Optional<Denial> hit = denials().stream()
                .filter(d -> d.matches(resource, group, sub, verb))
                .findFirst();
        if (hit.isPresent()) {
            status.put("allowed", false);
            status.put(
                    "reason",
                    "the lab's fault " + RBAC_DENY + "=" + denied.get().orElse("") + " denies " + hit.get());
        } else {
            status.put("allowed", true);
            status.put("reason", "the lab's caller may do everything");
        }
        return out;
    }

    private List<Denial> denials() {
        Optional<String> v = denied.get();
        if (v.isEmpty()) {
            return List.of();
        }
        try {
            return parse(v.get());
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    private static ApiException invalid(String field, String value, String why) {
        ObjectNode details = NODES.objectNode();
        details.put("group", "authorization.k8s.io");
        details.put("kind", "SelfSubjectAccessReview");
        ObjectNode cause = details.putArray("causes").addObject();
        cause.put("reason", "FieldValueInvalid");
        cause.put("message", "Invalid value: \"" + value + "\": " + why);
        cause.put("field", field);
        return new ApiException(
                422,
                "Invalid",
                "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: " + field + ": Invalid value: \"" + value
                        + "\": " + why,
                details);
    }

    /** {@code /apis/authorization.k8s.io/v1}: the one resource, create only. */
    static ObjectNode resourceList() {
        ObjectNode o = NODES.objectNode();
        o.put("kind", "APIResourceList");
        o.put("apiVersion", "v1");
        o.put("groupVersion", GROUP_VERSION);
        ObjectNode r = o.putArray("resources").addObject();
        r.put("name", "selfsubjectaccessreviews");
        r.put("singularName", "selfsubjectaccessreview");
        r.put("namespaced", false);
        r.put("kind", "SelfSubjectAccessReview");
        r.putArray("verbs").add("create");
        return o;
    }
}
