package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;

/**
 * The FIS action catalog the lab serves to {@code ListActions} and {@code GetAction}: the one action it runs,
 * {@value FisApi#SPOT_ACTION}, with its parameter and target, in the shapes of the FIS API.
 */
final class FisActions {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final String TARGET_KEY = "SpotInstances";
    static final String PARAMETER = "durationBeforeInterruption";

    private FisActions() {}

    /** The action ids, in the order ListActions returns them. */
    static List<String> ids() {
        return List.of(FisApi.SPOT_ACTION);
    }

    /** The ActionSummary of ListActions (no parameters). */
    static ObjectNode summary(String id, String region) {
        ObjectNode o = NODES.objectNode();
        o.put("id", id);
        o.put("arn", arn(id, region));
        o.put(
                "description",
                "Send a Spot Instance interruption notice to the target Spot Instances, then interrupt"
                        + " them after the given duration. The rebalance recommendation comes at once, the"
                        + " instance-action notice two minutes before the interruption.");
        o.putObject("targets").putObject(TARGET_KEY).put("resourceType", FisApi.SPOT_TYPE);
        o.putObject("tags");
        return o;
    }

    /** The Action of GetAction, empty for an id the lab does not run. */
    static Optional<ObjectNode> action(String id, String region) {
        if (!ids().contains(id)) {
            return Optional.empty();
        }
        ObjectNode o = summary(id, region);
        ObjectNode p = NODES.objectNode();
        p.putObject(PARAMETER)
                .put(
                        "description",
                        "The time to wait before interrupting the instance, as an ISO 8601 duration from PT2M to"
                                + " PT15M (for example PT2M or PT135S).")
                .put("required", true);
        ObjectNode ordered = NODES.objectNode();
        ordered.set("id", o.get("id"));
        ordered.set("arn", o.get("arn"));
        ordered.set("description", o.get("description"));
        ordered.set("parameters", p);
        ordered.set("targets", o.get("targets"));
        ordered.set("tags", o.get("tags"));
        return Optional.of(ordered);
    }

    static String arn(String id, String region) {
        return "arn:aws:fis:" + region + "::action/" + id;
    }
}
