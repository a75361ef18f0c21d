package dev.spotdrill.lab;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A read-only view of one lab EC2 instance at one moment.
 *
 * @param id the instance id
 * @param type the instance type
 * @param zone the availability zone
 * @param lifecycle {@code spot} or {@code on-demand}
 * @param state the EC2 state name: {@code running}, {@code shutting-down}, {@code terminated},
 *     {@code stopping} or {@code stopped}
 * @param tags the EC2 tags
 * @param nodeName the Kubernetes node it backs, if any
 * @param nodeLabels that node's labels from the scenario (empty without a node)
 * @param launchTime when it was launched, in world time
 * @param rebalanceTime when the rebalance recommendation became available in IMDS (before IMDS faults)
 * @param noticeTime when the instance-action notice became available in IMDS (before IMDS faults)
 * @param interruptionTime the interruption time of a pending or past interruption: the notice's {@code time}
 * @param replacedBy the id of the instance that replaced it after termination, if any
 */
public record LabInstance(
        String id,
        String type,
        String zone,
        String lifecycle,
        String state,
        Map<String, String> tags,
        Optional<String> nodeName,
        Map<String, String> nodeLabels,
        Instant launchTime,
        Optional<Instant> rebalanceTime,
        Optional<Instant> noticeTime,
        Optional<Instant> interruptionTime,
        Optional<String> replacedBy) {

    public LabInstance {
        Objects.requireNonNull(id, "id");
        tags = Map.copyOf(tags);
        nodeLabels = Map.copyOf(nodeLabels);
    }

    /** Whether this is a Spot instance. */
    public boolean spot() {
        return lifecycle.equals("spot");
    }

    /** The instance ARN in the given region and account. */
    public String arn(String region, String account) {
        return "arn:aws:ec2:" + region + ":" + account + ":instance/" + id;
    }
}
