package dev.spotdrill.lab.kube;

/**
 * A DaemonSet of the lab cluster: one pod on every node, tolerating every taint.
 *
 * @param namespace its namespace
 * @param name its name
 */
public record DaemonSetSpec(String namespace, String name) {

    public DaemonSetSpec {
        namespace = namespace == null || namespace.isBlank() ? "default" : namespace;
        WorkloadSpec.checkName("daemonSet name", name);
    }
}
