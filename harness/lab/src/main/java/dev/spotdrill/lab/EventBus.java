package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's default event bus: the events EC2 and FIS emit, in AWS's exact envelope, routed through the rules of
 * {@link EventsApi} to every matching enabled rule's SQS targets.
 *
 * <p>Emitting is cheap and safe under the lab's model lock: the event is built there (so it reads the model as it
 * is), then routed and delivered on the bus's own thread, which does the queue I/O. Faults: {@code
 * events.no-warning} and {@code events.no-rebalance} suppress those events; {@code events.delay=<duration>}
 * delivers every event that much later (world time); {@code events.duplicate} delivers each event twice, with the
 * same id, as EventBridge's at-least-once delivery may.
 */
final class EventBus implements Ec2Fleet.Events, AutoCloseable {
    static final String SPOT_WARNING = "EC2 Spot Instance Interruption Warning";
    static final String REBALANCE = "EC2 Instance Rebalance Recommendation";
    static final String STATE_CHANGE = "EC2 Instance State-change Notification";
    static final String FIS_STATE_CHANGE = "FIS Experiment State Change";

    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LabContext ctx;
    private final EventsApi rules;
    private final SqsApi sqs;
    private final ExecutorService worker;
    private final List<EmittedEvent> emitted = new ArrayList<>();
    private final List<EventDelivery> deliveries = new ArrayList<>();
    private final List<Consumer<EventDelivery>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;

    EventBus(LabContext ctx, EventsApi rules, SqsApi sqs) {
        this.ctx = ctx;
        this.rules = rules;
        this.sqs = sqs;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "spotdrill-lab-events-" + ctx.labId);
            t.setDaemon(true);
            return t;
        });
    }

    // ------------------------------------------------------------------ what EC2 and FIS emit

    @Override
    public void rebalance(Ec2Fleet.Instance i, Instant at) {
        if (ctx.faults.active("events.no-rebalance")) {
            LOG.info("lab {}: fault events.no-rebalance drops the rebalance event of {}", ctx.labId, i.id);
            return;
        }
        ObjectNode detail = JSON.createObjectNode().put("instance-id", i.id);
        emit(envelope(REBALANCE, "aws.ec2", at, instanceArn(i.id), detail));
    }

    @Override
    public void notice(Ec2Fleet.Instance i, Instant at) {
        if (ctx.faults.active("events.no-warning")) {
            LOG.info("lab {}: fault events.no-warning drops the interruption warning of {}", ctx.labId, i.id);
            return;
        }
        ObjectNode detail = JSON.createObjectNode().put("instance-id", i.id).put("instance-action", i.behaviour);
        emit(envelope(SPOT_WARNING, "aws.ec2", at, instanceArn(i.id), detail));
    }

    @Override
    public void stateChanged(Ec2Fleet.Instance i, Instant at) {
        ObjectNode detail = JSON.createObjectNode().put("instance-id", i.id).put("state", i.state);
        emit(envelope(STATE_CHANGE, "aws.ec2", at, instanceArn(i.id), detail));
    }

    /** An experiment changed status. */
    void experimentStateChanged(
            String experimentId,
            String experimentArn,
            String templateId,
            String newStatus,
            String newReason,
            String oldStatus,
            String oldReason) {
        ObjectNode detail =
                JSON.createObjectNode().put("experiment-id", experimentId).put("experiment-template-id", templateId);
        detail.putObject("new-state").put("status", newStatus).put("reason", newReason);
        detail.putObject("old-state").put("status", oldStatus).put("reason", oldReason);
        emit(envelope(FIS_STATE_CHANGE, "aws.fis", ctx.now(), experimentArn, detail));
    }

    private String instanceArn(String id) {
        return "arn:aws:ec2:" + ctx.region() + ":" + ctx.account() + ":instance/" + id;
    }

    /** AWS's envelope: version "0", a UUID id, the time to the second, the lab's account and region. */
    ObjectNode envelope(String detailType, String source, Instant at, String resource, ObjectNode detail) {
        ObjectNode e = JSON.createObjectNode();
        e.put("version", "0");
        e.put("id", UUID.randomUUID().toString());
        e.put("detail-type", detailType);
        e.put("source", source);
        e.put("account", ctx.account());
        e.put("time", Http.rfc3339(at));
        e.put("region", ctx.region());
        e.putArray("resources").add(resource);
        e.set("detail", detail);
        return e;
    }

    // ------------------------------------------------------------------ routing and delivery

    /** Puts an event on the bus; returns at once, the bus's thread routes and delivers it. */
    void emit(ObjectNode event) {
        Instant world = ctx.now();
        String json = write(event);
        EmittedEvent e = new EmittedEvent(
                event.path("id").asText(),
                event.path("detail-type").asText(),
                event.path("source").asText(),
                world,
                Instant.now(),
                json);
        synchronized (emitted) {
            emitted.add(e);
        }
        submit(() -> route(event, json));
    }

    private void route(JsonNode event, String json) {
        List<EventsApi.RouteTarget> targets = rules.route(event);
        if (targets.isEmpty()) {
            return;
        }
        Duration delay = ctx.faults.duration("events.delay").orElse(Duration.ZERO);
        int copies = ctx.faults.active("events.duplicate") ? 2 : 1;
        for (EventsApi.RouteTarget t : targets) {
            for (int c = 0; c < copies; c++) {
                if (delay.isZero()) {
                    deliver(event, json, t);
                } else {
                    try {
                        ctx.at(ctx.now().plus(delay), () -> submit(() -> deliver(event, json, t)));
                    } catch (RejectedExecutionException e) {
                        LOG.debug("lab {} is closing: {}", ctx.labId, e.toString());
                    }
                }
            }
        }
    }

    private void deliver(JsonNode event, String json, EventsApi.RouteTarget t) {
        String body;
        try {
            body = input(event, json, t.target());
        } catch (RuntimeException e) {
            record(event, t, false, "the target's InputPath cannot be applied: " + e.getMessage());
            return;
        }
        SqsApi.Outcome o;
        try {
            o = sqs.deliver(t.arn(), t.ruleArn(), body);
        } catch (RuntimeException e) {
            o = new SqsApi.Outcome(false, "the queue could not be reached: " + e.getMessage());
        }
        record(event, t, o.delivered(), o.detail());
        if (!o.delivered()) {
            LOG.info(
                    "lab {}: event {} ({}) not delivered by rule {} to {}: {}",
                    ctx.labId,
                    event.path("id").asText(),
                    event.path("detail-type").asText(),
                    t.ruleName(),
                    t.arn(),
                    o.detail());
        }
    }

    /** The message body: the event itself, the target's constant {@code Input}, or the part its InputPath names. */
    private static String input(JsonNode event, String json, JsonNode target) {
        if (target.hasNonNull("Input")) {
            return target.get("Input").asText();
        }
        if (target.hasNonNull("InputPath")) {
            String path = target.get("InputPath").asText();
            if (!path.startsWith("$")) {
                throw new IllegalArgumentException("InputPath " + path + " must start with $");
            }
            JsonNode n = event;
            for (String part : path.substring(1).split("\\.")) {
                if (!part.isEmpty()) {
                    n = n.path(part);
                }
            }
            return n.isMissingNode() ? "" : n.isTextual() ? n.asText() : write(n);
        }
        return json;
    }

    private void record(JsonNode event, EventsApi.RouteTarget t, boolean delivered, String detail) {
        EventDelivery d = new EventDelivery(
                ctx.now(),
                Instant.now(),
                event.path("id").asText(),
                event.path("detail-type").asText(),
                t.ruleName(),
                t.arn(),
                delivered,
                detail);
        synchronized (deliveries) {
            deliveries.add(d);
        }
        listeners.forEach(l -> {
            try {
                l.accept(d);
            } catch (RuntimeException e) {
                LOG.warn("lab {}: delivery listener failed", ctx.labId, e);
            }
        });
    }

    private void submit(Runnable r) {
        if (closed) {
            return;
        }
        try {
            worker.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("lab {}: event routing failed", ctx.labId, e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("lab {} is closing: {}", ctx.labId, e.toString());
        }
    }

    /** Every event emitted so far, oldest first. */
    List<EmittedEvent> emitted() {
        synchronized (emitted) {
            return List.copyOf(emitted);
        }
    }

    /** Every delivery and drop so far, oldest first. */
    List<EventDelivery> deliveries() {
        synchronized (deliveries) {
            return List.copyOf(deliveries);
        }
    }

    void addDeliveryListener(Consumer<EventDelivery> l) {
        listeners.add(l);
    }

    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String write(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
