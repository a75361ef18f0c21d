package dev.spotdrill.core.drill;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One Spot instance that a drill interrupts, resolved before any mutating call.
 *
 * @param instanceId the EC2 instance id, {@code i-...}
 * @param instanceType the instance type, for example {@code m5.large}
 * @param availabilityZone the zone, for example {@code us-east-1a}
 * @param nodeName the Kubernetes node the instance backs, or {@code null}
 * @param tags the instance's EC2 tags
 */
public record Target(
        String instanceId, String instanceType, String availabilityZone, String nodeName, Map<String, String> tags) {

    public Target {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(instanceType, "instanceType");
        Objects.requireNonNull(availabilityZone, "availabilityZone");
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    private static final Target DRILL = new Target("", "", "", null, Map.of());

    /**
     * The stand-in target of a drill-level verdict (an expectation that is not {@linkplain Expectation#perTarget()
     * per target}): its instance id is empty, as the target id of a drill-level {@link Observation} is.
     */
    public static Target drill() {
        return DRILL;
    }

    /** Whether this is {@link #drill()}, the stand-in of a drill-level verdict. */
    public boolean isDrill() {
        return instanceId.isEmpty();
    }

    /** The Kubernetes node that this instance backs, when it backs one. */
    public Optional<String> node() {
        return Optional.ofNullable(nodeName);
    }

    /** This target, with the node it backs. */
    public Target withNode(String node) {
        return new Target(instanceId, instanceType, availabilityZone, node, tags);
    }

    /** A short label for messages: {@code i-0abc (m5.large, us-east-1a, node ip-10-0-1-1)}. */
    public String describe() {
        if (isDrill()) {
            return "the drill";
        }
        return instanceId + " (" + instanceType + ", " + availabilityZone
                + (nodeName == null ? "" : ", node " + nodeName) + ")";
    }
}
