package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Amazon EventBridge (AWS JSON 1.1, {@code X-Amz-Target: AWSEvents.<Op>}) on the default event bus: rules with
 * event patterns, their targets and tags. As strict as EventBridge about input, with its error codes and messages.
 * Rules are kept here; {@link EventBus} routes the lab's events through them.
 */
final class EventsApi implements HttpHandler {
    static final String TARGET_PREFIX = "AWSEvents.";
    static final String JSON_1_1 = "application/x-amz-json-1.1";
    /** EventBridge's quota of targets per rule. */
    static final int MAX_TARGETS_PER_RULE = 5;
    /** At most this many targets in one PutTargets call. */
    static final int MAX_TARGETS_PER_CALL = 10;

    private static final Logger LOG = LoggerFactory.getLogger(EventsApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[\\.\\-_A-Za-z0-9]+");
    private static final Pattern TARGET_ID = Pattern.compile("[\\.\\-_A-Za-z0-9]+");
    private static final Set<String> STATES =
            Set.of("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS");

    private final LabContext ctx;
    /** Guarded by {@code this}; kept apart from the lab's model lock so that routing never waits on FIS or EC2. */
    private final Map<String, Rule> rules = new TreeMap<>();

    EventsApi(LabContext ctx) {
        this.ctx = ctx;
    }

    /** One rule on the default bus. */
    static final class Rule {
        final String name;
        final String arn;
        final Instant created;
        EventPattern pattern;
        String state;
        String description;
        String roleArn;
        final Map<String, String> tags = new LinkedHashMap<>();
        final Map<String, JsonNode> targets = new LinkedHashMap<>();

        Rule(String name, String arn, Instant created) {
            this.name = name;
            this.arn = arn;
            this.created = created;
        }

        boolean enabled() {
            return state.startsWith("ENABLED");
        }

        ObjectNode json() {
            ObjectNode o = JSON.createObjectNode();
            o.put("Name", name).put("Arn", arn);
            if (pattern != null) {
                o.put("EventPattern", pattern.text());
            }
            o.put("State", state);
            if (description != null) {
                o.put("Description", description);
            }
            if (roleArn != null) {
                o.put("RoleArn", roleArn);
            }
            o.put("EventBusName", "default");
            return o;
        }
    }

    /** A target to deliver to: the rule it belongs to, its id and ARN, and the whole target as PutTargets took it. */
    record RouteTarget(String ruleName, String ruleArn, String id, String arn, JsonNode target) {}

    /** The targets of every enabled rule whose pattern matches the event, in rule-name order. */
    synchronized List<RouteTarget> route(JsonNode event) {
        List<RouteTarget> out = new ArrayList<>();
        for (Rule r : rules.values()) {
            if (r.enabled() && r.pattern != null && r.pattern.matches(event)) {
                r.targets.forEach((id, t) ->
                        out.add(new RouteTarget(r.name, r.arn, id, t.path("Arn").asText(), t)));
            }
        }
        return out;
    }

    /** The names of the rules, for tests and the lab's own checks. */
    synchronized List<String> ruleNames() {
        return List.copyOf(rules.keySet());
    }

    // ------------------------------------------------------------------ HTTP

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String requestId = ctx.requestId();
        String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
        String op = target != null && target.startsWith(TARGET_PREFIX)
                ? target.substring(TARGET_PREFIX.length())
                : "(none)";
        String caller = "";
        String resource = "";
        int status;
        String code = "";
        JsonNode body;
        try {
            String raw = Http.body(ex);
            String key = Http.accessKey(ex);
            caller = key == null ? "" : ctx.principalFor(key);
            if (key == null) {
                throw new ApiError(400, "MissingAuthenticationTokenException", "Missing Authentication Token");
            }
            if (caller.isEmpty()) {
                throw new ApiError(
                        400, "UnrecognizedClientException", "The security token included in the request is invalid.");
            }
            ObjectNode req = parse(raw);
            resource = req.path("Name")
                    .asText(req.path("Rule")
                            .asText(req.path("ResourceARN")
                                    .asText(req.path("NamePrefix").asText(""))));
            synchronized (this) {
                body = dispatch(op, req);
            }
            status = 200;
        } catch (ApiError e) {
            status = e.status;
            code = e.code;
            body = JSON.createObjectNode().put("__type", e.code).put("message", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("lab {}: EventBridge {} failed", ctx.labId, op, e);
            status = 500;
            code = "InternalException";
            body = JSON.createObjectNode().put("__type", code).put("message", "lab error: " + e);
        }
        ctx.record("events", op, caller, status, code, resource);
        ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
        Http.send(ex, status, JSON_1_1, JSON.writeValueAsString(body));
    }

    private JsonNode dispatch(String op, ObjectNode req) {
        return switch (op) {
            case "PutRule" -> putRule(req);
            case "DescribeRule" -> describeRule(req);
            case "ListRules" -> listRules(req);
            case "DeleteRule" -> deleteRule(req);
            case "PutTargets" -> putTargets(req);
            case "RemoveTargets" -> removeTargets(req);
            case "ListTargetsByRule" -> listTargets(req);
            case "TagResource" -> tagResource(req);
            case "UntagResource" -> untagResource(req);
            case "ListTagsForResource" -> listTags(req);
            case "(none)" ->
                throw new ApiError(
                        400,
                        "UnknownOperationException",
                        "No EventBridge operation: send X-Amz-Target: AWSEvents.<Operation> with Content-Type "
                                + JSON_1_1);
            default ->
                throw new ApiError(
                        400,
                        "UnknownOperationException",
                        "EventBridge operation " + op + " is not served by the spotdrill lab; it serves PutRule,"
                                + " DescribeRule, ListRules, DeleteRule, PutTargets, RemoveTargets, ListTargetsByRule,"
                                + " TagResource, UntagResource and ListTagsForResource");
        };
    }

    // ------------------------------------------------------------------ rules

    private JsonNode putRule(ObjectNode req) {
        checkBus(req);
        String name = name(req.path("Name"), "name");
        String patternText = optionalText(req, "EventPattern");
        if (req.hasNonNull("ScheduleExpression")) {
            throw validation("ScheduleExpression is not supported by the spotdrill lab; give an EventPattern");
        }
        if (patternText == null) {
            throw validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");
        }
        if (patternText.length() > 4096) {
            throw constraint("eventPattern", "[...]", "Member must have length less than or equal to 4096");
        }
        EventPattern pattern;
        try {
            pattern = EventPattern.parse(patternText);
        } catch (EventPattern.Invalid e) {
            throw new ApiError(
                    400, "InvalidEventPatternException", "Event pattern is not valid. Reason: " + e.getMessage());
        }
        String state = optionalText(req, "State");
        if (state != null && !STATES.contains(state)) {
            throw constraint(
                    "state",
                    state,
                    "Member must satisfy enum value set: [ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, DISABLED,"
                            + " ENABLED]");
        }
        String description = optionalText(req, "Description");
        if (description != null && description.length() > 512) {
            throw constraint("description", description, "Member must have length less than or equal to 512");
        }
        Map<String, String> tags = tags(req.path("Tags"));
        Rule r = rules.get(name);
        if (r == null) {
            r = new Rule(name, ruleArn(name), ctx.now());
            rules.put(name, r);
        }
        // As EventBridge documents: omitted arguments are not kept from an earlier PutRule of the same name.
        r.pattern = pattern;
        r.state = state == null ? "ENABLED" : state;
        r.description = description;
        r.roleArn = optionalText(req, "RoleArn");
        r.tags.putAll(tags);
        return JSON.createObjectNode().put("RuleArn", r.arn);
    }

    private JsonNode describeRule(ObjectNode req) {
        checkBus(req);
        Rule r = rule(name(req.path("Name"), "name"));
        ObjectNode o = r.json();
        o.put("CreatedBy", ctx.account());
        return o;
    }

    private JsonNode listRules(ObjectNode req) {
        checkBus(req);
        String prefix = optionalText(req, "NamePrefix");
        if (prefix != null && !NAME.matcher(prefix).matches()) {
            throw constraint("namePrefix", prefix, "Member must satisfy regular expression pattern: " + NAME);
        }
        int limit = req.path("Limit").asInt(100);
        if (limit < 1 || limit > 100) {
            throw constraint("limit", Integer.toString(limit), "Member must have value between 1 and 100");
        }
        List<Rule> matching = rules.values().stream()
                .filter(r -> prefix == null || r.name.startsWith(prefix))
                .toList();
        int from = token(req, matching.size());
        ObjectNode o = JSON.createObjectNode();
        ArrayNode arr = o.putArray("Rules");
        int to = Math.min(matching.size(), from + limit);
        matching.subList(from, to).forEach(r -> arr.add(r.json()));
        if (to < matching.size()) {
            o.put("NextToken", Integer.toString(to));
        }
        return o;
    }

    private JsonNode deleteRule(ObjectNode req) {
        checkBus(req);
        String name = name(req.path("Name"), "name");
        Rule r = rules.get(name);
        if (r == null) {
            return JSON.createObjectNode(); // EventBridge: deleting a rule that is not there succeeds
        }
        if (!r.targets.isEmpty()) {
            throw validation("Rule can't be deleted since it has targets.");
        }
        rules.remove(name);
        return JSON.createObjectNode();
    }

    // ------------------------------------------------------------------ targets

    private JsonNode putTargets(ObjectNode req) {
        checkBus(req);
        Rule r = rule(name(req.path("Rule"), "rule"));
        JsonNode targets = req.path("Targets");
        if (!targets.isArray() || targets.isEmpty()) {
            throw constraint("targets", "[]", "Member must have length greater than or equal to 1");
        }
        if (targets.size() > MAX_TARGETS_PER_CALL) {
            throw constraint(
                    "targets",
                    "[" + targets.size() + " targets]",
                    "Member must have length less than or equal to " + MAX_TARGETS_PER_CALL);
        }
        for (JsonNode t : targets) {
            String id = t.path("Id").asText("");
            if (id.isEmpty() || id.length() > 64 || !TARGET_ID.matcher(id).matches()) {
                throw constraint(
                        "targets.member.id", id, "Member must satisfy regular expression pattern: " + TARGET_ID);
            }
            String arn = t.path("Arn").asText("");
            if (arn.isEmpty() || arn.length() > 1600) {
                throw constraint("targets.member.arn", arn, "Member must have length between 1 and 1600");
            }
        }
        long fresh = 0;
        for (JsonNode t : targets) {
            if (!r.targets.containsKey(t.path("Id").asText())) {
                fresh++;
            }
        }
        if (r.targets.size() + fresh > MAX_TARGETS_PER_RULE) {
            throw new ApiError(
                    400, "LimitExceededException", "The requested resource exceeds the maximum number allowed.");
        }
        ObjectNode o = JSON.createObjectNode();
        ArrayNode failed = JSON.createArrayNode();
        for (JsonNode t : targets) {
            String id = t.path("Id").asText();
            String arn = t.path("Arn").asText();
            String problem = null;
            if (!arn.startsWith("arn:aws:sqs:")) {
                problem = "The spotdrill lab delivers only to SQS queues; target " + arn + " cannot be served";
            } else if (t.hasNonNull("RoleArn")) {
                problem = "RoleArn is not supported for target " + arn + ".";
            } else if (t.hasNonNull("InputTransformer")) {
                problem = "InputTransformer is not supported by the spotdrill lab; use Input or InputPath";
            }
            if (problem != null) {
                failed.addObject()
                        .put("TargetId", id)
                        .put("ErrorCode", "ValidationException")
                        .put("ErrorMessage", problem);
            } else {
                r.targets.put(id, t.deepCopy());
            }
        }
        o.put("FailedEntryCount", failed.size());
        o.set("FailedEntries", failed);
        return o;
    }

    private JsonNode removeTargets(ObjectNode req) {
        checkBus(req);
        Rule r = rule(name(req.path("Rule"), "rule"));
        JsonNode ids = req.path("Ids");
        if (!ids.isArray() || ids.isEmpty() || ids.size() > 100) {
            throw constraint("ids", ids.toString(), "Member must have length between 1 and 100");
        }
        ids.forEach(id -> r.targets.remove(id.asText()));
        ObjectNode o = JSON.createObjectNode();
        o.put("FailedEntryCount", 0);
        o.putArray("FailedEntries");
        return o;
    }

    private JsonNode listTargets(ObjectNode req) {
        checkBus(req);
        Rule r = rule(name(req.path("Rule"), "rule"));
        List<JsonNode> all = new ArrayList<>(r.targets.values());
        int limit = req.path("Limit").asInt(100);
        int from = token(req, all.size());
        int to = Math.min(all.size(), from + Math.max(1, limit));
        ObjectNode o = JSON.createObjectNode();
        ArrayNode arr = o.putArray("Targets");
        all.subList(from, to).forEach(arr::add);
        if (to < all.size()) {
            o.put("NextToken", Integer.toString(to));
        }
        return o;
    }

    // ------------------------------------------------------------------ tags

    private JsonNode tagResource(ObjectNode req) {
        Rule r = ruleByArn(req.path("ResourceARN").asText(""));
        r.tags.putAll(tags(req.path("Tags")));
        return JSON.createObjectNode();
    }

    private JsonNode untagResource(ObjectNode req) {
        Rule r = ruleByArn(req.path("ResourceARN").asText(""));
        req.path("TagKeys").forEach(k -> r.tags.remove(k.asText()));
        return JSON.createObjectNode();
    }

    private JsonNode listTags(ObjectNode req) {
        Rule r = ruleByArn(req.path("ResourceARN").asText(""));
        ObjectNode o = JSON.createObjectNode();
        ArrayNode arr = o.putArray("Tags");
        r.tags.forEach((k, v) -> arr.addObject().put("Key", k).put("Value", v));
        return o;
    }

    private static Map<String, String> tags(JsonNode tags) {
        Map<String, String> out = new LinkedHashMap<>();
        if (tags.isMissingNode() || tags.isNull()) {
            return out;
        }
        if (!tags.isArray()) {
            throw validation("Tags must be a list of {Key, Value}");
        }
        for (JsonNode t : tags) {
            String k = t.path("Key").asText("");
            if (k.isEmpty() || k.length() > 128) {
                throw constraint("tags.member.key", k, "Member must have length between 1 and 128");
            }
            if (k.startsWith("aws:")) {
                throw validation("Invalid tag key " + k + ": the aws: prefix is reserved for AWS use");
            }
            String v = t.path("Value").asText(null);
            if (v == null || v.length() > 256) {
                throw constraint("tags.member.value", String.valueOf(v), "Member must have length between 0 and 256");
            }
            out.put(k, v);
        }
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private String ruleArn(String name) {
        return "arn:aws:events:" + ctx.region() + ":" + ctx.account() + ":rule/" + name;
    }

    private Rule rule(String name) {
        Rule r = rules.get(name);
        if (r == null) {
            throw new ApiError(
                    400, "ResourceNotFoundException", "Rule " + name + " does not exist on EventBus default.");
        }
        return r;
    }

    private Rule ruleByArn(String arn) {
        String prefix = "arn:aws:events:" + ctx.region() + ":" + ctx.account() + ":rule/";
        if (!arn.startsWith(prefix)) {
            throw new ApiError(400, "ResourceNotFoundException", "Resource " + arn + " does not exist.");
        }
        return rule(arn.substring(prefix.length()));
    }

    private void checkBus(ObjectNode req) {
        String bus = optionalText(req, "EventBusName");
        if (bus == null
                || bus.equals("default")
                || bus.equals("arn:aws:events:" + ctx.region() + ":" + ctx.account() + ":event-bus/default")) {
            return;
        }
        throw new ApiError(
                400,
                "ResourceNotFoundException",
                "Event bus " + bus + " does not exist. (The spotdrill lab serves the default bus only.)");
    }

    private static String name(JsonNode n, String field) {
        String name = n.asText("");
        if (name.isEmpty() || name.length() > 64) {
            throw constraint(field, name, "Member must have length between 1 and 64");
        }
        if (!NAME.matcher(name).matches()) {
            throw constraint(field, name, "Member must satisfy regular expression pattern: " + NAME);
        }
        return name;
    }

    private static int token(ObjectNode req, int size) {
        String t = optionalText(req, "NextToken");
        if (t == null) {
            return 0;
        }
        try {
            int from = Integer.parseInt(t);
            if (from < 0 || from > size) {
                throw new NumberFormatException(t);
            }
            return from;
        } catch (NumberFormatException e) {
            throw validation("The NextToken " + t + " is not valid; use the NextToken of the previous answer");
        }
    }

    private static String optionalText(JsonNode req, String field) {
        JsonNode n = req.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static ApiError validation(String message) {
        return new ApiError(400, "ValidationException", message);
    }

    private static ApiError constraint(String field, String value, String rule) {
        return validation("1 validation error detected: Value '" + value + "' at '" + field
                + "' failed to satisfy constraint: " + rule);
    }

    private static ObjectNode parse(String raw) {
        try {
            JsonNode n = JSON.readTree(raw == null || raw.isBlank() ? "{}" : raw);
            if (!n.isObject()) {
                throw new ApiError(400, "SerializationException", "The request body must be a JSON object");
            }
            return (ObjectNode) n;
        } catch (JsonProcessingException e) {
            throw new ApiError(
                    400, "SerializationException", "The request body is not JSON: " + e.getOriginalMessage());
        }
    }
}
