package dev.spotdrill.core;

/**
 * Opens a {@link World} by name; found by {@link java.util.ServiceLoader}.
 *
 * <p>Core provides {@code aws}; the lab module provides {@code lab}. The JUnit extension picks the one named
 * by {@code spotdrill.world}.
 */
public interface WorldProvider {

    /** The world's name, as written in {@code spotdrill.world}. */
    String name();

    /**
     * Opens the world. Configuration errors throw {@link SpotDrillConfigurationException} before anything is
     * started.
     */
    WorldHandle open(SpotDrillConfig config);

    /** An open world; closing it releases what the provider started (the lab's servers, for example). */
    interface WorldHandle extends AutoCloseable {
        World world();

        @Override
        void close();
    }
}
