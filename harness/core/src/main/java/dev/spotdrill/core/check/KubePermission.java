package dev.spotdrill.core.check;

import java.util.List;
import java.util.Objects;

/**
 * One Kubernetes permission a drill needs, as {@code spotdrill doctor} checks it with a SelfSubjectAccessReview and
 * as the RBAC manifests in {@code ci/k8s/} grant it: {@link #REQUIRED} is the one list both follow.
 *
 * @param group the API group, {@code ""} for the core group
 * @param resource the resource, for example {@code pods}
 * @param subresource the subresource, for example {@code log}; {@code ""} for none
 * @param verbs the verbs
 * @param clusterWide whether it is needed in every namespace (a ClusterRole) or only in the probe pods' namespace (a
 *     Role)
 */
public record KubePermission(
        String group, String resource, String subresource, List<String> verbs, boolean clusterWide) {

    /**
     * What a drill does in a cluster: create, get and delete its IMDS probe pods and read their logs (in its
     * namespace); list and watch nodes, pods and Deployments, and patch Deployments (everywhere).
     */
    public static final List<KubePermission> REQUIRED = List.of(
            new KubePermission("", "pods", "", List.of("create", "get", "delete"), false),
            new KubePermission("", "pods", "log", List.of("get"), false),
            new KubePermission("", "nodes", "", List.of("list", "watch"), true),
            new KubePermission("", "pods", "", List.of("list", "watch"), true),
            new KubePermission("apps", "deployments", "", List.of("list", "watch", "patch"), true));

    public KubePermission {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(resource, "resource");
        subresource = subresource == null ? "" : subresource;
        verbs = List.copyOf(verbs);
        if (verbs.isEmpty()) {
            throw new IllegalArgumentException("a permission needs at least one verb");
        }
    }

    /** {@code pods/log} or {@code deployments.apps}, as kubectl names it. */
    public String name() {
        return resource + (group.isEmpty() ? "" : "." + group) + (subresource.isEmpty() ? "" : "/" + subresource);
    }

    /** The resource as an RBAC rule names it: {@code pods/log}. */
    public String ruleResource() {
        return resource + (subresource.isEmpty() ? "" : "/" + subresource);
    }

    @Override
    public String toString() {
        return String.join(",", verbs) + " " + name() + (clusterWide ? " (all namespaces)" : " (namespace)");
    }
}
