package dev.spotdrill.core.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A one-off FIS experiment template for a drill: one {@code aws:ec2:send-spot-instance-interruptions} action per
 * 5 instances, with explicit instance ARNs.
 *
 * @param clientToken idempotency token
 * @param description the template description (at most 512 characters)
 * @param roleArn the FIS role
 * @param instanceArns every target's ARN, in order
 * @param leadTime {@code durationBeforeInterruption}
 * @param stopAlarmArn a CloudWatch alarm stop condition, or empty for {@code none}
 * @param tags tags for the template
 * @param explicitActions the actions of a coalesced template (one or more per drill, each with its own target and
 *     lead time); empty for one drill's template, whose actions come from {@link #groups()}
 */
public record TemplateRequest(
        String clientToken,
        String description,
        String roleArn,
        List<String> instanceArns,
        Duration leadTime,
        Optional<String> stopAlarmArn,
        Map<String, String> tags,
        List<Action> explicitActions) {

    /** FIS takes at most 5 instances per target of this action. */
    public static final int PER_ACTION = 5;

    public static final String ACTION_ID = "aws:ec2:send-spot-instance-interruptions";

    /** One action of the template and the one target it interrupts (at most 5 instance ARNs). */
    public record Action(String name, String target, List<String> arns, Duration leadTime) {
        public Action {
            arns = List.copyOf(arns);
            if (arns.isEmpty() || arns.size() > PER_ACTION) {
                throw new IllegalArgumentException(
                        "action " + name + " has " + arns.size() + " instance ARNs; a target takes 1 to " + PER_ACTION);
            }
        }

        /** {@code durationBeforeInterruption}, in whole seconds: {@code PT120S}. */
        public String durationParameter() {
            return "PT" + leadTime.toSeconds() + "S";
        }
    }

    /** One drill's template: one action and target per 5 instances, all with the same lead time. */
    public TemplateRequest(
            String clientToken,
            String description,
            String roleArn,
            List<String> instanceArns,
            Duration leadTime,
            Optional<String> stopAlarmArn,
            Map<String, String> tags) {
        this(clientToken, description, roleArn, instanceArns, leadTime, stopAlarmArn, tags, List.of());
    }

    /** A coalesced template: the given actions, each with its own target and lead time. */
    public static TemplateRequest coalesced(
            String clientToken,
            String description,
            String roleArn,
            List<Action> actions,
            Optional<String> stopAlarmArn,
            Map<String, String> tags) {
        if (actions.isEmpty()) {
            throw new IllegalArgumentException("a coalesced template needs at least one action");
        }
        List<String> arns = actions.stream().flatMap(a -> a.arns().stream()).toList();
        return new TemplateRequest(
                clientToken, description, roleArn, arns, actions.get(0).leadTime(), stopAlarmArn, tags, actions);
    }

    public TemplateRequest {
        instanceArns = List.copyOf(instanceArns);
        explicitActions = List.copyOf(explicitActions);
        tags = Map.copyOf(tags);
        if (description.length() > 512) {
            description = description.substring(0, 512);
        }
    }

    /** The instance ARNs in groups of at most 5: one target and one action per group. */
    public List<List<String>> groups() {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < instanceArns.size(); i += PER_ACTION) {
            out.add(instanceArns.subList(i, Math.min(instanceArns.size(), i + PER_ACTION)));
        }
        return out;
    }

    /** The template's actions, in order: the explicit ones, else one per group of 5 instances. */
    public List<Action> actions() {
        if (!explicitActions.isEmpty()) {
            return explicitActions;
        }
        List<Action> out = new ArrayList<>();
        List<List<String>> groups = groups();
        for (int g = 0; g < groups.size(); g++) {
            out.add(new Action(actionName(g), targetName(g), groups.get(g), leadTime));
        }
        return out;
    }

    /** {@code durationBeforeInterruption}, in whole seconds: {@code PT120S}. */
    public String durationParameter() {
        return "PT" + leadTime.toSeconds() + "S";
    }

    public static String targetName(int group) {
        return "spot-instances-" + (group + 1);
    }

    public static String actionName(int group) {
        return "interrupt-" + (group + 1);
    }

    /** The template as FIS's JSON body (without the client token), for reports. */
    public String json() {
        return json(a -> true);
    }

    /**
     * The template's JSON with only the actions {@code include} accepts and their targets: one drill's part of a
     * coalesced template, for its report.
     */
    public String json(java.util.function.Predicate<Action> include) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("description", description);
        root.put("roleArn", roleArn);
        ArrayNode stops = root.putArray("stopConditions");
        ObjectNode stop = stops.addObject();
        if (stopAlarmArn.isPresent()) {
            stop.put("source", "aws:cloudwatch:alarm");
            stop.put("value", stopAlarmArn.get());
        } else {
            stop.put("source", "none");
        }
        ObjectNode targets = root.putObject("targets");
        ObjectNode actions = root.putObject("actions");
        for (Action act : actions()) {
            if (!include.test(act)) {
                continue;
            }
            ObjectNode t = targets.putObject(act.target());
            t.put("resourceType", "aws:ec2:spot-instance");
            ArrayNode arns = t.putArray("resourceArns");
            act.arns().forEach(arns::add);
            t.put("selectionMode", "ALL");
            ObjectNode a = actions.putObject(act.name());
            a.put("actionId", ACTION_ID);
            a.put("description", "Interrupt " + act.arns().size() + " Spot instance(s)");
            a.putObject("parameters").put("durationBeforeInterruption", act.durationParameter());
            a.putObject("targets").put("SpotInstances", act.target());
        }
        Map<String, String> sorted = new LinkedHashMap<>(new java.util.TreeMap<>(tags));
        ObjectNode tagNode = root.putObject("tags");
        sorted.forEach(tagNode::put);
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
