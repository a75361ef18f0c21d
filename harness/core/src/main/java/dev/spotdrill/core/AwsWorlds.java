package dev.spotdrill.core;

/** Builds the real AWS world from configuration. */
final class AwsWorlds {
    private AwsWorlds() {}

    static World fromConfig(SpotDrillConfig config) {
        String region = config.get(SpotDrillConfig.AWS_REGION)
                .or(() -> java.util.Optional.ofNullable(System.getenv("AWS_REGION")))
                .or(() -> java.util.Optional.ofNullable(System.getenv("AWS_DEFAULT_REGION")))
                .orElseThrow(() -> new SpotDrillConfigurationException(SpotDrillConfig.AWS_REGION
                        + " is not set: the aws world needs a region; set spotdrill.aws.region=us-east-1"
                        + " (or SPOTDRILL_AWS_REGION, or AWS_REGION)"));
        World.Builder b = World.builder(World.AWS).region(region).clock(WorldClock.system());
        java.util.Optional<java.nio.file.Path> kubeconfig =
                config.get(SpotDrillConfig.KUBE_CONFIG).map(java.nio.file.Path::of);
        b.kube(KubeAccess.kubeconfig(kubeconfig, config.get(SpotDrillConfig.KUBE_CONTEXT)));
        b.fact("region", region);
        return b.build();
    }
}
