package dev.spotdrill.core.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.internal.HttpClients;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutTargetsResponse;
import software.amazon.awssdk.services.eventbridge.model.RuleState;
import software.amazon.awssdk.services.eventbridge.model.Tag;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * The harness's own EventBridge rule and SQS queue for one drill: the way a CI runner, which is not on the target
 * instance, sees the Spot warning and the rebalance recommendation.
 *
 * <p>{@link #create} makes an SQS queue (300 s retention, SQS-managed SSE, tagged) whose policy lets only
 * {@code events.amazonaws.com} send, and only from its own rule; then a rule of the same name on the default bus,
 * tagged alike, matching {@code aws.ec2} Spot warnings, rebalance recommendations and state changes of the drill's
 * instances ({@code detail.instance-id}) and, when given, {@code aws.fis} state changes of the drill's experiment
 * template; and targets the queue. {@link #start} long-polls the queue on a thread of its own (20 s wait, 10
 * messages), hands each event once to the sink (EventBridge delivers at least once: duplicates are dropped by id)
 * and deletes what it read. {@link #close} stops the thread at once (the poll in flight is cut) and always removes
 * the target, the rule and the queue, in that order.
 *
 * <pre>{@code
 * try (EventQueue q = EventQueue.create(world, "spotdrill-" + runId, tags, instanceIds, Optional.of(templateId))) {
 *     q.start(event -> timeline.record(event));
 *     ... start the experiment ...
 * }
 * }</pre>
 *
 * <p>It never reads, purges or touches a queue it did not create: a termination handler's queue belongs to the
 * handler. {@link #leftovers} and {@link #remove} find and remove what a killed JVM left, by name prefix and tag.
 */
public final class EventQueue implements AutoCloseable {
    /** Every rule and queue an EventQueue creates is named with this prefix. */
    public static final String NAME_PREFIX = "spotdrill-";
    /** The long-poll wait, SQS's maximum. */
    public static final Duration WAIT = Duration.ofSeconds(20);
    /** Messages per receive, SQS's maximum. */
    public static final int MAX_MESSAGES = 10;
    /** The queue's retention: a drill's events are of no use later. */
    public static final Duration RETENTION = Duration.ofSeconds(300);
    /** The id of the queue's target on the rule. */
    static final String TARGET_ID = "spotdrill-queue";

    private static final Logger LOG = LoggerFactory.getLogger(EventQueue.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("spotdrill-[A-Za-z0-9_-]{1,54}");
    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** How many event ids are remembered to drop duplicates: far more than a drill receives. */
    private static final int REMEMBERED_IDS = 10_000;

    private final World world;
    private final String name;
    private final String queueUrl;
    private final String queueArn;
    private final String ruleArn;
    private final String pattern;
    private final AbortableHttpClient pollHttp;
    private final SqsClient pollSqs;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Set<String> seen = Collections.newSetFromMap(new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_IDS;
        }
    });
    private volatile Thread poller;
    private volatile boolean closed;

    private EventQueue(World world, String name, String queueUrl, String queueArn, String ruleArn, String pattern) {
        this.world = world;
        this.name = name;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.ruleArn = ruleArn;
        this.pattern = pattern;
        this.pollHttp = new AbortableHttpClient(
                // the 20 s long poll plus margin: a read silent for longer is a dead connection
                HttpClients.urlConnection(Duration.ofSeconds(5), WAIT.plusSeconds(15)));
        this.pollSqs = AwsClients.of(world).sqs(pollHttp);
    }

    /**
     * Creates the queue, its policy, the rule and the rule's target.
     *
     * @param world the world to create them in
     * @param name the queue's and the rule's name: {@code spotdrill-<run id>} (letters, digits, {@code -} and
     *     {@code _}, at most 64 characters)
     * @param tags the tags of the queue and the rule, as on the drill's FIS template ({@code spotdrill:run-id}...)
     * @param instanceIds the drill's instances: the rule matches their EC2 events only
     * @param templateId the drill's FIS experiment template, whose experiment state changes the rule also matches
     * @throws IllegalArgumentException when a name or instance id is malformed, with the fix
     * @throws SpotDrillException when AWS refuses a step; what was already created is removed first
     */
    public static EventQueue create(
            World world, String name, Map<String, String> tags, List<String> instanceIds, Optional<String> templateId) {
        Objects.requireNonNull(world, "world");
        Objects.requireNonNull(tags, "tags");
        Objects.requireNonNull(templateId, "templateId");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("EventQueue name \"" + name + "\" is not valid: use " + NAME_PREFIX
                    + "<run id> with letters, digits, - and _ only, at most 64 characters in all (the rule's limit)");
        }
        if (instanceIds == null || instanceIds.isEmpty()) {
            throw new IllegalArgumentException("EventQueue " + name + " needs at least one instance id: its rule"
                    + " matches the EC2 events of the drill's instances only");
        }
        for (String id : instanceIds) {
            if (id == null || !INSTANCE_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("EventQueue " + name + ": \"" + id + "\" is not an EC2 instance"
                        + " id; use i- followed by 8 or 17 hexadecimal digits");
            }
        }
        AwsClients clients = AwsClients.of(world);
        String callerArn = clients.sts().getCallerIdentity().arn();
        String[] parts = callerArn.split(":", 6);
        String partition = parts[1];
        String account = parts[4];
        String queueArn = "arn:" + partition + ":sqs:" + world.region() + ":" + account + ":" + name;
        String ruleArn = "arn:" + partition + ":events:" + world.region() + ":" + account + ":rule/" + name;
        String pattern = pattern(instanceIds, templateId);

        SqsClient sqs = clients.sqs();
        EventBridgeClient events = clients.eventBridge();
        String url = null;
        boolean ruleCreated = false;
        String step = "CreateQueue " + name;
        try {
            url = sqs.createQueue(r -> r.queueName(name)
                            .attributesWithStrings(Map.of(
                                    QueueAttributeName.MESSAGE_RETENTION_PERIOD.toString(),
                                    Long.toString(RETENTION.toSeconds()),
                                    QueueAttributeName.SQS_MANAGED_SSE_ENABLED.toString(),
                                    "true",
                                    QueueAttributeName.POLICY.toString(),
                                    policy(queueArn, ruleArn)))
                            .tags(tags))
                    .queueUrl();
            String queueUrl = url;
            step = "GetQueueAttributes QueueArn of " + url;
            String actualArn = sqs.getQueueAttributes(
                            r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributesAsStrings()
                    .get(QueueAttributeName.QUEUE_ARN.toString());
            if (!queueArn.equals(actualArn)) {
                throw new SpotDrillException("the queue's ARN is " + actualArn + ", not " + queueArn
                        + " as its policy says; check that the SQS and STS endpoints belong to the same account");
            }
            step = "PutRule " + name;
            ruleCreated = true;
            String arn = events.putRule(r -> r.name(name)
                            .eventPattern(pattern)
                            .state(RuleState.ENABLED)
                            .description("spotdrill: the EC2 Spot events of a drill's instances and its FIS"
                                    + " experiment's state changes, into queue " + name + "; removed when the drill"
                                    + " ends")
                            .tags(tags.entrySet().stream()
                                    .map(e -> Tag.builder()
                                            .key(e.getKey())
                                            .value(e.getValue())
                                            .build())
                                    .toList()))
                    .ruleArn();
            if (!ruleArn.equals(arn)) {
                throw new SpotDrillException("the rule's ARN is " + arn + ", not " + ruleArn
                        + " as the queue's policy says; check that the EventBridge and STS endpoints belong to the"
                        + " same account");
            }
            step = "PutTargets " + name;
            PutTargetsResponse targets = events.putTargets(
                    r -> r.rule(name).targets(t -> t.id(TARGET_ID).arn(queueArn)));
            if (targets.failedEntryCount() != null && targets.failedEntryCount() > 0) {
                var f = targets.failedEntries().get(0);
                throw new SpotDrillException("EventBridge refused the queue as the rule's target: " + f.errorCode()
                        + ": " + f.errorMessage());
            }
            LOG.debug("event queue {} created: rule {} -> {}", name, ruleArn, queueArn);
            return new EventQueue(world, name, url, queueArn, ruleArn, pattern);
        } catch (RuntimeException e) {
            List<RuntimeException> cleanup = removeAll(world, name, ruleCreated, url);
            SpotDrillException failure = e instanceof SpotDrillException s
                    ? s
                    : new SpotDrillException(
                            "spotdrill could not create its EventBridge rule and SQS queue " + name + " (" + step
                                    + " failed: " + e.getMessage() + "); check the runner's sqs:* and events:*"
                                    + " permissions",
                            e);
            cleanup.forEach(failure::addSuppressed);
            throw failure;
        }
    }

    /** The rule's pattern: the instances' EC2 events, and the template's experiment state changes when given. */
    static String pattern(List<String> instanceIds, Optional<String> templateId) {
        ObjectNode ec2 = JSON.createObjectNode();
        ec2.putArray("source").add("aws.ec2");
        ec2.putArray("detail-type")
                .add(ReceivedEvent.SPOT_WARNING)
                .add(ReceivedEvent.REBALANCE)
                .add(ReceivedEvent.STATE_CHANGE);
        ArrayNode ids = ec2.putObject("detail").putArray("instance-id");
        instanceIds.forEach(ids::add);
        if (templateId.isEmpty()) {
            return write(ec2);
        }
        ObjectNode fis = JSON.createObjectNode();
        fis.putArray("source").add("aws.fis");
        fis.putArray("detail-type").add(ReceivedEvent.FIS_STATE_CHANGE);
        fis.putObject("detail").putArray("experiment-template-id").add(templateId.get());
        ObjectNode or = JSON.createObjectNode();
        or.putArray("$or").add(ec2).add(fis);
        return write(or);
    }

    /** The queue policy: only {@code events.amazonaws.com}, only SendMessage, only from the queue's own rule. */
    static String policy(String queueArn, String ruleArn) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("Version", "2012-10-17");
        ObjectNode s = doc.putArray("Statement").addObject();
        s.put("Sid", "SpotdrillRuleOnly");
        s.put("Effect", "Allow");
        s.putObject("Principal").put("Service", "events.amazonaws.com");
        s.put("Action", "sqs:SendMessage");
        s.put("Resource", queueArn);
        s.putObject("Condition").putObject("ArnEquals").put("aws:SourceArn", ruleArn);
        return write(doc);
    }

    /** The name of the queue and the rule. */
    public String name() {
        return name;
    }

    public String queueUrl() {
        return queueUrl;
    }

    public String queueArn() {
        return queueArn;
    }

    public String ruleArn() {
        return ruleArn;
    }

    /** The rule's event pattern, as EventBridge got it. */
    public String pattern() {
        return pattern;
    }

    // ------------------------------------------------------------------ polling

    /**
     * Starts long-polling on a daemon thread; errors are logged as warnings.
     *
     * @see #start(Consumer, Consumer)
     */
    public void start(Consumer<ReceivedEvent> sink) {
        start(sink, e -> LOG.warn("event queue {}: {}", name, e.getMessage()));
    }

    /**
     * Starts long-polling on a daemon thread: each event goes to the sink once, on that thread, and is then deleted
     * from the queue. The thread outlives errors: it tells {@code errors} (a refused receive, a message that is not
     * an event, a sink that threw) and keeps going, backing off after failed receives.
     *
     * @throws IllegalStateException when already started or closed
     */
    public synchronized void start(Consumer<ReceivedEvent> sink, Consumer<? super RuntimeException> errors) {
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(errors, "errors");
        if (closed || poller != null) {
            throw new IllegalStateException(
                    "event queue " + name + " is " + (closed ? "closed" : "already started") + "; start it once");
        }
        Thread t = new Thread(() -> poll(sink, errors), "spotdrill-events-" + name);
        t.setDaemon(true);
        poller = t;
        t.start();
    }

    private void poll(Consumer<ReceivedEvent> sink, Consumer<? super RuntimeException> errors) {
        Duration backoff = FIRST_BACKOFF;
        while (!closed) {
            List<Message> messages;
            try {
                messages = pollSqs.receiveMessage(r -> r.queueUrl(queueUrl)
                                .waitTimeSeconds((int) WAIT.toSeconds())
                                .maxNumberOfMessages(MAX_MESSAGES))
                        .messages();
                backoff = FIRST_BACKOFF;
            } catch (AbortedException e) {
                break;
            } catch (SdkException e) {
                if (closed) {
                    break;
                }
                report(errors, new SpotDrillException("receiving from " + name + " failed: " + e.getMessage(), e));
                if (pause(backoff)) {
                    break;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                continue;
            }
            if (closed) {
                break;
            }
            handle(messages, sink, errors);
        }
    }

    private void handle(
            List<Message> messages, Consumer<ReceivedEvent> sink, Consumer<? super RuntimeException> errors) {
        List<DeleteMessageBatchRequestEntry> read = new ArrayList<>();
        for (Message m : messages) {
            read.add(DeleteMessageBatchRequestEntry.builder()
                    .id(Integer.toString(read.size()))
                    .receiptHandle(m.receiptHandle())
                    .build());
            ReceivedEvent event;
            try {
                event = parse(m.body(), world.clock().now());
            } catch (RuntimeException e) {
                report(
                        errors,
                        new SpotDrillException("a message on " + name + " is not an EventBridge event ("
                                + e.getMessage() + "); it is deleted: " + abbreviate(m.body())));
                continue;
            }
            boolean fresh;
            synchronized (seen) {
                fresh = seen.add(event.id());
            }
            if (!fresh) {
                LOG.debug("event queue {}: duplicate delivery of {} dropped", name, event.id());
                continue;
            }
            try {
                sink.accept(event);
            } catch (RuntimeException e) {
                report(errors, new SpotDrillException("the sink of " + name + " failed on " + event + ": " + e, e));
            }
        }
        if (read.isEmpty()) {
            return;
        }
        try {
            DeleteMessageBatchResponse d =
                    pollSqs.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(read));
            if (!d.failed().isEmpty()) {
                report(
                        errors,
                        new SpotDrillException("deleting " + d.failed().size() + " read message(s) from " + name
                                + " failed: " + d.failed().get(0).code() + " "
                                + d.failed().get(0).message()
                                + "; they may be received again (and dropped as duplicates)"));
            }
        } catch (AbortedException e) {
            // closing: the queue is deleted next anyway
        } catch (SdkException e) {
            if (!closed) {
                report(
                        errors,
                        new SpotDrillException(
                                "deleting read messages from " + name + " failed: " + e.getMessage()
                                        + "; they may be received again (and dropped as duplicates)",
                                e));
            }
        }
    }

    /** Parses one message body as an EventBridge event. */
    static ReceivedEvent parse(String body, Instant receivedAt) {
        JsonNode e;
        try {
            e = JSON.readTree(body);
        } catch (JsonProcessingException x) {
            throw new IllegalArgumentException("not JSON: " + x.getOriginalMessage());
        }
        String id = required(e, "id");
        String detailType = required(e, "detail-type");
        String source = required(e, "source");
        Instant time;
        try {
            time = Instant.parse(required(e, "time"));
        } catch (DateTimeParseException x) {
            throw new IllegalArgumentException("time \"" + e.path("time").asText() + "\" is not RFC 3339");
        }
        JsonNode detail = e.path("detail");
        Map<String, Object> map = detail.isObject()
                ? JSON.convertValue(detail, new TypeReference<LinkedHashMap<String, Object>>() {})
                : Map.of();
        Optional<String> instanceId = detail.path("instance-id").isTextual()
                ? Optional.of(detail.get("instance-id").asText())
                : Optional.empty();
        return new ReceivedEvent(id, detailType, source, time, instanceId, map, body, receivedAt);
    }

    private static String required(JsonNode e, String field) {
        JsonNode n = e.get(field);
        if (n == null || !n.isTextual() || n.asText().isEmpty()) {
            throw new IllegalArgumentException("no \"" + field + "\"");
        }
        return n.asText();
    }

    private void report(Consumer<? super RuntimeException> errors, RuntimeException e) {
        try {
            errors.accept(e);
        } catch (RuntimeException x) {
            LOG.warn("event queue {}: the error listener failed on \"{}\": {}", name, e.getMessage(), x.toString());
        }
    }

    /** Waits before the next receive; true when the queue closed meanwhile. */
    private boolean pause(Duration wall) {
        try {
            return stop.await(wall.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "null" : s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    // ------------------------------------------------------------------ cleanup

    /**
     * Stops the polling thread (the poll in flight is cut, not waited out), then removes the rule's target, the rule
     * and the queue, in that order, each even when an earlier one failed. Closing twice does nothing.
     *
     * @throws SpotDrillException naming what could not be removed (each failure suppressed in it), after trying all
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        stop.countDown();
        pollHttp.abortAll();
        Thread t = poller;
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        pollSqs.close();
        List<RuntimeException> failures = removeAll(world, name, true, queueUrl);
        if (!failures.isEmpty()) {
            SpotDrillException e = new SpotDrillException("spotdrill could not remove all of its EventBridge rule and"
                    + " SQS queue " + name + ": " + failures.get(0).getMessage() + "; remove what is left with"
                    + " `aws events remove-targets --rule " + name + " --ids " + TARGET_ID + "`, `aws events"
                    + " delete-rule --name " + name + "` and `aws sqs delete-queue --queue-url " + queueUrl + "`");
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** RemoveTargets, DeleteRule, DeleteQueue: each tried, the failures returned (a thing already gone is none). */
    private static List<RuntimeException> removeAll(World world, String name, boolean rule, String queueUrl) {
        List<RuntimeException> failures = new ArrayList<>();
        AwsClients clients = AwsClients.of(world);
        if (rule) {
            try {
                clients.eventBridge().removeTargets(r -> r.rule(name).ids(TARGET_ID));
            } catch (software.amazon.awssdk.services.eventbridge.model.ResourceNotFoundException e) {
                // no rule, so no target
            } catch (RuntimeException e) {
                failures.add(new SpotDrillException("RemoveTargets " + name + ": " + e.getMessage(), e));
            }
            try {
                clients.eventBridge().deleteRule(r -> r.name(name));
            } catch (RuntimeException e) {
                failures.add(new SpotDrillException("DeleteRule " + name + ": " + e.getMessage(), e));
            }
        }
        if (queueUrl != null) {
            try {
                clients.sqs().deleteQueue(r -> r.queueUrl(queueUrl));
            } catch (QueueDoesNotExistException e) {
                // already gone
            } catch (RuntimeException e) {
                failures.add(new SpotDrillException("DeleteQueue " + queueUrl + ": " + e.getMessage(), e));
            }
        }
        return failures;
    }

    // ------------------------------------------------------------------ leftovers

    /**
     * A rule or queue an EventQueue left behind (its JVM was killed before {@link #close}).
     *
     * @param kind {@code rule} or {@code queue}
     * @param name its name, {@code spotdrill-<run id>}
     * @param id what removes it: the rule's name, or the queue's URL
     * @param tags its tags
     */
    public record Leftover(String kind, String name, String id, Map<String, String> tags) {
        public Leftover {
            tags = Map.copyOf(tags);
        }
    }

    /**
     * The rules and queues named {@code spotdrill-...} that carry the tag key, from ListRules and ListQueues by name
     * prefix and their tags. Rules and queues of other owners (a termination handler's) are never listed: they do not
     * have both the prefix and the tag.
     */
    public static List<Leftover> leftovers(World world, String tagKey) {
        AwsClients clients = AwsClients.of(world);
        List<Leftover> out = new ArrayList<>();
        String token = null;
        do {
            String next = token;
            var page = clients.eventBridge()
                    .listRules(r -> r.namePrefix(NAME_PREFIX).nextToken(next));
            for (var rule : page.rules()) {
                Map<String, String> tags = new LinkedHashMap<>();
                clients.eventBridge()
                        .listTagsForResource(r -> r.resourceARN(rule.arn()))
                        .tags()
                        .forEach(t -> tags.put(t.key(), t.value()));
                if (tags.containsKey(tagKey)) {
                    out.add(new Leftover("rule", rule.name(), rule.name(), tags));
                }
            }
            token = page.nextToken();
        } while (token != null);
        for (String url : clients.sqs()
                .listQueuesPaginator(r -> r.queueNamePrefix(NAME_PREFIX))
                .queueUrls()) {
            Map<String, String> tags;
            try {
                tags = clients.sqs().listQueueTags(r -> r.queueUrl(url)).tags();
            } catch (QueueDoesNotExistException e) {
                continue; // deleted since it was listed
            }
            if (tags.containsKey(tagKey)) {
                out.add(new Leftover("queue", url.substring(url.lastIndexOf('/') + 1), url, tags));
            }
        }
        return out;
    }

    /**
     * Removes one leftover: a rule's targets then the rule, or a queue.
     *
     * @throws SpotDrillException when AWS refuses
     */
    public static void remove(World world, Leftover leftover) {
        AwsClients clients = AwsClients.of(world);
        try {
            if (leftover.kind().equals("rule")) {
                EventBridgeClient events = clients.eventBridge();
                List<String> ids = events.listTargetsByRule(r -> r.rule(leftover.id())).targets().stream()
                        .map(software.amazon.awssdk.services.eventbridge.model.Target::id)
                        .toList();
                if (!ids.isEmpty()) {
                    events.removeTargets(r -> r.rule(leftover.id()).ids(ids));
                }
                events.deleteRule(r -> r.name(leftover.id()));
            } else {
                clients.sqs().deleteQueue(r -> r.queueUrl(leftover.id()));
            }
        } catch (software.amazon.awssdk.services.eventbridge.model.ResourceNotFoundException
                | QueueDoesNotExistException e) {
            // already gone
        } catch (SdkException e) {
            throw new SpotDrillException(
                    "could not remove leftover " + leftover.kind() + " " + leftover.name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "EventQueue[" + name + (closed ? ", closed" : "") + "]";
    }

    private static String write(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
