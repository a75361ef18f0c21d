package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The resources the lab's API server serves, and the discovery documents kubectl and client-go read to find them
 * ({@code /api}, {@code /api/v1}, {@code /apis}, {@code /apis/<group>}, {@code /apis/<group>/<version>}).
 *
 * <p>Every resource is stored the same way; what differs is its scope, short names, subresources and which
 * field selectors it accepts (the real API server refuses any other field with 400).
 */
final class ApiResources {
    static final String SERVER_VERSION = "v1.32.0-spotdrill-lab";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> ALL_VERBS =
            List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
    private static final List<String> STATUS_VERBS = List.of("get", "patch", "update");

    /** One served resource. */
    record Type(
            String group,
            String version,
            String plural,
            String kind,
            boolean namespaced,
            List<String> shortNames,
            List<String> subresources,
            List<String> categories,
            Set<String> fields) {

        String groupVersion() {
            return group.isEmpty() ? version : group + "/" + version;
        }

        String singular() {
            return kind.toLowerCase(java.util.Locale.ROOT);
        }

        boolean has(String subresource) {
            return subresources.contains(subresource);
        }

        /** {@code pods}, or {@code deployments.apps} as the real server names resources in its messages. */
        String qualified() {
            return group.isEmpty() ? plural : plural + "." + group;
        }

        @Override
        public String toString() {
            return groupVersion() + "/" + plural;
        }
    }

    private static final Set<String> META_FIELDS = Set.of("metadata.name", "metadata.namespace");
    private static final Set<String> POD_FIELDS = Set.of(
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName");
    private static final Set<String> NODE_FIELDS = Set.of("metadata.name", "spec.unschedulable");
    private static final Set<String> EVENT_FIELDS = Set.of(
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type");

    private static final List<Type> TYPES = List.of(
            core(
                    "namespaces",
                    "Namespace",
                    false,
                    List.of("ns"),
                    List.of("status"),
                    Set.of("metadata.name", "status.phase")),
            core("nodes", "Node", false, List.of("no"), List.of("status"), NODE_FIELDS),
            new Type(
                    "",
                    "v1",
                    "pods",
                    "Pod",
                    true,
                    List.of("po"),
                    List.of("status", "eviction", "log", "binding"),
                    List.of("all"),
                    POD_FIELDS),
            core("events", "Event", true, List.of("ev"), List.of(), EVENT_FIELDS),
            core("configmaps", "ConfigMap", true, List.of("cm"), List.of(), META_FIELDS),
            core(
                    "secrets",
                    "Secret",
                    true,
                    List.of(),
                    List.of(),
                    Set.of("metadata.name", "metadata.namespace", "type")),
            core("serviceaccounts", "ServiceAccount", true, List.of("sa"), List.of(), META_FIELDS),
            new Type(
                    "",
                    "v1",
                    "services",
                    "Service",
                    true,
                    List.of("svc"),
                    List.of("status"),
                    List.of("all"),
                    META_FIELDS),
            core("endpoints", "Endpoints", true, List.of("ep"), List.of(), META_FIELDS),
            apps("deployments", "Deployment", List.of("deploy"), List.of("status", "scale")),
            apps("replicasets", "ReplicaSet", List.of("rs"), List.of("status", "scale")),
            apps("daemonsets", "DaemonSet", List.of("ds"), List.of("status")),
            apps("statefulsets", "StatefulSet", List.of("sts"), List.of("status", "scale")),
            new Type(
                    "apps",
                    "v1",
                    "controllerrevisions",
                    "ControllerRevision",
                    true,
                    List.of(),
                    List.of(),
                    List.of(),
                    META_FIELDS),
            new Type(
                    "policy",
                    "v1",
                    "poddisruptionbudgets",
                    "PodDisruptionBudget",
                    true,
                    List.of("pdb"),
                    List.of("status"),
                    List.of(),
                    META_FIELDS),
            new Type(
                    "batch",
                    "v1",
                    "jobs",
                    "Job",
                    true,
                    List.of(),
                    List.of("status"),
                    List.of("all"),
                    Set.of("metadata.name", "metadata.namespace", "status.successful")),
            new Type(
                    "batch",
                    "v1",
                    "cronjobs",
                    "CronJob",
                    true,
                    List.of("cj"),
                    List.of("status"),
                    List.of("all"),
                    META_FIELDS),
            new Type(
                    "coordination.k8s.io",
                    "v1",
                    "leases",
                    "Lease",
                    true,
                    List.of(),
                    List.of(),
                    List.of(),
                    META_FIELDS));

    private static final Map<String, Type> BY_PATH = new LinkedHashMap<>();

    static {
        for (Type t : TYPES) {
            BY_PATH.put(t.groupVersion() + "/" + t.plural(), t);
        }
    }

    private ApiResources() {}

    private static Type core(
            String plural,
            String kind,
            boolean namespaced,
            List<String> shortNames,
            List<String> subresources,
            Set<String> fields) {
        return new Type("", "v1", plural, kind, namespaced, shortNames, subresources, List.of(), fields);
    }

    private static Type apps(String plural, String kind, List<String> shortNames, List<String> subresources) {
        return new Type("apps", "v1", plural, kind, true, shortNames, subresources, List.of("all"), META_FIELDS);
    }

    static List<Type> all() {
        return TYPES;
    }

    /** The resource at {@code <groupVersion>/<plural>}, e.g. {@code v1/pods} or {@code apps/v1/deployments}. */
    static Optional<Type> find(String groupVersion, String plural) {
        return Optional.ofNullable(BY_PATH.get(groupVersion + "/" + plural));
    }

    static Type require(String groupVersion, String plural) {
        return find(groupVersion, plural)
                .orElseThrow(() -> new IllegalArgumentException("the lab serves no " + groupVersion + "/" + plural));
    }

    static List<String> groupVersions() {
        List<String> out = new java.util.ArrayList<>(TYPES.stream()
                .map(Type::groupVersion)
                .filter(gv -> gv.contains("/"))
                .distinct()
                .toList());
        out.add(AccessReviews.GROUP_VERSION);
        return List.copyOf(out);
    }

    /** {@code /version}. */
    static ObjectNode version() {
        ObjectNode v = NODES.objectNode();
        v.put("major", "1");
        v.put("minor", "32");
        v.put("gitVersion", SERVER_VERSION);
        v.put("gitCommit", "0000000000000000000000000000000000000000");
        v.put("gitTreeState", "clean");
        v.put("buildDate", "2026-01-01T00:00:00Z");
        v.put("goVersion", "go1.22.5");
        v.put("compiler", "gc");
        v.put("platform", "linux/amd64");
        return v;
    }

    /** {@code /api}: the legacy group's versions. */
    static ObjectNode apiVersions(String serverAddress) {
        ObjectNode o = NODES.objectNode();
        o.put("kind", "APIVersions");
        o.putArray("versions").add("v1");
        ObjectNode cidr = o.putArray("serverAddressByClientCIDRs").addObject();
        cidr.put("clientCIDR", "0.0.0.0/0");
        cidr.put("serverAddress", serverAddress);
        return o;
    }

    /** {@code /apis}: every named group with its one version. */
    static ObjectNode apiGroupList() {
        ObjectNode o = NODES.objectNode();
        o.put("kind", "APIGroupList");
        o.put("apiVersion", "v1");
        ArrayNode groups = o.putArray("groups");
        for (String gv : groupVersions()) {
            groups.add(apiGroup(gv.substring(0, gv.indexOf('/'))).orElseThrow());
        }
        return o;
    }

    /** {@code /apis/<group>}, empty when the lab does not serve the group. */
    static Optional<ObjectNode> apiGroup(String group) {
        Optional<String> gv =
                groupVersions().stream().filter(v -> v.startsWith(group + "/")).findFirst();
        if (gv.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode g = NODES.objectNode();
        g.put("kind", "APIGroup");
        g.put("apiVersion", "v1");
        g.put("name", group);
        ObjectNode version = NODES.objectNode();
        version.put("groupVersion", gv.get());
        version.put("version", gv.get().substring(gv.get().indexOf('/') + 1));
        g.putArray("versions").add(version);
        g.set("preferredVersion", version.deepCopy());
        return Optional.of(g);
    }

    /**
     * {@code /api/v1} or {@code /apis/<group>/<version>}: each resource with its verbs, kind, scope and short
     * names, and its subresources. {@code pods/eviction} names group policy and version v1, which is how
     * {@code kubectl drain} finds out that it may evict rather than delete.
     */
    static Optional<ObjectNode> resourceList(String groupVersion) {
        if (groupVersion.equals(AccessReviews.GROUP_VERSION)) {
            return Optional.of(AccessReviews.resourceList());
        }
        List<Type> types = TYPES.stream()
                .filter(t -> t.groupVersion().equals(groupVersion))
                .toList();
        if (types.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode o = NODES.objectNode();
        o.put("kind", "APIResourceList");
        o.put("apiVersion", "v1");
        o.put("groupVersion", groupVersion);
        ArrayNode resources = o.putArray("resources");
        for (Type t : types) {
            ObjectNode r = resources.addObject();
            r.put("name", t.plural());
            r.put("singularName", t.singular());
            r.put("namespaced", t.namespaced());
            r.put("kind", t.kind());
            ArrayNode verbs = r.putArray("verbs");
            (t.plural().equals("namespaces")
                            ? ALL_VERBS.stream()
                                    .filter(v -> !v.equals("deletecollection"))
                                    .toList()
                            : ALL_VERBS)
                    .forEach(verbs::add);
            if (!t.shortNames().isEmpty()) {
                ArrayNode sn = r.putArray("shortNames");
                t.shortNames().forEach(sn::add);
            }
            if (!t.categories().isEmpty()) {
                ArrayNode c = r.putArray("categories");
                t.categories().forEach(c::add);
            }
            r.put(
                    "storageVersionHash",
                    Kube.sha256Hex(t.groupVersion() + "/" + t.kind()).substring(0, 11));
            for (String sub : t.subresources()) {
                resources.add(subresource(t, sub));
            }
        }
        return Optional.of(o);
    }

    private static ObjectNode subresource(Type t, String sub) {
        ObjectNode r = NODES.objectNode();
        r.put("name", t.plural() + "/" + sub);
        r.put("singularName", "");
        r.put("namespaced", t.namespaced());
        List<String> verbs;
        switch (sub) {
            case "eviction" -> {
                r.put("group", "policy");
                r.put("version", "v1");
                r.put("kind", "Eviction");
                verbs = List.of("create");
            }
            case "binding" -> {
                r.put("kind", "Binding");
                verbs = List.of("create");
            }
            case "log" -> {
                r.put("kind", "Pod");
                verbs = List.of("get");
            }
            case "scale" -> {
                r.put("group", "autoscaling");
                r.put("version", "v1");
                r.put("kind", "Scale");
                verbs = STATUS_VERBS;
            }
            default -> {
                r.put("kind", t.kind());
                verbs = STATUS_VERBS;
            }
        }
        ArrayNode v = r.putArray("verbs");
        verbs.forEach(v::add);
        return r;
    }
}
