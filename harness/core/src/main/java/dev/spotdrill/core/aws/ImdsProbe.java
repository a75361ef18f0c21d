package dev.spotdrill.core.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Probes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataClientException;
import software.amazon.awssdk.imds.Ec2MetadataRetryPolicy;

/**
 * Watches one target's instance metadata service (IMDSv2) for the rebalance recommendation and the
 * instance-action notice, and appends them to the timeline.
 *
 * <p>A 404 means "not yet". A 401 means the token expired: the probe takes a new one. Polls every second of
 * world time (at least every 50 ms of wall time).
 */
public final class ImdsProbe implements AutoCloseable {
    public static final String REBALANCE_PATH = "/latest/meta-data/events/recommendations/rebalance";
    public static final String NOTICE_PATH = "/latest/meta-data/spot/instance-action";
    static final Duration INTERVAL = Duration.ofSeconds(1);
    static final Duration WALL_FLOOR = Duration.ofMillis(50);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final World world;
    private final Target target;
    private final Timeline timeline;
    private final Object lock = new Object();
    private Ec2MetadataClient client;
    private boolean rebalanceSeen;
    private boolean noticeSeen;
    private volatile boolean closed;
    private final ScheduledFuture<?> task;

    private ImdsProbe(World world, Target target, Timeline timeline) {
        this.world = world;
        this.target = target;
        this.timeline = timeline;
        long every = Backoff.pollInterval(world.clock(), INTERVAL, WALL_FLOOR).toNanos();
        this.task = Probes.scheduler().scheduleWithFixedDelay(this::poll, 0, every, TimeUnit.NANOSECONDS);
    }

    /** Starts watching the target's IMDS on the world's route. */
    public static ImdsProbe start(World world, Target target, Timeline timeline) {
        return new ImdsProbe(world, target, timeline);
    }

    private void poll() {
        synchronized (lock) {
            if (closed || (rebalanceSeen && noticeSeen)) {
                return;
            }
            try {
                if (!rebalanceSeen) {
                    rebalanceSeen = read(REBALANCE_PATH, "imds:rebalance", this::onRebalance);
                }
                if (!noticeSeen) {
                    noticeSeen = read(NOTICE_PATH, "imds:instance-action", this::onNotice);
                }
            } catch (RuntimeException e) {
                // a periodic task that throws is never run again: record the error and poll on
                timeline.status(
                        target.instanceId(),
                        "imds:instance-action",
                        world.clock().now(),
                        "probe error: " + e);
                closeClient();
            }
        }
    }

    private void closeClient() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    private Ec2MetadataClient newClient() {
        return Ec2MetadataClient.builder()
                .endpoint(world.imdsEndpoint(target.instanceId()))
                .httpClient(AwsClients.of(world).http())
                .retryPolicy(Ec2MetadataRetryPolicy.none())
                .build();
    }

    private interface OnBody {
        void accept(Instant at, String body);
    }

    /** Reads one path; returns true when it answered 200 and the observation was recorded. */
    private boolean read(String path, String key, OnBody onBody) {
        if (client == null) {
            client = newClient(); // a fresh client takes a fresh IMDSv2 token
        }
        // a reading is stamped when its answer arrives: never before IMDS could have served it
        Instant at;
        try {
            String body = client.get(path).asString();
            at = world.clock().now();
            onBody.accept(at, body);
            timeline.status(target.instanceId(), key, at, "GET " + path + " -> 200");
            return true;
        } catch (Ec2MetadataClientException e) {
            at = world.clock().now();
            if (e.statusCode() == 401) {
                closeClient(); // token expired or refused: the next read takes a fresh one
            }
            timeline.status(
                    target.instanceId(),
                    key,
                    at,
                    "GET " + path + " -> " + e.statusCode() + (e.statusCode() == 404 ? " Not Found" : ""));
            return false;
        } catch (SdkClientException e) {
            at = world.clock().now();
            timeline.status(target.instanceId(), key, at, "GET " + path + " -> no answer (" + e.getMessage() + ")");
            closeClient();
            return false;
        }
    }

    private void onRebalance(Instant at, String body) {
        String noticeTime = field(body, "noticeTime");
        timeline.add(new Observation(
                at,
                "imds",
                target.instanceId(),
                Observation.Kinds.REBALANCE,
                "rebalance recommendation " + body.strip(),
                Map.of("body", body, "noticeTime", noticeTime, "path", REBALANCE_PATH)));
    }

    private void onNotice(Instant at, String body) {
        String action = field(body, "action");
        String time = field(body, "time");
        timeline.add(new Observation(
                at,
                "imds",
                target.instanceId(),
                Observation.Kinds.NOTICE,
                "instance-action " + action + " at " + time,
                Map.of("body", body, "action", action, "time", time, "path", NOTICE_PATH)));
    }

    private static String field(String body, String name) {
        try {
            JsonNode n = JSON.readTree(body).path(name);
            return n.isMissingNode() ? "" : n.asText();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        closed = true;
        task.cancel(false);
        synchronized (lock) {
            closeClient();
        }
    }
}
