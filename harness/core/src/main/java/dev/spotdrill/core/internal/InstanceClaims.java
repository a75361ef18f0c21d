package dev.spotdrill.core.internal;

import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims on instances across processes: an EC2 tag {@code spotdrill:claim:<run id>} whose value is the claim's expiry
 * (RFC 3339, world time), written on every target before the template is created, renewed while the drill lives, and
 * removed at cleanup. A run is <em>live</em> while one of its claims has not expired.
 *
 * <p>Each run writes its own key, so two runs never overwrite each other's claim: a run claims its instances
 * ({@code CreateTags}), lets EC2 settle, reads the tags back ({@code DescribeTags}), and backs off (removing its own
 * claim) when it finds a live claim of another run. Of two runs that race, at least one reads the other's claim, so
 * they never both proceed. Before claiming, a run also looks for the active FIS experiments tagged
 * {@code spotdrill:run-id} of other runs that target the instances, which covers a run whose claim was lost.
 *
 * <p>The lease is {@link #LEASE} of world time, renewed every {@link #RENEW_EVERY}: a killed JVM's claims expire within
 * {@link #LEASE}, after which a sweep may remove what it left.
 */
public final class InstanceClaims {
    /** Every claim tag's key starts with this, followed by the run id. */
    public static final String KEY_PREFIX = "spotdrill:claim:";
    /** How long a claim lasts without renewal, in world time. */
    public static final Duration LEASE = Duration.ofMinutes(10);
    /** How often a live drill renews its claims, in world time. */
    public static final Duration RENEW_EVERY = Duration.ofMinutes(2);
    /** How long to let EC2 settle between writing the claims and reading them back, in world time. */
    static final Duration SETTLE = Duration.ofSeconds(2);

    static final String RUN_ID_TAG = "spotdrill:run-id";
    private static final Logger LOG = LoggerFactory.getLogger(InstanceClaims.class);
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_.:/=+@-]{1,100}");

    private InstanceClaims() {}

    /**
     * One claim tag.
     *
     * @param instanceId the claimed instance
     * @param runId the run that claimed it
     * @param expires when the claim lapses without renewal (world time); {@link Instant#EPOCH} when the value is not
     *     a time (a damaged tag counts as expired)
     */
    public record Claim(String instanceId, String runId, Instant expires) {
        /** Whether the claim still holds at the given world time. */
        public boolean live(Instant now) {
            return expires.isAfter(now);
        }

        /** {@code claimed by spotdrill run sd-... until 2026-...Z}. */
        public String describe() {
            return "claimed by spotdrill run " + runId + " until " + expires;
        }
    }

    /** The tag key of a run's claims. */
    public static String key(String runId) {
        if (runId == null || !RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("run id \"" + runId + "\" cannot be part of an EC2 tag key; use letters,"
                    + " digits and _.:/=+@- only");
        }
        return KEY_PREFIX + runId;
    }

    /** The claim a tag states, or empty when the key is not a claim's. */
    public static Optional<Claim> parse(String instanceId, String key, String value) {
        if (key == null || !key.startsWith(KEY_PREFIX) || key.length() == KEY_PREFIX.length()) {
            return Optional.empty();
        }
        Instant expires;
        try {
            expires = Instant.parse(value);
        } catch (DateTimeParseException | NullPointerException e) {
            expires = Instant.EPOCH;
        }
        return Optional.of(new Claim(instanceId, key.substring(KEY_PREFIX.length()), expires));
    }

    /** Every claim on instances of the account (DescribeTags by key prefix). */
    public static List<Claim> all(AwsBackend backend) {
        List<Claim> out = new ArrayList<>();
        for (AwsBackend.InstanceTag t : backend.instanceTagsWithPrefix(KEY_PREFIX)) {
            parse(t.instanceId(), t.key(), t.value()).ifPresent(out::add);
        }
        return out;
    }

    /**
     * Why each of the instances is taken by another live run: a live claim, or an active FIS experiment of another run
     * targeting it. Only instances that are taken are in the map; reads only.
     */
    public static Map<String, String> conflicts(AwsBackend backend, World world, List<String> ids, String runId) {
        Map<String, String> out = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        Instant now = world.clock().now();
        claimConflicts(backend, ids, runId, now, out);
        for (AwsBackend.Tagged e : backend.taggedExperiments(RUN_ID_TAG)) {
            String other = e.tags().get(RUN_ID_TAG);
            if (runId.equals(other)
                    || !List.of("pending", "initiating", "running").contains(e.status())) {
                continue;
            }
            for (String target : backend.experimentTargets(e.id())) {
                if (ids.contains(target)) {
                    out.putIfAbsent(
                            target,
                            "FIS experiment " + e.id() + " of spotdrill run " + other + " targets it (" + e.status()
                                    + ")");
                }
            }
        }
        return out;
    }

    private static void claimConflicts(
            AwsBackend backend, List<String> ids, String runId, Instant now, Map<String, String> out) {
        backend.instanceTags(ids)
                .forEach((id, tags) -> tags.forEach((k, v) -> parse(id, k, v)
                        .filter(c -> !c.runId().equals(runId) && c.live(now))
                        .ifPresent(c -> out.putIfAbsent(id, c.describe()))));
    }

    /**
     * Claims every instance for the run, or none: checks for conflicts, writes the claims, lets EC2 settle, reads them
     * back. On a conflict (found before writing, or a race lost after) the run's own claims are removed again.
     *
     * @throws ConflictException naming, per instance, the other run that holds it
     */
    public static Lease claim(AwsBackend backend, World world, List<String> ids, String runId) {
        Map<String, String> before = conflicts(backend, world, ids, runId);
        if (!before.isEmpty()) {
            throw new ConflictException(before);
        }
        WorldClock clock = world.clock();
        String key = key(runId);
        backend.createTags(ids, Map.of(key, expiry(clock)));
        Backoff.pause(clock, SETTLE);
        Map<String, String> after = new LinkedHashMap<>();
        try {
            claimConflicts(backend, ids, runId, clock.now(), after);
        } catch (RuntimeException e) {
            release(backend, ids, key);
            throw e;
        }
        if (!after.isEmpty()) {
            release(backend, ids, key);
            throw new ConflictException(after);
        }
        return new Lease(backend, world, ids, runId);
    }

    private static String expiry(WorldClock clock) {
        return clock.now().plus(LEASE).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static void release(AwsBackend backend, List<String> ids, String key) {
        try {
            backend.deleteTags(ids, List.of(key));
        } catch (RuntimeException e) {
            LOG.warn(
                    "spotdrill: could not remove the claim {} from {}; it expires on its own: {}",
                    key,
                    ids,
                    e.toString());
        }
    }

    /** Removes every claim of the given keys from the instances (for a sweep); a tag already gone is no error. */
    public static void remove(AwsBackend backend, String instanceId, String runId) {
        backend.deleteTags(List.of(instanceId), List.of(key(runId)));
    }

    /** Another live run holds some of the instances. */
    public static final class ConflictException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final Map<String, String> conflicts;

        ConflictException(Map<String, String> conflicts) {
            super(describe(conflicts), null, false, false);
            this.conflicts = Map.copyOf(conflicts);
        }

        /** Instance id to why it is taken. */
        public Map<String, String> conflicts() {
            return conflicts;
        }

        private static String describe(Map<String, String> conflicts) {
            List<String> parts = new ArrayList<>();
            conflicts.forEach((id, why) -> parts.add(id + ": " + why));
            return String.join("; ", parts);
        }
    }

    /** A run's claims on its instances, renewed until {@link #close()} removes them. */
    public static final class Lease implements AutoCloseable {
        private final AwsBackend backend;
        private final List<String> ids;
        private final String runId;
        private final ScheduledFuture<?> renewal;
        private volatile boolean closed;

        private Lease(AwsBackend backend, World world, List<String> ids, String runId) {
            this.backend = backend;
            this.ids = List.copyOf(ids);
            this.runId = runId;
            long every = Math.max(1, world.clock().toWall(RENEW_EVERY).toNanos());
            this.renewal = Probes.scheduler()
                    .scheduleWithFixedDelay(() -> renew(world.clock()), every, every, TimeUnit.NANOSECONDS);
        }

        private void renew(WorldClock clock) {
            if (closed) {
                return;
            }
            try {
                backend.createTags(ids, Map.of(InstanceClaims.key(runId), expiry(clock)));
            } catch (RuntimeException e) {
                LOG.warn("spotdrill: could not renew the claims of run {} on {}: {}", runId, ids, e.toString());
            }
        }

        /** The claimed instances. */
        public List<String> instanceIds() {
            return ids;
        }

        /** The claim tag's key. */
        public String key() {
            return InstanceClaims.key(runId);
        }

        /**
         * Stops renewing and removes the claims; safe to call twice.
         *
         * @throws SpotDrillException when EC2 refuses (the claims then expire on their own within {@link #LEASE})
         */
        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            renewal.cancel(false);
            try {
                backend.deleteTags(ids, List.of(key()));
            } catch (RuntimeException e) {
                throw new SpotDrillException(
                        "spotdrill could not remove its claims " + key() + " from " + String.join(", ", ids) + " ("
                                + e.getMessage() + "); they expire within " + LEASE + "; remove them with `aws ec2"
                                + " delete-tags --resources " + String.join(" ", ids) + " --tags Key=" + key() + "`",
                        e);
            }
        }

        @Override
        public String toString() {
            return "claims " + key() + " on " + String.join(", ", ids);
        }
    }
}
