package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Whether an SQS queue policy lets EventBridge deliver a rule's events: as IAM evaluates a resource policy for the
 * service principal {@code events.amazonaws.com} calling {@code sqs:SendMessage} on the queue, with the request
 * context {@code aws:SourceArn} (the rule) and {@code aws:SourceAccount}. An explicit Deny wins; without an Allow
 * that applies, the delivery is refused.
 *
 * <p>Understood: {@code Effect}, {@code Principal} ({@code "*"}, {@code Service}, {@code AWS: "*"}), {@code Action}
 * (with {@code *} wildcards, case-insensitive), {@code Resource} (with wildcards) and the condition operators
 * {@code ArnEquals}, {@code ArnLike}, {@code StringEquals}, {@code StringLike} (and their {@code IfExists} forms) on
 * {@code aws:SourceArn} and {@code aws:SourceAccount}. A statement using anything else ({@code NotPrincipal},
 * {@code NotAction}, other condition keys) does not apply.
 */
final class QueuePolicy {
    static final String EVENTS_PRINCIPAL = "events.amazonaws.com";
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueuePolicy() {}

    /** The outcome: allowed, or refused with the reason. */
    record Decision(boolean allowed, String reason) {}

    /**
     * Evaluates the policy for a delivery.
     *
     * @param policy the queue's {@code Policy} attribute; null or blank means none
     * @param queueArn the queue
     * @param sourceArn the rule delivering
     * @param sourceAccount the rule's account
     */
    static Decision evaluate(String policy, String queueArn, String sourceArn, String sourceAccount) {
        if (policy == null || policy.isBlank()) {
            return new Decision(false, "the queue has no Policy, so events.amazonaws.com may not send to it");
        }
        JsonNode doc;
        try {
            doc = JSON.readTree(policy);
        } catch (JsonProcessingException e) {
            return new Decision(false, "the queue's Policy is not JSON");
        }
        JsonNode statements = doc.path("Statement");
        List<JsonNode> list = new ArrayList<>();
        if (statements.isArray()) {
            statements.forEach(list::add);
        } else if (statements.isObject()) {
            list.add(statements);
        }
        Map<String, String> context = Map.of("aws:sourcearn", sourceArn, "aws:sourceaccount", sourceAccount);
        boolean allowed = false;
        for (JsonNode s : list) {
            if (!applies(s, queueArn, context)) {
                continue;
            }
            String effect = s.path("Effect").asText();
            if (effect.equals("Deny")) {
                return new Decision(false, "a Deny statement of the queue's Policy applies to " + sourceArn);
            }
            allowed |= effect.equals("Allow");
        }
        return allowed
                ? new Decision(true, "allowed by the queue's Policy")
                : new Decision(
                        false,
                        "no statement of the queue's Policy allows " + EVENTS_PRINCIPAL + " sqs:SendMessage on "
                                + queueArn + " from " + sourceArn);
    }

    private static boolean applies(JsonNode s, String queueArn, Map<String, String> context) {
        if (s.has("NotPrincipal") || s.has("NotAction") || s.has("NotResource")) {
            return false;
        }
        return principal(s.path("Principal"))
                && anyMatches(s.path("Action"), "sqs:SendMessage", true)
                && anyMatches(s.path("Resource"), queueArn, false)
                && conditions(s.path("Condition"), context);
    }

    private static boolean principal(JsonNode p) {
        if (p.isTextual()) {
            return p.asText().equals("*");
        }
        if (!p.isObject()) {
            return false;
        }
        return values(p.path("Service")).contains(EVENTS_PRINCIPAL)
                || values(p.path("AWS")).contains("*");
    }

    private static boolean anyMatches(JsonNode patterns, String value, boolean ignoreCase) {
        for (String p : values(patterns)) {
            if (glob(p, value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    private static boolean conditions(JsonNode condition, Map<String, String> context) {
        if (condition.isMissingNode() || condition.isNull()) {
            return true;
        }
        for (Iterator<Map.Entry<String, JsonNode>> ops = condition.fields(); ops.hasNext(); ) {
            Map.Entry<String, JsonNode> op = ops.next();
            String operator = op.getKey();
            boolean ifExists = operator.endsWith("IfExists");
            String base = ifExists ? operator.substring(0, operator.length() - "IfExists".length()) : operator;
            for (Iterator<Map.Entry<String, JsonNode>> keys = op.getValue().fields(); keys.hasNext(); ) {
                Map.Entry<String, JsonNode> k = keys.next();
                String actual = context.get(k.getKey().toLowerCase(Locale.ROOT));
                if (actual == null) {
                    if (ifExists) {
                        continue;
                    }
                    return false;
                }
                List<String> expected = values(k.getValue());
                boolean ok =
                        switch (base) {
                            case "ArnEquals", "StringEquals" -> expected.contains(actual);
                            case "ArnLike", "StringLike" -> expected.stream().anyMatch(e -> glob(e, actual, false));
                            default -> false;
                        };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private static List<String> values(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray()) {
            n.forEach(v -> out.add(v.asText()));
        }
        return out;
    }

    /** IAM's wildcards: {@code *} any run of characters, {@code ?} any one character. */
    private static boolean glob(String pattern, String value, boolean ignoreCase) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0)
                .matcher(value)
                .matches();
    }
}
