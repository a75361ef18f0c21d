package dev.spotdrill.core.castai;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Probes;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CAST AI source ({@value #KIND}): the cluster's instance blacklist, read with the list call every
 * {@code spotdrill.castai.pollInterval} of world time (default {@code PT10S}, and never more often than every
 * 50 ms of wall time). CAST AI has no watch, so this is the one source that polls.
 *
 * <p>Before anything is created it resolves the settings (a missing organization or cluster id is a configuration
 * error naming the key) and reads the list once, so that a refused key fails the test there, with a message naming
 * {@value CastAiSettings#API_KEY_ENV} and never its value. Once started it reads the list at once (the entries present
 * then are recorded as the initial state) and then on its schedule, and writes drill-level
 * {@link BlacklistObservations}: an entry appeared, was renewed, expired or was removed, and a status reading per
 * read. A read that fails later (401, 429, 5xx, no answer) is recorded, never thrown: the next read is the retry.
 */
public final class CastAiSource implements Source {
    /** The source's kind, which the blacklist expectations ask for. */
    public static final String KIND = "castai";
    /** The poll interval when {@code spotdrill.castai.pollInterval} is not set (world time). */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(10);

    private static final Duration WALL_FLOOR = Duration.ofMillis(50);
    private static final Logger LOG = LoggerFactory.getLogger(CastAiSource.class);
    private static final int LISTED = 8;

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage stage() {
        return Stage.RESOLVED;
    }

    @Override
    public void check(SourceContext ctx, List<SourceRequest> requests) {
        pollInterval(ctx.config());
        CastAiSettings settings = CastAiSettings.resolve(ctx.config(), ctx.world());
        try {
            CastAiClient.create(settings, ctx.world().clock()).list();
        } catch (CastAiAuthenticationException e) {
            throw new SpotDrillConfigurationException(e.getMessage(), e);
        } catch (CastAiException e) {
            if (e.status() == 400 || e.status() == 404) {
                throw new SpotDrillConfigurationException(e.getMessage(), e);
            }
            throw e;
        }
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        CastAiSettings settings = CastAiSettings.resolve(ctx.config(), ctx.world());
        WorldClock clock = ctx.world().clock();
        Poller poller = new Poller(ctx, CastAiClient.create(settings, clock).withMaxAttempts(1), settings);
        poller.poll(); // the initial state, before anything changes
        Duration every = Backoff.pollInterval(clock, pollInterval(ctx.config()), WALL_FLOOR);
        poller.future = Probes.scheduler()
                .scheduleWithFixedDelay(poller::poll, every.toNanos(), every.toNanos(), TimeUnit.NANOSECONDS);
        return poller::close;
    }

    /** The configured poll interval (world time), checked. */
    static Duration pollInterval(SpotDrillConfig config) {
        Duration d = config.duration(SpotDrillConfig.CASTAI_POLL_INTERVAL, DEFAULT_POLL_INTERVAL);
        if (d.isNegative() || d.isZero()) {
            throw new SpotDrillConfigurationException(SpotDrillConfig.CASTAI_POLL_INTERVAL + "=\"" + d
                    + "\": the blacklist is read every this much world time, so it must be positive; use PT10S");
        }
        return d;
    }

    /** Reads the list on a schedule and writes what changed. */
    private static final class Poller {
        private final SourceContext ctx;
        private final CastAiClient client;
        private final CastAiSettings settings;
        private final Map<String, BlacklistEntry> current = new LinkedHashMap<>();
        private volatile ScheduledFuture<?> future;
        private volatile boolean closed;
        private Boolean readable; // null before the first read; guarded by this

        Poller(SourceContext ctx, CastAiClient client, CastAiSettings settings) {
            this.ctx = ctx;
            this.client = client;
            this.settings = settings;
        }

        synchronized void poll() {
            if (closed) {
                return;
            }
            try {
                Blacklist list = client.list();
                if (!closed) {
                    record(list, ctx.world().clock().now());
                }
            } catch (CastAiException e) {
                if (!closed) {
                    failed(e.status(), e.getMessage(), ctx.world().clock().now());
                }
            } catch (RuntimeException e) { // a poll must never end the schedule
                if (!closed) {
                    failed(0, e.toString(), ctx.world().clock().now());
                }
            }
        }

        private void record(Blacklist list, Instant at) {
            boolean first = readable == null;
            if (!Boolean.TRUE.equals(readable)) {
                if (Boolean.FALSE.equals(readable)) {
                    ctx.progress("CAST AI blacklist readable again: " + count(list));
                }
                ctx.timeline()
                        .add(new Observation(
                                at,
                                BlacklistObservations.SOURCE,
                                "",
                                BlacklistObservations.READ,
                                "read the blacklist of cluster " + settings.clusterId() + ": " + count(list),
                                Map.of(
                                        "entries",
                                        Integer.toString(list.entries().size()))));
                readable = true;
            }
            Set<String> seen = new HashSet<>();
            for (BlacklistEntry e : list.entries()) {
                String key = key(e);
                seen.add(key);
                BlacklistEntry old = current.put(key, e);
                if (old == null) {
                    String change = first ? BlacklistObservations.INITIAL : BlacklistObservations.ADDED;
                    add(at, BlacklistObservations.BLACKLISTED, e, change, null);
                } else if (!old.expiresAt().equals(e.expiresAt())) {
                    add(at, BlacklistObservations.BLACKLISTED, e, BlacklistObservations.RENEWED, null);
                }
            }
            for (var it = current.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, BlacklistEntry> c = it.next();
                if (!seen.contains(c.getKey())) {
                    it.remove();
                    String reason = c.getValue().expiredAt(at) ? "expired" : "removed";
                    add(at, BlacklistObservations.UNBLACKLISTED, c.getValue(), null, reason);
                }
            }
            String listed = list.entries().stream()
                    .limit(LISTED)
                    .map(BlacklistEntry::describe)
                    .collect(Collectors.joining(", "));
            String more = list.entries().size() > LISTED ? ", …" : "";
            ctx.timeline()
                    .status(
                            "",
                            BlacklistObservations.STATUS,
                            at,
                            "GET /v1/inventory/blacklist -> " + count(list)
                                    + (list.isEmpty() ? "" : ": " + listed + more));
        }

        private void failed(int status, String message, Instant at) {
            String first = message == null
                    ? "no message"
                    : message.lines().findFirst().orElse("").trim();
            if (!Boolean.FALSE.equals(readable)) {
                ctx.timeline()
                        .add(new Observation(
                                at,
                                BlacklistObservations.SOURCE,
                                "",
                                BlacklistObservations.UNREADABLE,
                                "could not read the blacklist: " + first,
                                Map.of("status", Integer.toString(status), "error", first)));
                readable = false;
                ctx.progress("CAST AI blacklist unreadable: " + first);
            }
            ctx.timeline().status("", BlacklistObservations.STATUS, at, "GET /v1/inventory/blacklist failed: " + first);
            LOG.debug("CAST AI blacklist read failed: {}", first);
        }

        private void add(Instant at, String kind, BlacklistEntry e, String change, String reason) {
            Map<String, String> data = new LinkedHashMap<>();
            data.put("instanceFamily", e.instanceFamily());
            data.put("lifecycle", e.lifecycle());
            data.put("expiresAt", e.expiresAt().map(Instant::toString).orElse(""));
            data.put("match", e.isInstanceType() ? "type" : "family");
            data.put("raw", e.raw());
            String detail;
            if (change != null) {
                data.put("change", change);
                detail = e.describe()
                        + switch (change) {
                            case BlacklistObservations.INITIAL -> " present at the first read";
                            case BlacklistObservations.RENEWED -> " renewed";
                            default -> " added";
                        };
            } else {
                data.put("reason", reason);
                detail = e.describe() + " " + reason;
            }
            ctx.timeline().add(new Observation(at, BlacklistObservations.SOURCE, "", kind, detail, data));
        }

        void close() {
            closed = true;
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
        }

        private static String count(Blacklist list) {
            int n = list.entries().size();
            return n == 1 ? "1 entry" : n + " entries";
        }

        private static String key(BlacklistEntry e) {
            return e.instanceFamily().toLowerCase(Locale.ROOT) + "|"
                    + e.lifecycle().toLowerCase(Locale.ROOT);
        }
    }
}
