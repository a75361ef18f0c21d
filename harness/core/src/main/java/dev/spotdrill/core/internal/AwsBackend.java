package dev.spotdrill.core.internal;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The AWS calls a drill makes, in core's own types, so that SDK types stay in {@code dev.spotdrill.core.aws}.
 * Implemented over the SDK by {@code SdkAwsBackend}; unit tests mock it.
 */
public interface AwsBackend {

    /** One EC2 instance as DescribeInstances shows it. */
    record Instance(String id, String type, String zone, String lifecycle, String state, Map<String, String> tags) {
        public Instance {
            tags = Map.copyOf(tags);
        }

        public boolean spot() {
            return "spot".equals(lifecycle);
        }
    }

    /** DescribeInstances by id; an unknown id throws {@link UnknownInstancesException}. */
    List<Instance> describe(List<String> ids);

    /** DescribeInstances with tag filters and {@code instance-state-name=running}. */
    List<Instance> findRunningByTags(Map<String, String> tags);

    /** The account of the caller (sts:GetCallerIdentity). */
    String callerAccount();

    /** The ARN of the role {@code name}, creating it with the minimal FIS policy when missing. */
    String ensureFisRole(String name, Map<String, String> tags);

    /** Creates the template, retrying while IAM makes a fresh role visible; returns its id. */
    String createTemplate(TemplateRequest request);

    /** Starts an experiment; throws {@link QuotaExceededException} on 402. */
    ExperimentView startExperiment(String templateId, String clientToken, Map<String, String> tags);

    ExperimentView getExperiment(String id);

    /** StopExperiment; an experiment that already ended is not an error. */
    void stopExperiment(String id);

    /** DeleteExperimentTemplate; a template that is already gone is not an error. */
    void deleteTemplate(String id);

    /** Templates whose tags include the key, from ListExperimentTemplates. */
    List<Tagged> taggedTemplates(String tagKey);

    /** Experiments whose tags include the key, from ListExperiments. */
    List<Tagged> taggedExperiments(String tagKey);

    /** A template or experiment with its tags; {@code status} is empty for a template. */
    record Tagged(String id, String status, Map<String, String> tags) {
        public Tagged {
            tags = Map.copyOf(tags);
        }
    }

    /** A GetExperiment answer in core's words. */
    record ExperimentView(
            String id,
            String templateId,
            String status,
            String reason,
            String errorCode,
            String errorLocation,
            Optional<Instant> startTime,
            Optional<Instant> actionsStart,
            Optional<Instant> endTime,
            String json) {

        public boolean terminal() {
            return switch (status) {
                case "completed", "stopped", "failed", "cancelled" -> true;
                default -> false;
            };
        }

        public boolean failedOrCancelled() {
            return status.equals("failed") || status.equals("cancelled");
        }
    }

    /** Some instance ids do not exist. */
    final class UnknownInstancesException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UnknownInstancesException(String awsMessage) {
            super(awsMessage);
        }
    }

    /** FIS answered 402 ServiceQuotaExceededException. */
    final class QuotaExceededException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public QuotaExceededException(String awsMessage) {
            super(awsMessage);
        }
    }
}
