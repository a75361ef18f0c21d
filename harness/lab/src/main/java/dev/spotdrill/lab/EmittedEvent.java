package dev.spotdrill.lab;

import java.time.Instant;
import java.util.Objects;

/**
 * One event the lab's AWS side put on the default event bus, as EventBridge carries it.
 *
 * @param id the event's {@code id} (a UUID)
 * @param detailType its {@code detail-type}, for example {@code EC2 Spot Instance Interruption Warning}
 * @param source its {@code source}, {@code aws.ec2} or {@code aws.fis}
 * @param worldTime when it was emitted, in world time (its {@code time}, before truncation to the second)
 * @param wallTime the same moment in wall time, for latency measurements
 * @param json the whole event, exactly as a queue receives it
 */
public record EmittedEvent(
        String id, String detailType, String source, Instant worldTime, Instant wallTime, String json) {

    public EmittedEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(detailType, "detailType");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(worldTime, "worldTime");
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(json, "json");
    }
}
