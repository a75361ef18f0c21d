package dev.spotdrill.core.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A Deployment as the Fargate source ({@value FargateObservations#SOURCE}) saw it at one moment: its annotations,
 * pod template, rollout counts, and each of its pods with the node it runs on and that node's labels. Every
 * observation of that source carries one, so that an expectation can judge any moment of the timeline.
 *
 * @param deployment {@code namespace/name}
 * @param exists false once the Deployment is deleted
 * @param generation {@code metadata.generation}
 * @param observedGeneration {@code status.observedGeneration}
 * @param desired {@code spec.replicas}
 * @param replicas {@code status.replicas}: pods of every revision
 * @param updated {@code status.updatedReplicas}
 * @param available {@code status.availableReplicas}
 * @param annotations the Deployment's annotations
 * @param templateLabels the pod template's labels
 * @param nodeSelector the pod template's nodeSelector
 * @param pods its pods (not being deleted), by name
 */
public record DeploymentSnapshot(
        String deployment,
        boolean exists,
        long generation,
        long observedGeneration,
        int desired,
        int replicas,
        int updated,
        int available,
        Map<String, String> annotations,
        Map<String, String> templateLabels,
        Map<String, String> nodeSelector,
        List<PodState> pods) {

    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public DeploymentSnapshot {
        Objects.requireNonNull(deployment, "deployment");
        annotations = annotations == null ? Map.of() : new TreeMap<>(annotations);
        templateLabels = templateLabels == null ? Map.of() : new TreeMap<>(templateLabels);
        nodeSelector = nodeSelector == null ? Map.of() : new TreeMap<>(nodeSelector);
        pods = pods == null ? List.of() : List.copyOf(pods);
    }

    /**
     * Whether the rollout is complete, as {@code kubectl rollout status} judges it: the newest generation observed,
     * every replica updated, no pod of an older revision left, every updated pod available.
     */
    public boolean rolloutComplete() {
        return exists
                && observedGeneration >= generation
                && updated >= desired
                && replicas == updated
                && available >= updated;
    }

    /** The rollout counts, for messages: {@code generation 2 (observed 2): 2 desired, 2 updated, 2 available, 4 pods}. */
    public String rollout() {
        if (!exists) {
            return "Deployment deleted";
        }
        return "generation " + generation + " (observed " + observedGeneration + "): " + desired + " desired, "
                + updated + " updated, " + available + " available, " + replicas + " pods";
    }

    /** An annotation's value, or empty. */
    public Optional<String> annotation(String key) {
        return Optional.ofNullable(annotations.get(key));
    }

    /** As JSON, for an observation's data. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Deployment snapshot did not serialize", e);
        }
    }

    /** Read back from {@link #toJson()}. */
    public static DeploymentSnapshot fromJson(String json) {
        try {
            return JSON.readValue(json, DeploymentSnapshot.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a Deployment snapshot: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * One pod of the Deployment.
     *
     * @param name the pod's name
     * @param node the node it is bound to, or {@code null} while Pending
     * @param phase {@code status.phase}
     * @param ready whether its Ready condition is True
     * @param scheduler {@code spec.schedulerName}, e.g. {@code fargate-scheduler}
     * @param scheduling why it is not scheduled: the PodScheduled condition's reason and message, or empty
     * @param nodeLabels the watched labels of its node, once the node was seen
     * @param nodeSeen whether its node was seen (its labels are known)
     */
    public record PodState(
            String name,
            String node,
            String phase,
            boolean ready,
            String scheduler,
            String scheduling,
            Map<String, String> nodeLabels,
            boolean nodeSeen) {
        public PodState {
            Objects.requireNonNull(name, "name");
            phase = phase == null ? "" : phase;
            scheduler = scheduler == null ? "" : scheduler;
            scheduling = scheduling == null ? "" : scheduling;
            nodeLabels = nodeLabels == null ? Map.of() : new TreeMap<>(nodeLabels);
        }

        /** Whether it waits for a node. */
        public boolean pending() {
            return node == null;
        }

        /** Whether its node carries the label {@code key=value}; false while the node is unseen. */
        public boolean onNodeLabelled(String key, String value) {
            return nodeSeen && value.equals(nodeLabels.get(key));
        }
    }
}
