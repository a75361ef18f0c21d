package dev.spotdrill.core;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a {@link World} reaches its Kubernetes cluster: a master URL (the lab), or a kubeconfig file and
 * context (a real cluster). Core builds its Fabric8 client from this and nothing else.
 *
 * @param masterUrl the API server URL, when given directly
 * @param kubeconfig the kubeconfig file, when given; empty with an empty master URL means "the default
 *     kubeconfig"
 * @param context the kubeconfig context; empty means the current context
 * @param namespace the default namespace
 */
public record KubeAccess(
        Optional<URI> masterUrl, Optional<Path> kubeconfig, Optional<String> context, String namespace) {

    public KubeAccess {
        if (namespace == null || namespace.isBlank()) {
            namespace = "default";
        }
    }

    /** A cluster reached at a master URL, without authentication (the lab). */
    public static KubeAccess master(URI masterUrl) {
        return new KubeAccess(Optional.of(masterUrl), Optional.empty(), Optional.empty(), "default");
    }

    /** A cluster reached through a kubeconfig file (or the default one) and an optional context. */
    public static KubeAccess kubeconfig(Optional<Path> file, Optional<String> context) {
        return new KubeAccess(Optional.empty(), file, context, "default");
    }
}
