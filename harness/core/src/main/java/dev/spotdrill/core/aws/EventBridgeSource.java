package dev.spotdrill.core.aws;

import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The EventBridge source ({@value EventExpectations#EVENTS}): the drill's own rule on the default bus and its own
 * SQS queue ({@link EventQueue}), created just before the experiment starts and always removed at cleanup. It sees
 * the targets' "EC2 Spot Instance Interruption Warning" (NOTICE), "EC2 Instance Rebalance Recommendation"
 * (REBALANCE) and state changes, and the experiment's state changes: this is how a CI runner that is not on the
 * instance sees NOTICE and REBALANCE on AWS. It never reads a queue it did not create.
 *
 * <p>Each event becomes an observation at the world time the harness received it, with the event's own
 * {@code time} in its data; EventBridge delivers at least once, and a duplicate is dropped.
 */
public final class EventBridgeSource implements Source {
    /** The name prefix of the drill's rule and queue: {@code spotdrill-<run id>}. */
    public static final String PREFIX = EventQueue.NAME_PREFIX;

    @Override
    public String kind() {
        return EventExpectations.EVENTS;
    }

    @Override
    public Set<Moment> moments(SourceContext ctx) {
        return Set.of(Moment.REBALANCE, Moment.NOTICE);
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        List<String> ids = ctx.targets().stream().map(Target::instanceId).toList();
        String name = PREFIX + ctx.drill().runId();
        EventQueue queue = EventQueue.create(ctx.world(), name, ctx.tags(), ids, ctx.templateId());
        Timeline timeline = ctx.timeline();
        Instant now = ctx.world().clock().now();
        for (String id : ids) {
            timeline.status(id, EventExpectations.STATUS_WARNING, now, "no warning event yet on queue " + name);
            timeline.status(id, EventExpectations.STATUS_REBALANCE, now, "no rebalance event yet on queue " + name);
        }
        queue.start(e -> onEvent(ctx, name, e), error -> {
            Instant at = ctx.world().clock().now();
            String text = "queue " + name + ": " + Redactor.redact(String.valueOf(error.getMessage()));
            for (String id : ids) {
                timeline.status(id, EventExpectations.STATUS_WARNING, at, text);
                timeline.status(id, EventExpectations.STATUS_REBALANCE, at, text);
            }
        });
        return queue;
    }

    private static void onEvent(SourceContext ctx, String queue, ReceivedEvent e) {
        Timeline timeline = ctx.timeline();
        String target = e.instanceId().orElse("");
        Instant at = e.receivedAt();
        Map<String, String> data = new LinkedHashMap<>();
        data.put("eventId", e.id());
        data.put("detailType", e.detailType());
        data.put("eventTime", e.time().toString());
        data.put("queue", queue);
        data.put("body", e.json());
        String sent = " (sent " + e.time() + ")";
        switch (e.detailType()) {
            case ReceivedEvent.SPOT_WARNING -> {
                String action = e.detailText("instance-action").orElse("");
                data.put("action", action);
                timeline.add(new Observation(
                        at,
                        EventExpectations.EVENTS,
                        target,
                        EventExpectations.INTERRUPTION_WARNING,
                        "EC2 Spot Instance Interruption Warning: " + action + sent,
                        data));
                timeline.status(target, EventExpectations.STATUS_WARNING, at, "warning event received" + sent);
                ctx.markMoment(Moment.NOTICE, target, at, EventExpectations.EVENTS);
            }
            case ReceivedEvent.REBALANCE -> {
                timeline.add(new Observation(
                        at,
                        EventExpectations.EVENTS,
                        target,
                        EventExpectations.REBALANCE_EVENT,
                        "EC2 Instance Rebalance Recommendation" + sent,
                        data));
                timeline.status(target, EventExpectations.STATUS_REBALANCE, at, "rebalance event received" + sent);
                ctx.markMoment(Moment.REBALANCE, target, at, EventExpectations.EVENTS);
            }
            case ReceivedEvent.STATE_CHANGE -> {
                String state = e.detailText("state").orElse("");
                data.put("state", state);
                timeline.add(new Observation(
                        at,
                        EventExpectations.EVENTS,
                        target,
                        EventExpectations.STATE_CHANGE_EVENT,
                        "EC2 Instance State-change Notification: " + state + sent,
                        data));
            }
            case ReceivedEvent.FIS_STATE_CHANGE -> {
                Object state = e.detail().get("new-state");
                String status = state instanceof Map<?, ?> m ? String.valueOf(m.get("status")) : "";
                data.put("status", status);
                timeline.add(new Observation(
                        at,
                        EventExpectations.EVENTS,
                        "",
                        EventExpectations.FIS_STATE_EVENT,
                        "FIS Experiment State Change: " + status + sent,
                        data));
            }
            default ->
                timeline.add(
                        new Observation(at, EventExpectations.EVENTS, target, "EVENT", e.detailType() + sent, data));
        }
    }
}
