package dev.spotdrill.core;

/** Provides the {@code aws} world: real AWS from the default credential chain. */
public final class AwsWorldProvider implements WorldProvider {
    @Override
    public String name() {
        return World.AWS;
    }

    @Override
    public WorldHandle open(SpotDrillConfig config) {
        World world = World.aws(config);
        return new WorldHandle() {
            @Override
            public World world() {
                return world;
            }

            @Override
            public void close() {
                // nothing was started
            }
        };
    }

    /** The provider named {@code name}, found by ServiceLoader. */
    public static WorldProvider find(String name) {
        java.util.List<String> known = new java.util.ArrayList<>();
        for (WorldProvider p : java.util.ServiceLoader.load(WorldProvider.class)) {
            if (p.name().equals(name)) {
                return p;
            }
            known.add(p.name());
        }
        String hint = World.LAB.equals(name)
                ? "; add the test dependency dev.spotdrill:spotdrill-lab, or set spotdrill.world=aws"
                : "; use one of " + known;
        throw new SpotDrillConfigurationException(
                SpotDrillConfig.WORLD + "=\"" + name + "\": no such world on the classpath" + hint);
    }
}
