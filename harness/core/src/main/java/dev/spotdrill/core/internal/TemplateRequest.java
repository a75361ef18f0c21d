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
 */
public record TemplateRequest(
        String clientToken,
        String description,
        String roleArn,
        List<String> instanceArns,
        Duration leadTime,
        Optional<String> stopAlarmArn,
        Map<String, String> tags) {

    /** FIS takes at most 5 instances per target of this action. */
    public static final int PER_ACTION = 5;

    public static final String ACTION_ID = "aws:ec2:send-spot-instance-interruptions";

    public TemplateRequest {
        instanceArns = List.copyOf(instanceArns);
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
        List<List<String>> groups = groups();
        for (int g = 0; g < groups.size(); g++) {
            ObjectNode t = targets.putObject(targetName(g));
            t.put("resourceType", "aws:ec2:spot-instance");
            ArrayNode arns = t.putArray("resourceArns");
            groups.get(g).forEach(arns::add);
            t.put("selectionMode", "ALL");
            ObjectNode a = actions.putObject(actionName(g));
            a.put("actionId", ACTION_ID);
            a.put("description", "Interrupt " + groups.get(g).size() + " Spot instance(s)");
            a.putObject("parameters").put("durationBeforeInterruption", durationParameter());
            a.putObject("targets").put("SpotInstances", targetName(g));
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
