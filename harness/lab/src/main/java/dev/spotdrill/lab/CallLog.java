package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The log of every request the lab served: FIS, EC2, STS, IAM, EventBridge, SQS, IMDS, the Spot Advisor feed
 * and CAST AI. Thread-safe.
 *
 * <p>Tests use it to prove, for example, that bad input created no template; {@link #leastPrivilegePolicy()}
 * turns it into the IAM policy a real run needs.
 */
public final class CallLog {
    /** The role the lab's own responders (queue-mode termination handler, scenario event rules) call AWS as. */
    public static final String RESPONDER_ROLE = "spotdrill-lab-responder";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Services whose calls need no IAM permission: IMDS, the public Spot Advisor feed and CAST AI (its own key). */
    private static final Set<String> NOT_IAM = Set.of("imds", "spotadvisor", "castai", "slack");

    /**
     * Error codes that IAM let through: the call was allowed, only its resource was missing (spotdrill doctor asks for
     * a rule and a queue that do not exist, and a sweep may find a resource gone).
     */
    private static final Set<String> NOT_FOUND = Set.of(
            "ResourceNotFoundException",
            "AWS.SimpleQueueService.NonExistentQueue",
            "QueueDoesNotExist",
            "NoSuchEntity");

    private final List<ApiCall> calls = new ArrayList<>();

    CallLog() {}

    synchronized void add(ApiCall call) {
        calls.add(call);
    }

    /** Every call so far, oldest first. */
    public synchronized List<ApiCall> calls() {
        return List.copyOf(calls);
    }

    /** The calls of one operation, for example {@code calls("fis", "CreateExperimentTemplate")}. */
    public synchronized List<ApiCall> calls(String service, String operation) {
        return calls.stream()
                .filter(c -> c.service().equals(service) && c.operation().equals(operation))
                .toList();
    }

    /** How many calls of one operation were served, whatever their outcome. */
    public int count(String service, String operation) {
        return calls(service, operation).size();
    }

    /**
     * The AWS calls that may change something: anything but Get*, List*, Describe* and IMDS. CAST AI and Spot
     * Advisor calls are left out: the lab's reference blacklister makes them on its own schedule, whatever a drill
     * does (see {@link #calls(String, String)} for them).
     */
    public synchronized List<ApiCall> mutatingCalls() {
        return calls.stream()
                .filter(c -> !NOT_IAM.contains(c.service()))
                .filter(c -> !c.caller().contains(":assumed-role/" + RESPONDER_ROLE + "/"))
                .filter(ApiCall::mutating)
                .toList();
    }

    /** The calls served at or after a world instant. */
    public synchronized List<ApiCall> since(Instant worldTime) {
        return calls.stream().filter(c -> !c.worldTime().isBefore(worldTime)).toList();
    }

    /**
     * An IAM policy document allowing exactly {@link #iamActions()}: the actions that succeeded (or were allowed and
     * found their resource missing), such as
     * {@code fis:CreateExperimentTemplate}. IMDS, Spot Advisor feed and CAST AI calls and {@code sts:GetCallerIdentity}
     * need no IAM permission and are left out, and so are the calls of the lab's own responders (role
     * {@value #RESPONDER_ROLE}); a successful {@code CreateExperimentTemplate} adds {@code iam:PassRole}, which FIS requires
     * for the template's role.
     */
    public String leastPrivilegePolicy() {
        Set<String> actions = iamActions();
        ObjectNode doc = JSON.createObjectNode();
        doc.put("Version", "2012-10-17");
        ArrayNode statements = doc.putArray("Statement");
        if (!actions.isEmpty()) {
            ObjectNode s = statements.addObject();
            s.put("Sid", "SpotDrillObserved");
            s.put("Effect", "Allow");
            ArrayNode a = s.putArray("Action");
            actions.forEach(a::add);
            s.put("Resource", "*");
        }
        return write(doc);
    }

    /**
     * The IAM actions of the calls that succeeded, or that IAM allowed and found their resource missing, sorted, as
     * {@link #leastPrivilegePolicy()} allows them: without
     * IMDS, Spot Advisor, CAST AI, {@code sts:GetCallerIdentity} and the lab's responders, with {@code iam:PassRole}
     * for each successful {@code fis:CreateExperimentTemplate}.
     */
    public java.util.SortedSet<String> iamActions() {
        java.util.SortedSet<String> actions = new TreeSet<>();
        for (ApiCall c : calls()) {
            if (!(c.succeeded() || NOT_FOUND.contains(c.errorCode()))
                    || NOT_IAM.contains(c.service())
                    || c.caller().contains(":assumed-role/" + RESPONDER_ROLE + "/")) {
                continue;
            }
            if (c.service().equals("sts") && c.operation().equals("GetCallerIdentity")) {
                continue;
            }
            actions.add(c.service() + ":" + c.operation());
            if (c.service().equals("fis") && c.operation().equals("CreateExperimentTemplate")) {
                actions.add("iam:PassRole");
            }
        }
        return actions;
    }

    /**
     * A log read back from {@link #toJson()} (for example a report's {@code lab-call-log} attachment).
     *
     * @throws IllegalArgumentException naming the entry and the field when the text is not such a log
     */
    public static CallLog fromJson(String json) {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("not a call log: expected a JSON array of calls, as the report's"
                    + " lab-call-log attachment or `spotdrill lab calls --json` holds");
        }
        CallLog log = new CallLog();
        int n = 0;
        for (com.fasterxml.jackson.databind.JsonNode c : root) {
            n++;
            for (String field : List.of("worldTime", "service", "operation", "status")) {
                if (!c.hasNonNull(field)) {
                    throw new IllegalArgumentException("call " + n + " has no \"" + field + "\"");
                }
            }
            try {
                log.add(new ApiCall(
                        java.time.Instant.parse(c.get("worldTime").asText()),
                        c.get("service").asText(),
                        c.get("operation").asText(),
                        c.path("caller").asText(""),
                        c.get("status").asInt(),
                        c.path("errorCode").asText(""),
                        c.path("resource").asText("")));
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException(
                        "call " + n + ": worldTime \"" + c.get("worldTime").asText() + "\" is not an ISO-8601 instant");
            }
        }
        return log;
    }

    /** The log as a JSON array, for a report attachment. */
    public String toJson() {
        ArrayNode arr = JSON.createArrayNode();
        for (ApiCall c : calls()) {
            ObjectNode o = arr.addObject();
            o.put("worldTime", c.worldTime().toString());
            o.put("service", c.service());
            o.put("operation", c.operation());
            o.put("caller", c.caller());
            o.put("status", c.status());
            o.put("errorCode", c.errorCode());
            o.put("resource", c.resource());
        }
        return write(arr);
    }

    @Override
    public synchronized String toString() {
        return "CallLog[" + calls.size() + " calls]";
    }

    private static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
