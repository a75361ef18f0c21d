package dev.spotdrill.core.kube;

import dev.spotdrill.core.KubeAccess;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** Builds the Fabric8 client a drill uses from the world's {@link KubeAccess}; the caller closes it. */
public final class KubeClientFactory {
    private KubeClientFactory() {}

    /**
     * A new client for the world's cluster.
     *
     * @throws SpotDrillConfigurationException when the world has no Kubernetes access
     */
    public static KubernetesClient client(World world, String why) {
        KubeAccess access = world.kube()
                .orElseThrow(() -> new SpotDrillConfigurationException(why + ": the " + world.name()
                        + " world has no Kubernetes access; set spotdrill.kube.context (or a kubeconfig)"));
        return client(access);
    }

    /** A new client for the cluster. */
    public static KubernetesClient client(KubeAccess access) {
        Config config;
        if (access.masterUrl().isPresent()) {
            config = new ConfigBuilder(Config.empty())
                    .withMasterUrl(access.masterUrl().get().toString())
                    .withNamespace(access.namespace())
                    .withRequestTimeout(10_000)
                    .withConnectionTimeout(5_000)
                    .withRequestRetryBackoffLimit(3)
                    .build();
        } else if (access.kubeconfig().isPresent()) {
            config = Config.fromKubeconfig(
                    access.context().orElse(null), access.kubeconfig().get().toFile());
        } else {
            config = Config.autoConfigure(access.context().orElse(null));
        }
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
