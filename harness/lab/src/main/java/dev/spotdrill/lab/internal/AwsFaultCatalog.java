package dev.spotdrill.lab.internal;

import dev.spotdrill.lab.FaultCatalog;
import dev.spotdrill.lab.FaultDefinition;
import dev.spotdrill.lab.FaultDefinition.ValueKind;
import java.util.List;

/** The faults of the lab's AWS side: IMDS, FIS, IAM, EC2, EventBridge and SQS. Found through {@code META-INF/services}. */
public final class AwsFaultCatalog implements FaultCatalog {

    @Override
    public List<FaultDefinition> faults() {
        return List.of(
                new FaultDefinition(
                        "imds", "no-notice", ValueKind.NONE, "IMDS never shows the spot instance-action notice"),
                new FaultDefinition(
                        "imds", "no-rebalance", ValueKind.NONE, "IMDS never shows the rebalance recommendation"),
                new FaultDefinition(
                        "imds",
                        "notice-delay",
                        ValueKind.DURATION,
                        "IMDS shows the instance-action notice this much world time late"),
                new FaultDefinition(
                        "imds",
                        "token-ttl",
                        ValueKind.POSITIVE,
                        "IMDS tokens live at most this many world seconds, whatever TTL was asked"),
                new FaultDefinition(
                        "fis", "fail-experiment", ValueKind.NONE, "experiments end failed shortly after running"),
                new FaultDefinition(
                        "fis", "cancel-experiment", ValueKind.NONE, "experiments end cancelled shortly after running"),
                new FaultDefinition(
                        "fis",
                        "throttle",
                        ValueKind.POSITIVE,
                        "the next n FIS requests answer 429 ThrottlingException"),
                new FaultDefinition("fis", "quota", ValueKind.COUNT, "limit of active experiments, instead of AWS's 5"),
                new FaultDefinition(
                        "fis",
                        "deny-stop",
                        ValueKind.NONE,
                        "StopExperiment answers 403 AccessDeniedException, as for a caller without"
                                + " fis:StopExperiment"),
                new FaultDefinition(
                        "iam",
                        "propagation-delay",
                        ValueKind.DURATION,
                        "FIS refuses a new IAM role for this long (world time) after it was created; default PT5S"),
                new FaultDefinition(
                        "iam",
                        "propagation-refusals",
                        ValueKind.POSITIVE,
                        "FIS refuses each role created in the lab this many times before it accepts it (IAM"
                                + " propagation, counted instead of timed)"),
                new FaultDefinition(
                        "ec2", "no-termination", ValueKind.NONE, "interrupted instances never shut down or terminate"),
                new FaultDefinition(
                        "events",
                        "no-warning",
                        ValueKind.NONE,
                        "EventBridge never carries the EC2 Spot Instance Interruption Warning"),
                new FaultDefinition(
                        "events",
                        "no-rebalance",
                        ValueKind.NONE,
                        "EventBridge never carries the EC2 Instance Rebalance Recommendation"),
                new FaultDefinition(
                        "events",
                        "delay",
                        ValueKind.DURATION,
                        "EventBridge delivers every event this much world time late"),
                new FaultDefinition(
                        "events",
                        "duplicate",
                        ValueKind.NONE,
                        "EventBridge delivers every event twice, with the same id (at-least-once delivery)"),
                new FaultDefinition(
                        "sqs",
                        "throttle",
                        ValueKind.POSITIVE,
                        "the next n SQS requests answer 400 RequestThrottled (SDKs retry it)"));
    }
}
