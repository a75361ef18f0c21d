package dev.spotdrill.core.internal;

import dev.spotdrill.core.World;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The instances that live drills in this JVM have claimed, per world, so that two parallel drills never pick
 * the same instance.
 */
public final class TargetClaims {
    private static final Map<World, Set<String>> CLAIMED = new WeakHashMap<>();

    private TargetClaims() {}

    /** Whether an instance is claimed by a live drill. */
    public static synchronized boolean claimed(World world, String instanceId) {
        return CLAIMED.getOrDefault(world, Set.of()).contains(instanceId);
    }

    /** Claims all the instances, or none: returns false when one is already claimed. */
    public static synchronized boolean claim(World world, Collection<String> ids) {
        Set<String> set = CLAIMED.computeIfAbsent(world, w -> new java.util.HashSet<>());
        for (String id : ids) {
            if (set.contains(id)) {
                return false;
            }
        }
        set.addAll(ids);
        return true;
    }

    public static synchronized void release(World world, Collection<String> ids) {
        Set<String> set = CLAIMED.get(world);
        if (set != null) {
            set.removeAll(ids);
        }
    }
}
