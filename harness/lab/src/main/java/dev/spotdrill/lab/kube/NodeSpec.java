package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A node of the lab cluster, backed by one EC2 instance.
 *
 * @param name the node name, for example {@code ip-10-0-1-11.ec2.internal}
 * @param instanceId the EC2 instance id, which goes into {@code spec.providerID}
 * @param zone the availability zone, for example {@code us-east-1a}
 * @param instanceType the EC2 instance type, for example {@code m5.large}
 * @param capacityType Spot or on-demand
 * @param labels custom labels, added to the well-known ones
 * @param taints taints the node starts with
 */
public record NodeSpec(
        String name,
        String instanceId,
        String zone,
        String instanceType,
        CapacityType capacityType,
        Map<String, String> labels,
        List<TaintSpec> taints) {

    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
    private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    public NodeSpec {
        if (name == null || !DNS_NAME.matcher(name).matches()) {
            throw new SpotDrillConfigurationException("node name '" + name
                    + "' is not a DNS subdomain; use lower-case letters, digits, '-' and '.', e.g."
                    + " ip-10-0-1-11.ec2.internal");
        }
        if (instanceId == null || !INSTANCE_ID.matcher(instanceId).matches()) {
            throw new SpotDrillConfigurationException("node " + name + ": instance id '" + instanceId
                    + "' is not an EC2 instance id; use i- followed by 8 or 17 hex digits");
        }
        if (zone == null || zone.isBlank()) {
            throw new SpotDrillConfigurationException("node " + name + ": zone is blank; give e.g. us-east-1a");
        }
        if (instanceType == null || instanceType.isBlank()) {
            throw new SpotDrillConfigurationException("node " + name + ": instance type is blank; give e.g. m5.large");
        }
        if (capacityType == null) {
            throw new SpotDrillConfigurationException(
                    "node " + name + ": capacity type is missing; give SPOT or ON_DEMAND");
        }
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        taints = taints == null ? List.of() : List.copyOf(taints);
    }

    /** A node with no custom labels or taints. */
    public static NodeSpec of(
            String name, String instanceId, String zone, String instanceType, CapacityType capacityType) {
        return new NodeSpec(name, instanceId, zone, instanceType, capacityType, Map.of(), List.of());
    }

    /** This node with the given custom labels. */
    public NodeSpec withLabels(Map<String, String> newLabels) {
        return new NodeSpec(name, instanceId, zone, instanceType, capacityType, newLabels, taints);
    }

    /** This node with the given taints. */
    public NodeSpec withTaints(List<TaintSpec> newTaints) {
        return new NodeSpec(name, instanceId, zone, instanceType, capacityType, labels, newTaints);
    }

    /** The {@code spec.providerID} of this node: {@code aws:///<zone>/<instanceId>}. */
    public String providerId() {
        return "aws:///" + zone + "/" + instanceId;
    }
}
