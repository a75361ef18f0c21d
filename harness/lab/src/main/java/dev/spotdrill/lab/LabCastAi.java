package dev.spotdrill.lab;

import dev.spotdrill.core.Secret;
import dev.spotdrill.core.WorldClock;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The lab's CAST AI: one organization with one cluster, its API key, and the cluster's instance blacklist, served
 * on the legacy {@code /v1/inventory/blacklist} API.
 *
 * <p>Entries expire at their {@code expiresAt} in world time. The API key is a {@link Secret}: the lab world
 * supplies it as its {@code SPOTDRILL_CASTAI_API_KEY} secret, and nothing here prints it. Thread-safe.
 */
public final class LabCastAi {
    private final WorldClock clock;
    private final String organizationId = UUID.randomUUID().toString();
    private final String clusterId = UUID.randomUUID().toString();
    private final Secret apiKey;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private volatile URI url;

    LabCastAi(WorldClock clock, Secret apiKey) {
        this.clock = clock;
        this.apiKey = apiKey;
    }

    /**
     * One blacklist entry.
     *
     * @param instanceFamily what the caller sent: a family ({@code m5}) or a whole type ({@code m5.large})
     * @param lifecycle {@code spot}, {@code on-demand} or {@code all}
     * @param expiresAt when it expires (world time), empty when it was added without {@code expiresAt}
     * @param createdAt when it was added (world time)
     */
    public record Entry(String instanceFamily, String lifecycle, Optional<Instant> expiresAt, Instant createdAt) {
        public Entry {
            Objects.requireNonNull(instanceFamily, "instanceFamily");
            Objects.requireNonNull(lifecycle, "lifecycle");
            Objects.requireNonNull(expiresAt, "expiresAt");
            Objects.requireNonNull(createdAt, "createdAt");
        }
    }

    /** The API's base URL. */
    public URI url() {
        return Objects.requireNonNull(url, "the lab does not serve CAST AI yet");
    }

    void url(URI url) {
        this.url = url;
    }

    /** The one organization's id (a UUID, new for every lab). */
    public String organizationId() {
        return organizationId;
    }

    /** The one cluster's id (a UUID, new for every lab). */
    public String clusterId() {
        return clusterId;
    }

    Secret apiKey() {
        return apiKey;
    }

    /** The entries not expired now, in the order they were first added. */
    public synchronized List<Entry> entries() {
        purge();
        return List.copyOf(entries.values());
    }

    /** Adds (or renews) an entry, as the add call does; for tests that need a blacklist to start from. */
    public synchronized void add(String instanceFamily, String lifecycle, Instant expiresAt) {
        Objects.requireNonNull(instanceFamily, "instanceFamily");
        Objects.requireNonNull(lifecycle, "lifecycle: spot, on-demand or all");
        String key = key(instanceFamily, lifecycle);
        Entry old = entries.get(key);
        entries.put(
                key,
                new Entry(
                        instanceFamily,
                        lifecycle,
                        Optional.ofNullable(expiresAt),
                        old == null ? clock.now() : old.createdAt()));
    }

    /** Removes the entries of a family or type: of one lifecycle, or of all when the lifecycle is null. */
    public synchronized int remove(String instanceFamily, String lifecycle) {
        List<String> gone = new ArrayList<>();
        entries.forEach((k, e) -> {
            if (e.instanceFamily().equalsIgnoreCase(instanceFamily)
                    && (lifecycle == null || e.lifecycle().equalsIgnoreCase(lifecycle))) {
                gone.add(k);
            }
        });
        gone.forEach(entries::remove);
        return gone.size();
    }

    /** Empties the blacklist. */
    public synchronized void clear() {
        entries.clear();
    }

    private void purge() {
        Instant now = clock.now();
        entries.values().removeIf(e -> e.expiresAt().map(t -> !t.isAfter(now)).orElse(false));
    }

    private static String key(String instanceFamily, String lifecycle) {
        return instanceFamily.toLowerCase(Locale.ROOT) + "|" + lifecycle.toLowerCase(Locale.ROOT);
    }

    @Override
    public synchronized String toString() {
        return "LabCastAi[organization " + organizationId + ", cluster " + clusterId + ", " + entries.size()
                + " entries]";
    }
}
