package dev.spotdrill.core.internal;

import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.World;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether FIS offers {@code aws:ec2:send-spot-instance-interruptions} in a world's region, asked with ListActions once
 * per JVM and region (and endpoint, so that two labs are two answers). Only a yes is remembered: a region without the
 * action runs no drill, so asking again there costs nothing that matters.
 */
public final class SpotActionCheck {
    private static final Map<String, Boolean> OFFERED = new ConcurrentHashMap<>();

    private SpotActionCheck() {}

    /** Whether the action is offered; the first call for a region asks FIS, later ones reuse the answer. */
    public static boolean offered(AwsBackend backend, World world) {
        String key = world.region() + "|"
                + world.endpoint(AwsService.FIS).map(Object::toString).orElse("");
        Boolean known = OFFERED.get(key);
        if (known != null) {
            return known;
        }
        boolean offered = backend.fisActionIds().contains(TemplateRequest.ACTION_ID);
        if (offered) {
            OFFERED.put(key, true);
        }
        return offered;
    }
}
