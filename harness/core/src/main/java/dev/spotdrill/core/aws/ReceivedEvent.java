package dev.spotdrill.core.aws;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One EventBridge event as an {@link EventQueue} read it from its SQS queue: the envelope's fields, the detail, the
 * raw JSON, and when the harness received it.
 *
 * @param id the event's {@code id}; EventBridge delivers at least once, so the same id may arrive twice (the queue
 *     drops the second)
 * @param detailType the {@code detail-type}, for example {@code EC2 Spot Instance Interruption Warning}
 * @param source the {@code source}, for example {@code aws.ec2} or {@code aws.fis}
 * @param time the event's {@code time}: when AWS sent it (for the warning, when the warning was sent, not the
 *     interruption), to the second
 * @param instanceId {@code detail.instance-id}, when the event has one (never parsed from {@code resources})
 * @param detail the {@code detail} object, as an unmodifiable map of JSON values (maps, lists, strings, numbers,
 *     booleans, null)
 * @param json the whole event as the queue carried it
 * @param receivedAt the world time at which the harness read it ({@code world.clock().now()})
 */
public record ReceivedEvent(
        String id,
        String detailType,
        String source,
        Instant time,
        Optional<String> instanceId,
        Map<String, Object> detail,
        String json,
        Instant receivedAt) {

    /** {@code detail-type} of the Spot two-minute warning. */
    public static final String SPOT_WARNING = "EC2 Spot Instance Interruption Warning";
    /** {@code detail-type} of the rebalance recommendation. */
    public static final String REBALANCE = "EC2 Instance Rebalance Recommendation";
    /** {@code detail-type} of an EC2 state change. */
    public static final String STATE_CHANGE = "EC2 Instance State-change Notification";
    /** {@code detail-type} of a FIS experiment's state change. */
    public static final String FIS_STATE_CHANGE = "FIS Experiment State Change";

    public ReceivedEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(detailType, "detailType");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(receivedAt, "receivedAt");
        detail = detail == null
                ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(detail));
    }

    /** A top-level text field of the detail, such as {@code instance-action}, {@code state} or {@code experiment-id}. */
    public Optional<String> detailText(String field) {
        Object v = detail.get(field);
        return v instanceof String s ? Optional.of(s) : Optional.empty();
    }

    @Override
    public String toString() {
        return "ReceivedEvent[" + detailType + " " + id + " from " + source
                + instanceId.map(i -> " for " + i).orElse("") + " at " + time + ", received " + receivedAt + "]";
    }
}
