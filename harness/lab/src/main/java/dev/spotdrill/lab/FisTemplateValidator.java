package dev.spotdrill.lab;

import static dev.spotdrill.lab.FisApi.INSTANCE_ARN;
import static dev.spotdrill.lab.FisApi.ROLE_ARN;
import static dev.spotdrill.lab.FisApi.SELECTION;
import static dev.spotdrill.lab.FisApi.SPOT_ACTION;
import static dev.spotdrill.lab.FisApi.SPOT_TYPE;
import static dev.spotdrill.lab.FisApi.constraint;
import static dev.spotdrill.lab.FisApi.invalid;
import static dev.spotdrill.lab.FisApi.notNull;
import static dev.spotdrill.lab.FisApi.requiredText;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lab FIS's checks of a CreateExperimentTemplate request: fields, targets, actions, their order and parallelism,
 * the role FIS would assume, and tags. As strict as AWS about input; each problem is thrown as the ValidationException
 * FIS answers with. Split out of {@link FisApi}, which keeps the templates, experiments and their state machine.
 */
final class FisTemplateValidator {
    /** How long a new role stays invisible to FIS by default (IAM eventual consistency), in world time. */
    static final Duration IAM_PROPAGATION = Duration.ofSeconds(5);

    static final Duration MIN_LEAD = Duration.ofMinutes(2);
    /** The upper bound of durationBeforeInterruption; 15 minutes is unconfirmed by any primary AWS source. */
    static final Duration MAX_LEAD = Duration.ofMinutes(15);

    private static final Pattern NAME = Pattern.compile("[\\S]{1,64}");
    private static final Pattern ALARM_ARN = Pattern.compile("arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\\d{12}:alarm:.+");
    /** FIS's default quota of actions one experiment runs in parallel. */
    static final int PARALLEL_ACTIONS = 10;

    private static final Set<String> TEMPLATE_FIELDS = Set.of(
            "clientToken",
            "description",
            "stopConditions",
            "targets",
            "actions",
            "roleArn",
            "tags",
            "logConfiguration",
            "experimentOptions",
            "experimentReportConfiguration");

    private final LabContext ctx;
    private final IamApi iam;

    FisTemplateValidator(LabContext ctx, IamApi iam) {
        this.ctx = ctx;
        this.iam = iam;
    }

    /** Checks a CreateExperimentTemplate request as FIS does; the first problem is thrown as FIS answers it. */
    void validate(JsonNode req) {
        for (Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!TEMPLATE_FIELDS.contains(f)) {
                throw invalid("Unknown field '" + f + "' in CreateExperimentTemplate request");
            }
        }
        String token = requiredText(req, "clientToken");
        if (token.length() > 1024) {
            throw constraint("clientToken", token, "Member must have length less than or equal to 1024");
        }
        String description = requiredText(req, "description");
        if (description.length() > 512) {
            throw constraint(
                    "description",
                    description.substring(0, 20) + "...",
                    "Member must have length less than or equal to 512");
        }
        JsonNode stops = req.path("stopConditions");
        if (stops.isMissingNode() || stops.isNull()) {
            throw notNull("stopConditions");
        }
        if (!stops.isArray() || stops.size() < 1 || stops.size() > 5) {
            throw invalid("stopConditions must be a list of 1 to 5 stop conditions; use [{\"source\":\"none\"}]"
                    + " for none");
        }
        for (int i = 0; i < stops.size(); i++) {
            JsonNode s = stops.get(i);
            String source = s.path("source").asText("");
            String at = "stopConditions." + (i + 1) + ".member.source";
            if (source.isEmpty()) {
                throw notNull(at);
            }
            if (source.equals("none")) {
                if (s.hasNonNull("value")) {
                    throw invalid("Stop condition with source 'none' must not have a value");
                }
            } else if (source.equals("aws:cloudwatch:alarm")) {
                if (!ALARM_ARN.matcher(s.path("value").asText("")).matches()) {
                    throw invalid("Stop condition aws:cloudwatch:alarm needs value = a CloudWatch alarm ARN, got '"
                            + s.path("value").asText("") + "'");
                }
            } else {
                throw invalid("Invalid stop condition source '" + source + "' at '" + at
                        + "'; use 'none' or 'aws:cloudwatch:alarm'");
            }
        }
        Map<String, JsonNode> targets = targets(req.path("targets"));
        JsonNode actions = req.path("actions");
        if (actions.isMissingNode() || actions.isNull()) {
            throw notNull("actions");
        }
        if (!actions.isObject() || actions.size() < 1) {
            throw invalid("actions must name at least one action, e.g. {\"interrupt\":{\"actionId\":\"" + SPOT_ACTION
                    + "\",...}}");
        }
        if (actions.size() > 20) {
            throw invalid("A template can have at most 20 actions; it has " + actions.size());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = actions.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            validateAction(e.getKey(), e.getValue(), targets, actions);
        }
        int parallel = parallelActions(actions);
        if (parallel > PARALLEL_ACTIONS) {
            throw invalid("The template runs " + parallel + " actions in parallel; an experiment can run at most "
                    + PARALLEL_ACTIONS + " actions in parallel (quota: parallel actions per experiment); order some"
                    + " with startAfter or split them over several templates");
        }
        checkTags(req.path("tags"), "tags");
        JsonNode opts = req.path("experimentOptions");
        if (!opts.isMissingNode()) {
            String targeting = opts.path("accountTargeting").asText("single-account");
            if (!targeting.equals("single-account")) {
                throw invalid("experimentOptions.accountTargeting '" + targeting
                        + "' is not supported by the lab; use single-account");
            }
            String empty = opts.path("emptyTargetResolutionMode").asText("fail");
            if (!empty.equals("fail") && !empty.equals("skip")) {
                throw invalid(
                        "experimentOptions.emptyTargetResolutionMode '" + empty + "' is invalid; use fail or skip");
            }
        }
        checkRole(requiredText(req, "roleArn"));
    }

    /**
     * The most actions that start together: actions at the same depth of their startAfter chains (an action with no
     * startAfter is at depth 0).
     */
    private static int parallelActions(JsonNode actions) {
        Map<String, Integer> depth = new LinkedHashMap<>();
        for (Iterator<String> it = actions.fieldNames(); it.hasNext(); ) {
            depthOf(it.next(), actions, depth, new java.util.HashSet<>());
        }
        Map<Integer, Integer> perDepth = new LinkedHashMap<>();
        depth.values().forEach(d -> perDepth.merge(d, 1, Integer::sum));
        return perDepth.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    private static int depthOf(String name, JsonNode actions, Map<String, Integer> depth, Set<String> seen) {
        Integer known = depth.get(name);
        if (known != null) {
            return known;
        }
        if (!seen.add(name)) {
            throw invalid("Action '" + name + "': its startAfter chain is a cycle");
        }
        int d = 0;
        for (JsonNode after : actions.path(name).path("startAfter")) {
            d = Math.max(d, 1 + depthOf(after.asText(), actions, depth, seen));
        }
        depth.put(name, d);
        return d;
    }

    private Map<String, JsonNode> targets(JsonNode targets) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (targets.isMissingNode() || targets.isNull()) {
            return out;
        }
        if (!targets.isObject()) {
            throw invalid("targets must be a map of target names to targets");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = targets.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode t = e.getValue();
            if (!NAME.matcher(name).matches()) {
                throw invalid("Target name '" + name + "' is invalid: use 1 to 64 characters without spaces");
            }
            String type = t.path("resourceType").asText("");
            if (type.isEmpty()) {
                throw notNull("targets." + name + ".resourceType");
            }
            if (!type.equals(SPOT_TYPE)) {
                throw invalid("Target '" + name + "' has resourceType '" + type + "'; the lab supports only "
                        + SPOT_TYPE + " (the target of " + SPOT_ACTION + ")");
            }
            boolean arns = t.hasNonNull("resourceArns");
            boolean tags = t.hasNonNull("resourceTags");
            if (arns && tags) {
                throw invalid("Target '" + name + "': resourceArns and resourceTags cannot be used together;"
                        + " give one of them");
            }
            if (!arns && !tags) {
                throw invalid("Target '" + name + "' must have either resourceArns or resourceTags");
            }
            if (arns) {
                JsonNode list = t.get("resourceArns");
                if (!list.isArray() || list.isEmpty()) {
                    throw invalid("Target '" + name + "': resourceArns must be a non-empty list");
                }
                if (list.size() > 5) {
                    throw invalid("Target '" + name + "' has " + list.size()
                            + " resourceArns; a target can have at most 5; split the instances over several targets");
                }
                for (JsonNode a : list) {
                    if (!INSTANCE_ARN.matcher(a.asText()).matches()) {
                        throw invalid("Target '" + name + "': resourceArns entry '" + a.asText()
                                + "' is not an EC2 instance ARN (arn:aws:ec2:<region>:<account>:instance/<id>)");
                    }
                }
            } else {
                JsonNode m = t.get("resourceTags");
                if (!m.isObject() || m.isEmpty() || m.size() > 50) {
                    throw invalid("Target '" + name + "': resourceTags must have 1 to 50 tags");
                }
            }
            JsonNode filters = t.path("filters");
            if (!filters.isMissingNode() && !filters.isNull()) {
                if (!filters.isArray()) {
                    throw invalid("Target '" + name + "': filters must be a list of {path, values}");
                }
                for (JsonNode f : filters) {
                    if (f.path("path").asText("").isEmpty()
                            || !f.path("values").isArray()
                            || f.path("values").isEmpty()) {
                        throw invalid("Target '" + name + "': each filter needs a path and at least one value");
                    }
                }
            }
            String mode = t.path("selectionMode").asText("");
            if (mode.isEmpty()) {
                throw notNull("targets." + name + ".selectionMode");
            }
            Matcher sm = SELECTION.matcher(mode);
            boolean ok = sm.matches();
            if (ok && sm.group(1) != null) {
                ok = Long.parseLong(sm.group(1)) >= 1;
            }
            if (ok && sm.group(2) != null) {
                long pct = Long.parseLong(sm.group(2));
                ok = pct >= 1 && pct <= 100;
            }
            if (!ok) {
                throw invalid("Target '" + name + "' has selectionMode '" + mode
                        + "'; use ALL, COUNT(n) with n >= 1, or PERCENT(n) with n from 1 to 100");
            }
            out.put(name, t);
        }
        return out;
    }

    private void validateAction(String name, JsonNode a, Map<String, JsonNode> targets, JsonNode actions) {
        if (!NAME.matcher(name).matches()) {
            throw invalid("Action name '" + name + "' is invalid: use 1 to 64 characters without spaces");
        }
        String actionId = a.path("actionId").asText("");
        if (actionId.isEmpty()) {
            throw notNull("actions." + name + ".actionId");
        }
        if (!actionId.equals(SPOT_ACTION)) {
            throw invalid("Action '" + name + "': actionId '" + actionId + "' is not a supported action;"
                    + " the lab supports " + SPOT_ACTION);
        }
        if (a.path("description").asText("").length() > 512) {
            throw invalid("Action '" + name + "': description is longer than 512 characters");
        }
        JsonNode params = a.path("parameters");
        for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
            String p = it.next();
            if (!p.equals("durationBeforeInterruption")) {
                throw invalid("Action '" + name + "': unknown parameter '" + p + "' for " + SPOT_ACTION
                        + "; its only parameter is durationBeforeInterruption");
            }
        }
        String lead = params.path("durationBeforeInterruption").asText("");
        if (lead.isEmpty()) {
            throw invalid("Action '" + name + "': missing required parameter durationBeforeInterruption"
                    + " (an ISO-8601 duration from PT2M to PT15M)");
        }
        Duration d;
        try {
            d = Duration.parse(lead);
        } catch (DateTimeParseException e) {
            throw invalid("Action '" + name + "': durationBeforeInterruption '" + lead
                    + "' is not an ISO-8601 duration; write it like PT2M or PT135S");
        }
        if (d.compareTo(MIN_LEAD) < 0 || d.compareTo(MAX_LEAD) > 0) {
            throw invalid("Action '" + name + "': durationBeforeInterruption '" + lead
                    + "' is out of range; it must be from PT2M to PT15M");
        }
        JsonNode at = a.path("targets");
        if (!at.isObject() || !at.has("SpotInstances")) {
            throw invalid("Action '" + name + "': targets must map SpotInstances to a target name, e.g."
                    + " {\"SpotInstances\":\"spotTargets\"}");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = at.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("SpotInstances")) {
                throw invalid("Action '" + name + "': target key '" + e.getKey() + "' is invalid for " + SPOT_ACTION
                        + "; use SpotInstances");
            }
            if (!targets.containsKey(e.getValue().asText())) {
                throw invalid("Action '" + name + "' refers to target '"
                        + e.getValue().asText() + "', which is not defined in targets " + targets.keySet());
            }
        }
        for (JsonNode after : a.path("startAfter")) {
            if (!actions.has(after.asText()) || after.asText().equals(name)) {
                throw invalid("Action '" + name + "': startAfter '" + after.asText()
                        + "' is not another action of this template");
            }
        }
    }

    private void checkRole(String roleArn) {
        Matcher m = ROLE_ARN.matcher(roleArn);
        if (!m.matches()) {
            throw invalid("roleArn '" + roleArn + "' is not an IAM role ARN; write it like arn:aws:iam::"
                    + ctx.account() + ":role/<name>");
        }
        String why = null;
        if (!m.group(1).equals(ctx.account())) {
            why = "it belongs to account " + m.group(1) + ", not " + ctx.account();
        } else {
            IamApi.Role role = iam.role(m.group(2)).orElse(null);
            if (role == null || !role.arn(ctx.account()).equals(roleArn)) {
                why = "no such role exists";
            } else if (!role.trusts("fis.amazonaws.com")) {
                why = "its trust policy does not allow fis.amazonaws.com to assume it";
            } else if (ctx.now()
                            .isBefore(role.created.plus(
                                    ctx.faults.duration("iam.propagation-delay").orElse(IAM_PROPAGATION)))
                    || role.refusals.get()
                            < ctx.faults.number("iam.propagation-refusals").orElse(0)) {
                role.refusals.incrementAndGet();
                why = "it was created moments ago and IAM has not propagated it yet; retry in a few seconds";
            }
        }
        if (why != null) {
            throw invalid("The role " + roleArn + " cannot be assumed by fis.amazonaws.com: " + why);
        }
    }

    static void checkTags(JsonNode tags, String field) {
        if (tags.isMissingNode() || tags.isNull()) {
            return;
        }
        if (!tags.isObject()) {
            throw invalid(field + " must be a map of tag keys to values");
        }
        if (tags.size() > 50) {
            throw invalid(field + " has " + tags.size() + " tags; at most 50 are allowed");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = tags.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().isEmpty() || e.getKey().length() > 128) {
                throw invalid(field + ": tag key '" + e.getKey() + "' must have 1 to 128 characters");
            }
            if (e.getValue().asText().length() > 256) {
                throw invalid(field + ": the value of tag '" + e.getKey() + "' is longer than 256 characters");
            }
        }
    }
}
