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

    // ------------------------------------------------------------------ region

    /** The ids of the actions FIS offers in the world's region (ListActions, every page). */
    List<String> fisActionIds();

    // ------------------------------------------------------------------ claims: EC2 tags on instances

    /** Every tag of the given instances (DescribeTags filtered by resource id), instance id to its tags. */
    Map<String, Map<String, String>> instanceTags(List<String> ids);

    /** Every instance tag whose key starts with the prefix, across the account (DescribeTags, every page). */
    List<InstanceTag> instanceTagsWithPrefix(String keyPrefix);

    /** CreateTags: writes (or overwrites) the tags on every instance. */
    void createTags(List<String> ids, Map<String, String> tags);

    /** DeleteTags: removes the keys from every instance, whatever their values; a key that is absent is no error. */
    void deleteTags(List<String> ids, List<String> keys);

    /** One tag of one instance. */
    record InstanceTag(String instanceId, String key, String value) {}

    /**
     * The instance ids an experiment targets: its resolved targets (ListExperimentResolvedTargets) and the instance
     * ARNs its targets name (GetExperiment), so that one not yet resolved counts too.
     */
    List<String> experimentTargets(String experimentId);

    // ------------------------------------------------------------------ the FIS role

    /** The role, or empty when IAM has no role of that name. */
    Optional<Role> role(String name);

    /**
     * CreateRole with the trust policy, description and tags; returns the role.
     *
     * @throws RoleExistsException when another caller created it first (EntityAlreadyExists)
     */
    Role createRole(String name, String trustPolicy, String description, Map<String, String> tags);

    /** PutRolePolicy: the role's inline policy of that name. */
    void putRolePolicy(String roleName, String policyName, String document);

    /** GetRolePolicy: the inline policy's document, or empty when the role has none of that name. */
    Optional<String> rolePolicy(String roleName, String policyName);

    /**
     * SimulatePrincipalPolicy: what IAM decides for the role calling the action on the resource with the context
     * entries (for example {@code aws:ResourceTag/spotdrill/allowed=true}).
     *
     * @throws AccessDeniedException when the caller may not simulate (no {@code iam:SimulatePrincipalPolicy})
     */
    Simulation simulate(String roleArn, String action, String resourceArn, Map<String, String> context);

    /** An IAM role: its name, ARN, trust policy document (decoded JSON) and tags. */
    record Role(String name, String arn, String trustPolicy, Map<String, String> tags) {
        public Role {
            tags = Map.copyOf(tags);
        }
    }

    /**
     * IAM's decision: {@code allowed}, {@code implicitDeny} or {@code explicitDeny}, and the context keys the policy
     * needed and the request lacked.
     */
    record Simulation(String decision, List<String> missingContext) {
        public Simulation {
            missingContext = List.copyOf(missingContext);
        }

        public boolean allowed() {
            return "allowed".equals(decision);
        }
    }

    /** Another caller created the role first. */
    final class RoleExistsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public RoleExistsException(String awsMessage) {
            super(awsMessage);
        }
    }

    /** AWS refused a call for lack of permission; the message is AWS's. */
    final class AccessDeniedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public AccessDeniedException(String awsMessage) {
            super(awsMessage);
        }
    }

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
