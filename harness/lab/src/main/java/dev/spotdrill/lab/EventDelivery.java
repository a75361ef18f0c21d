package dev.spotdrill.lab;

import java.time.Instant;
import java.util.Objects;

/**
 * One delivery of a lab event to one rule's target, or its refusal: what the lab's EventBridge did with an event.
 *
 * @param worldTime when it was delivered or dropped, in world time
 * @param wallTime the same moment in wall time
 * @param eventId the event's {@code id}
 * @param detailType the event's {@code detail-type}
 * @param rule the name of the rule that matched
 * @param target the target's ARN (a queue)
 * @param delivered whether the message went into the queue
 * @param detail {@code delivered}, or why it was dropped (for example refused by the queue policy)
 */
public record EventDelivery(
        Instant worldTime,
        Instant wallTime,
        String eventId,
        String detailType,
        String rule,
        String target,
        boolean delivered,
        String detail) {

    public EventDelivery {
        Objects.requireNonNull(worldTime, "worldTime");
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(detailType, "detailType");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(detail, "detail");
    }
}
