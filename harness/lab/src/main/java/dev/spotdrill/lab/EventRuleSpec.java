package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One EventBridge rule and the SQS queue it delivers to, which the lab creates at start for a consumer of its own
 * (a scenario's {@code eventRules:} entry, or the queue-mode termination handler's rules).
 *
 * <pre>
 * eventRules:
 *   - name: fargate-orchestrator          # the rule; letters, digits, . - _ (at most 64)
 *     queue: fargate-orchestrator-events  # optional, default: the rule's name
 *     pattern: { source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning] }
 * </pre>
 *
 * <p>The queue keeps messages 300 s, has SQS-managed SSE, and its policy lets {@code events.amazonaws.com} send
 * (only from the queue's rules). Several rules may share a queue.
 *
 * @param name the rule's name
 * @param queue the queue's name
 * @param pattern the event pattern, as JSON
 * @param serviceSenders the service principals the queue policy lets send, for example {@code events.amazonaws.com}
 */
record EventRuleSpec(String name, String queue, String pattern, List<String> serviceSenders) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RULE = Pattern.compile("[.\\-_A-Za-z0-9]{1,64}");
    private static final Pattern QUEUE = Pattern.compile("[A-Za-z0-9_-]{1,80}");
    private static final Set<String> KEYS = Set.of("name", "queue", "pattern");

    /** The queue the queue-mode termination handler consumes. */
    static final String HANDLER_QUEUE = "aws-node-termination-handler";

    EventRuleSpec {
        serviceSenders = List.copyOf(serviceSenders);
    }

    /** The rules NTH's queue processor is set up with: one per detail-type, into one queue. */
    static List<EventRuleSpec> terminationHandler() {
        List<String> senders = List.of("events.amazonaws.com", "sqs.amazonaws.com");
        return List.of(
                new EventRuleSpec(
                        HANDLER_QUEUE + "-spot-itn", HANDLER_QUEUE, detailType(EventBus.SPOT_WARNING), senders),
                new EventRuleSpec(HANDLER_QUEUE + "-rebalance", HANDLER_QUEUE, detailType(EventBus.REBALANCE), senders),
                new EventRuleSpec(
                        HANDLER_QUEUE + "-state-change", HANDLER_QUEUE, detailType(EventBus.STATE_CHANGE), senders));
    }

    private static String detailType(String detailType) {
        return "{\"source\":[\"aws.ec2\"],\"detail-type\":[\"" + detailType + "\"]}";
    }

    /**
     * The scenario's {@code eventRules:} entries.
     *
     * @throws SpotDrillConfigurationException naming the entry, the value and the fix
     */
    static List<EventRuleSpec> fromScenario(Scenario scenario) {
        JsonNode list = scenario.raw().path("eventRules");
        List<EventRuleSpec> out = new ArrayList<>();
        if (list.isMissingNode() || list.isNull()) {
            return out;
        }
        String where = "scenario " + scenario.name() + ", eventRules";
        if (!list.isArray()) {
            throw new SpotDrillConfigurationException(where + " must be a list of {name, queue, pattern}");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = where + "[" + i + "]";
            JsonNode e = list.get(i);
            for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!KEYS.contains(k)) {
                    throw new SpotDrillConfigurationException(
                            at + " has the unknown key '" + k + "'; use only name, queue and pattern");
                }
            }
            String name = e.path("name").asText("");
            if (!RULE.matcher(name).matches()) {
                throw new SpotDrillConfigurationException(at + ".name '" + name + "' is not an EventBridge rule name;"
                        + " use 1 to 64 letters, digits, '.', '-' or '_'");
            }
            if (name.startsWith("spotdrill-")) {
                throw new SpotDrillConfigurationException(at + ".name '" + name + "' starts with spotdrill-, the"
                        + " prefix of the harness's own rules (which its leftovers sweep removes); use another name");
            }
            if (!names.add(name)) {
                throw new SpotDrillConfigurationException(
                        at + ".name '" + name + "' is used twice; name each rule" + " once");
            }
            String queue = e.path("queue").asText(name);
            if (!QUEUE.matcher(queue).matches() || queue.startsWith("spotdrill-")) {
                throw new SpotDrillConfigurationException(at + ".queue '" + queue + "' is not a queue name the lab"
                        + " can give a consumer; use 1 to 80 letters, digits, '-' or '_', not starting with"
                        + " spotdrill-");
            }
            JsonNode p = e.get("pattern");
            if (p == null || !(p.isObject() || p.isTextual())) {
                throw new SpotDrillConfigurationException(at + ".pattern is missing; give an event pattern, e.g."
                        + " { source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning] }");
            }
            String pattern;
            try {
                pattern = p.isTextual() ? p.asText() : JSON.writeValueAsString(p);
            } catch (JsonProcessingException x) {
                throw new SpotDrillConfigurationException(at + ".pattern cannot be written as JSON: " + x);
            }
            try {
                EventPattern.parse(pattern);
            } catch (EventPattern.Invalid x) {
                throw new SpotDrillConfigurationException(
                        at + ".pattern is not a valid event pattern: " + x.getMessage());
            }
            out.add(new EventRuleSpec(name, queue, pattern, List.of("events.amazonaws.com")));
        }
        return out;
    }
}
