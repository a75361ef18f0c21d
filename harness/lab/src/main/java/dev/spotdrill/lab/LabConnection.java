package dev.spotdrill.lab;

import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.KubeAccess;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How another JVM reaches a running lab, as another process reaches one AWS account: the lab's endpoints, region,
 * pace and world clock as plain properties (no secret among them), and the lab's credentials handed over apart from
 * them (for example through the {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY} variables of the child
 * process). The other JVM builds the same world from them:
 *
 * <pre>{@code
 * // parent
 * Map<String, String> props = LabConnection.properties(lab);   // pass as -D options
 * // child
 * World world = LabConnection.world(System.getProperties(), AwsCredentials.of(keyId, secret));
 * }</pre>
 *
 * <p>The world clock is carried as one world instant and the wall time it was read at: both JVMs read the same wall
 * clock, so they agree on world time within a few milliseconds times the pace.
 */
public final class LabConnection {
    /** Every property starts with this. */
    public static final String PREFIX = "spotdrill.lab.connect.";

    private LabConnection() {}

    /** The properties that describe the lab to another JVM; no secrets. */
    public static Map<String, String> properties(SpotLab lab) {
        World w = lab.world();
        Map<String, String> p = new LinkedHashMap<>();
        p.put(PREFIX + "region", w.region());
        p.put(PREFIX + "pace", Double.toString(w.clock().pace()));
        long wall = System.currentTimeMillis();
        Instant world = w.clock().now();
        p.put(PREFIX + "worldAt", world.toString());
        p.put(PREFIX + "wallAt", Long.toString(wall));
        for (AwsService s : AwsService.values()) {
            w.endpoint(s).ifPresent(uri -> p.put(PREFIX + "endpoint." + s.name(), uri.toString()));
        }
        w.kube().flatMap(KubeAccess::masterUrl).ifPresent(u -> p.put(PREFIX + "kube", u.toString()));
        for (LabInstance i : lab.instances()) {
            if (i.state().equals("running")) {
                try {
                    p.put(PREFIX + "imds." + i.id(), lab.imdsEndpoint(i.id()).toString());
                } catch (RuntimeException e) {
                    // an instance without IMDS: a drill on it reads IMDS through no endpoint
                }
            }
        }
        return p;
    }

    /** The lab world the properties describe, with the given credentials. */
    public static World world(Map<?, ?> properties, AwsCredentials credentials) {
        Map<String, String> p = new LinkedHashMap<>();
        properties.forEach((k, v) -> {
            if (String.valueOf(k).startsWith(PREFIX)) {
                p.put(String.valueOf(k).substring(PREFIX.length()), String.valueOf(v));
            }
        });
        String region = required(p, "region");
        double pace = Double.parseDouble(required(p, "pace"));
        Instant worldAt = Instant.parse(required(p, "worldAt"));
        long wallAt = Long.parseLong(required(p, "wallAt"));
        long elapsedMillis = System.currentTimeMillis() - wallAt;
        Instant now = worldAt.plus(Duration.ofNanos(Math.round(elapsedMillis * 1_000_000.0 * pace)));
        World.Builder b = World.builder(World.LAB)
                .region(region)
                .clock(WorldClock.paced(now, pace))
                .credentials(credentials)
                .fact("pace", Double.toString(pace))
                .fact("region", region)
                .fact("lab", "connected");
        for (AwsService s : AwsService.values()) {
            Optional.ofNullable(p.get("endpoint." + s.name())).ifPresent(u -> b.endpoint(s, URI.create(u)));
        }
        Optional.ofNullable(p.get("kube")).ifPresent(u -> b.kube(KubeAccess.master(URI.create(u))));
        Map<String, URI> imds = new LinkedHashMap<>();
        p.forEach((k, v) -> {
            if (k.startsWith("imds.")) {
                imds.put(k.substring(5), URI.create(v));
            }
        });
        b.imdsEndpoints(id -> {
            URI u = imds.get(id);
            if (u == null) {
                throw new SpotDrillConfigurationException("the connected lab gave no IMDS endpoint for " + id);
            }
            return u;
        });
        return b.build();
    }

    private static String required(Map<String, String> p, String key) {
        String v = p.get(key);
        if (v == null || v.isBlank()) {
            throw new SpotDrillConfigurationException(PREFIX + key + " is not set: pass every property of"
                    + " LabConnection.properties(lab) to this JVM");
        }
        return v;
    }
}
