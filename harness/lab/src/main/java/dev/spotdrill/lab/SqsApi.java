package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's SQS endpoint: a front before ElasticMQ that speaks AWS JSON 1.0 ({@code X-Amz-Target: AmazonSQS.<Op>})
 * as SDK v2 and the AWS CLI send it.
 *
 * <p>It checks the caller's credentials, logs every call as service {@code sqs} with the operation and the queue,
 * answers the fault {@code sqs.throttle=<n>} with SQS's throttling error ({@code RequestThrottled}, which SDKs
 * retry), and forwards the rest to ElasticMQ. ElasticMQ accepts but drops the attributes {@code Policy},
 * {@code MessageRetentionPeriod}, {@code MaximumMessageSize}, {@code SqsManagedSseEnabled} and the KMS ones, and
 * accepts unknown attribute names: the front validates those as SQS does, keeps them and answers them in
 * GetQueueAttributes. It also delivers EventBridge's events into queues, honouring each queue's {@code Policy}
 * ({@link #deliver}).
 *
 * <p>Messages live in ElasticMQ in wall time: visibility timeouts and long-poll waits are wall seconds, and the
 * retention period is recorded, not enforced.
 */
final class SqsApi implements HttpHandler {
    static final String TARGET_PREFIX = "AmazonSQS.";
    static final String JSON_1_0 = "application/x-amz-json-1.0";
    private static final Logger LOG = LoggerFactory.getLogger(SqsApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern QUEUE_ARN =
            Pattern.compile("arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\\d{12}):([A-Za-z0-9_-]{1,80}(?:\\.fifo)?)");
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    /** Attributes ElasticMQ drops: the front keeps them. */
    private static final Set<String> KEPT = Set.of(
            "Policy",
            "MessageRetentionPeriod",
            "MaximumMessageSize",
            "SqsManagedSseEnabled",
            "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds");
    /** Every attribute CreateQueue and SetQueueAttributes accept (SQS API reference, 2012-11-05). */
    private static final Set<String> SETTABLE = Set.of(
            "DelaySeconds",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "Policy",
            "ReceiveMessageWaitTimeSeconds",
            "VisibilityTimeout",
            "RedrivePolicy",
            "RedriveAllowPolicy",
            "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds",
            "SqsManagedSseEnabled",
            "FifoQueue",
            "ContentBasedDeduplication",
            "DeduplicationScope",
            "FifoThroughputLimit");
    /** The 4-day retention SQS gives a queue created without MessageRetentionPeriod. */
    static final String DEFAULT_RETENTION = "345600";

    private final LabContext ctx;
    private final HttpClient http;
    private final Map<String, Map<String, String>> kept = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger receivesInFlight =
            new java.util.concurrent.atomic.AtomicInteger();
    private volatile ElasticMq mq;
    /** Set when the lab shuts down: a long poll still under way then fails quietly, as the lab is going away. */
    private volatile boolean closing;

    private volatile URI front;

    SqsApi(LabContext ctx, ExecutorService pool) {
        this.ctx = ctx;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .executor(pool)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Connects the front to ElasticMQ (started after the front, whose address its queue URLs carry). */
    void attach(URI front, ElasticMq mq) {
        this.front = front;
        this.mq = mq;
    }

    /** One answer: status, body, the error code for the call log, and headers to add. */
    private record Answer(int status, String body, String code, Map<String, String> headers) {
        static Answer error(int status, String type, String message) {
            ObjectNode o = JSON.createObjectNode().put("__type", "com.amazonaws.sqs#" + type);
            o.put("message", message);
            return new Answer(status, write(o), type, Map.of("x-amzn-query-error", type + ";Sender"));
        }
    }

    private static final class SqsError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Answer answer;

        SqsError(String type, String message) {
            super(message, null, false, false);
            this.answer = Answer.error(400, type, message);
        }
    }

    // ------------------------------------------------------------------ HTTP

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String requestId = ctx.requestId();
        String body = Http.body(ex);
        String contentType = Optional.ofNullable(ex.getRequestHeaders().getFirst("Content-Type"))
                .orElse("");
        String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
        boolean query = contentType.startsWith("application/x-www-form-urlencoded");
        String op = target != null && target.startsWith(TARGET_PREFIX)
                ? target.substring(TARGET_PREFIX.length())
                : query ? Http.decodeForm(body).getOrDefault("Action", "(none)") : "(none)";
        String caller = "";
        String resource = "";
        Answer answer;
        try {
            String key = Http.accessKey(ex);
            caller = key == null ? "" : ctx.principalFor(key);
            if (key == null) {
                throw new ApiError(403, "MissingAuthenticationToken", "Missing Authentication Token");
            }
            if (caller.isEmpty()) {
                throw new ApiError(
                        403, "InvalidClientTokenId", "The security token included in the request is invalid.");
            }
            if (op.equals("(none)")) {
                throw new ApiError(
                        400,
                        "UnknownOperationException",
                        "No SQS operation: send X-Amz-Target: AmazonSQS.<Operation> with Content-Type " + JSON_1_0);
            }
            if (query) {
                resource = queueName(Http.decodeForm(body).get("QueueUrl"))
                        .orElse(Http.decodeForm(body).getOrDefault("QueueName", ""));
                answer = forward(ex.getRequestURI().toString(), contentType, null, body, CALL_TIMEOUT);
            } else {
                ObjectNode req = parse(body);
                resource = resource(op, req);
                if (ctx.faults.consume("sqs.throttle")) {
                    throw new SqsError("RequestThrottled", "Request is throttled. (lab fault sqs.throttle)");
                }
                answer = dispatch(op, req, body);
            }
        } catch (SqsError e) {
            answer = e.answer;
        } catch (ApiError e) {
            ObjectNode o = JSON.createObjectNode().put("__type", "com.amazon.coral.service#" + e.code);
            o.put("message", e.getMessage());
            answer = new Answer(e.status, write(o), e.code, Map.of());
        } catch (RuntimeException e) {
            if (closing) {
                LOG.debug("lab {}: SQS {} ended by the lab's shutdown: {}", ctx.labId, op, e.toString());
            } else {
                LOG.error("lab {}: SQS {} failed", ctx.labId, op, e);
            }
            answer = new Answer(
                    500,
                    write(JSON.createObjectNode()
                            .put("__type", "com.amazonaws.sqs#InternalError")
                            .put("message", "lab error: " + e.getMessage())),
                    "InternalError",
                    Map.of());
        }
        ctx.record("sqs", op, caller, answer.status, answer.code, resource);
        ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
        answer.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        Http.send(ex, answer.status, query ? "text/xml" : JSON_1_0, answer.body);
    }

    private Answer dispatch(String op, ObjectNode req, String body) {
        return switch (op) {
            case "CreateQueue" -> createQueue(req);
            case "SetQueueAttributes" -> setAttributes(req);
            case "GetQueueAttributes" -> getAttributes(req);
            case "DeleteQueue" -> {
                Answer a = forwardJson(op, body, CALL_TIMEOUT);
                if (a.status == 200) {
                    queueName(req.path("QueueUrl").asText(null)).ifPresent(kept::remove);
                }
                yield a;
            }
            case "ReceiveMessage" -> {
                int wait = Math.max(0, req.path("WaitTimeSeconds").asInt(0));
                receivesInFlight.incrementAndGet();
                try {
                    yield forwardJson(op, body, Duration.ofSeconds(wait).plus(CALL_TIMEOUT));
                } finally {
                    receivesInFlight.decrementAndGet();
                }
            }
            default -> forwardJson(op, body, CALL_TIMEOUT);
        };
    }

    private static String resource(String op, JsonNode req) {
        if (req.hasNonNull("QueueUrl")) {
            return queueName(req.get("QueueUrl").asText()).orElse("");
        }
        if (op.equals("ListQueues")) {
            return req.path("QueueNamePrefix").asText("");
        }
        return req.path("QueueName").asText("");
    }

    // ------------------------------------------------------------------ attributes ElasticMQ drops

    private Answer createQueue(ObjectNode req) {
        String name = req.path("QueueName").asText("");
        Map<String, String> extras = extras(req.path("Attributes"));
        Map<String, String> existing = kept.get(name);
        if (existing != null) {
            for (Map.Entry<String, String> e : extras.entrySet()) {
                if (!e.getValue().equals(existing.get(e.getKey()))) {
                    throw new SqsError(
                            "QueueNameExists",
                            "A queue already exists with the same name and a different value for attribute "
                                    + e.getKey());
                }
            }
        }
        Answer a = forwardJson("CreateQueue", write(req), CALL_TIMEOUT);
        if (a.status == 200 && existing == null) {
            Map<String, String> stored = new ConcurrentHashMap<>(extras);
            stored.putIfAbsent("MessageRetentionPeriod", DEFAULT_RETENTION);
            kept.put(name, stored);
        }
        return a;
    }

    private Answer setAttributes(ObjectNode req) {
        Map<String, String> extras = extras(req.path("Attributes"));
        Answer a = forwardJson("SetQueueAttributes", write(req), CALL_TIMEOUT);
        if (a.status == 200) {
            queueName(req.path("QueueUrl").asText(null))
                    .ifPresent(n -> kept.computeIfAbsent(n, k -> new ConcurrentHashMap<>())
                            .putAll(extras));
        }
        return a;
    }

    private Answer getAttributes(ObjectNode req) {
        java.util.List<String> asked = new java.util.ArrayList<>();
        req.path("AttributeNames").forEach(n -> asked.add(n.asText()));
        boolean all = asked.contains("All");
        ObjectNode forwarded = req.deepCopy();
        ArrayNode names = forwarded.putArray("AttributeNames");
        asked.stream().filter(n -> !KEPT.contains(n)).forEach(names::add);
        if (names.isEmpty() && !asked.isEmpty()) {
            names.add("QueueArn");
        }
        Answer a = forwardJson("GetQueueAttributes", write(forwarded), CALL_TIMEOUT);
        if (a.status != 200) {
            return a;
        }
        ObjectNode answer = parse(a.body);
        ObjectNode attrs = answer.has("Attributes") && answer.get("Attributes").isObject()
                ? (ObjectNode) answer.get("Attributes")
                : answer.putObject("Attributes");
        if (!all && !asked.contains("QueueArn")) {
            attrs.remove("QueueArn");
        }
        Map<String, String> stored =
                queueName(req.path("QueueUrl").asText(null)).map(kept::get).orElse(Map.of());
        Map<String, String> view = new LinkedHashMap<>(stored);
        view.putIfAbsent("MessageRetentionPeriod", DEFAULT_RETENTION);
        view.putIfAbsent("SqsManagedSseEnabled", Boolean.toString(!stored.containsKey("KmsMasterKeyId")));
        view.forEach((k, v) -> {
            if (all || asked.contains(k)) {
                attrs.put(k, v);
            }
        });
        if (attrs.isEmpty()) {
            answer.remove("Attributes");
        }
        return new Answer(200, write(answer), "", Map.of());
    }

    /** The kept attributes of a CreateQueue or SetQueueAttributes, validated as SQS does. */
    private static Map<String, String> extras(JsonNode attributes) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            String value = e.getValue().asText();
            if (!SETTABLE.contains(name)) {
                throw new SqsError("InvalidAttributeName", "Unknown Attribute " + name + ".");
            }
            if (!KEPT.contains(name)) {
                continue;
            }
            boolean valid =
                    switch (name) {
                        case "MessageRetentionPeriod" -> inRange(value, 60, 1_209_600);
                        case "MaximumMessageSize" -> inRange(value, 1024, 1_048_576);
                        case "KmsDataKeyReusePeriodSeconds" -> inRange(value, 60, 86_400);
                        case "SqsManagedSseEnabled" -> value.equals("true") || value.equals("false");
                        case "Policy" -> isJsonObject(value);
                        default -> !value.isBlank();
                    };
            if (!valid) {
                throw new SqsError("InvalidAttributeValue", "Invalid value for the parameter " + name + ".");
            }
            out.put(name, value);
        }
        if ("true".equals(out.get("SqsManagedSseEnabled")) && out.containsKey("KmsMasterKeyId")) {
            throw new SqsError(
                    "InvalidAttributeValue",
                    "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS"
                            + " SSE or SQS SSE.");
        }
        return out;
    }

    private static boolean inRange(String v, long min, long max) {
        try {
            long n = Long.parseLong(v);
            return n >= min && n <= max;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isJsonObject(String v) {
        try {
            return JSON.readTree(v).isObject();
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ EventBridge delivery

    /** What became of one delivery into a queue. */
    record Outcome(boolean delivered, String detail) {}

    /**
     * Sends an event into a queue as EventBridge does: the message body is the event JSON itself, and only when the
     * queue exists in the lab's region and account and its {@code Policy} lets the rule send.
     */
    Outcome deliver(String queueArn, String ruleArn, String eventJson) {
        Matcher m = QUEUE_ARN.matcher(queueArn);
        if (!m.matches() || !m.group(1).equals(ctx.region()) || !m.group(2).equals(ctx.account())) {
            return new Outcome(false, "target " + queueArn + " is not a queue of this lab's account and region");
        }
        String name = m.group(3);
        Map<String, String> attrs = kept.get(name);
        if (attrs == null) {
            return new Outcome(false, "queue " + name + " does not exist");
        }
        QueuePolicy.Decision d = QueuePolicy.evaluate(attrs.get("Policy"), queueArn, ruleArn, ctx.account());
        if (!d.allowed()) {
            return new Outcome(false, "refused by the queue policy: " + d.reason());
        }
        ObjectNode send = JSON.createObjectNode();
        send.put("QueueUrl", queueUrl(name));
        send.put("MessageBody", eventJson);
        Answer a = forwardJson("SendMessage", write(send), CALL_TIMEOUT);
        return a.status == 200
                ? new Outcome(true, "delivered")
                : new Outcome(false, "SendMessage answered " + a.status + " " + a.code);
    }

    /** How many ReceiveMessage calls are waiting in ElasticMQ now (long polls), for tests. */
    int receivesInFlight() {
        return receivesInFlight.get();
    }

    /** The URL of a queue of the lab, as CreateQueue returns it. */
    String queueUrl(String name) {
        return "http://127.0.0.1:" + front.getPort() + "/" + ctx.account() + "/" + name;
    }

    /** The ARN of a queue of the lab. */
    String queueArn(String name) {
        return "arn:aws:sqs:" + ctx.region() + ":" + ctx.account() + ":" + name;
    }

    // ------------------------------------------------------------------ forwarding

    private Answer forwardJson(String op, String body, Duration timeout) {
        return forward("/", JSON_1_0, TARGET_PREFIX + op, body, timeout);
    }

    private Answer forward(String pathAndQuery, String contentType, String target, String body, Duration timeout) {
        ElasticMq backend = mq;
        if (backend == null) {
            throw new IllegalStateException("the lab's SQS is not attached");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(backend.backend().resolve(pathAndQuery))
                .timeout(timeout)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (target != null) {
            b.header("X-Amz-Target", target);
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("ElasticMQ did not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for ElasticMQ", e);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        r.headers().firstValue("x-amzn-query-error").ifPresent(v -> headers.put("x-amzn-query-error", v));
        String code = "";
        if (r.statusCode() >= 300) {
            try {
                String type = JSON.readTree(r.body()).path("__type").asText("");
                code = type.substring(type.indexOf('#') + 1);
            } catch (JsonProcessingException e) {
                code = "HTTP" + r.statusCode();
            }
        }
        return new Answer(r.statusCode(), r.body(), code, headers);
    }

    static Optional<String> queueName(String queueUrl) {
        if (queueUrl == null || queueUrl.isBlank()) {
            return Optional.empty();
        }
        String path = URI.create(queueUrl.trim()).getPath();
        int slash = path.lastIndexOf('/');
        return Optional.of(path.substring(slash + 1)).filter(s -> !s.isEmpty());
    }

    private static ObjectNode parse(String body) {
        try {
            JsonNode n = JSON.readTree(body == null || body.isBlank() ? "{}" : body);
            if (!n.isObject()) {
                throw new SqsError("InvalidParameterValue", "The request body must be a JSON object");
            }
            return (ObjectNode) n;
        } catch (JsonProcessingException e) {
            throw new SqsError("InvalidParameterValue", "The request body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static String write(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The lab is shutting down: requests still under way (a long poll) fail without an error in the log. */
    void closing() {
        closing = true;
    }
}
