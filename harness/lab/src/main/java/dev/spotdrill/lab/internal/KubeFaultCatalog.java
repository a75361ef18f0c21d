package dev.spotdrill.lab.internal;

import dev.spotdrill.lab.FaultCatalog;
import dev.spotdrill.lab.FaultDefinition;
import dev.spotdrill.lab.FaultDefinition.ValueKind;
import dev.spotdrill.lab.FaultDefinition.ValueRule;
import dev.spotdrill.lab.kube.AccessReviews;
import dev.spotdrill.lab.kube.FaultInfo;
import dev.spotdrill.lab.kube.LabCluster;
import dev.spotdrill.lab.kube.TerminationHandlerFaults;
import java.util.ArrayList;
import java.util.List;

/**
 * The faults of the lab's Kubernetes side: the reference termination handler's ({@code terminationHandler.*}) and
 * the cluster's ({@code cluster.*}). Found through {@code META-INF/services}; each value is checked when the fault is
 * set (a taint effect must be one Kubernetes knows, a taint key must be one it accepts).
 */
public final class KubeFaultCatalog implements FaultCatalog {

    @Override
    public List<FaultDefinition> faults() {
        List<FaultDefinition> out = new ArrayList<>();
        TerminationHandlerFaults.ALL.forEach(f -> out.add(definition(f)));
        out.add(new FaultDefinition(
                "cluster",
                LabCluster.KEEP_DEAD_NODES.substring("cluster.".length()),
                ValueKind.NONE,
                "the node of a terminated instance stays, NotReady, and is never deleted (its pods still go), as"
                        + " when no cloud controller removes it"));
        out.add(new FaultDefinition(
                "kube",
                AccessReviews.RBAC_DENY.substring("kube.".length()),
                ValueKind.TEXT,
                "SelfSubjectAccessReviews answer not allowed for these resources and verbs (resource[.group]"
                        + "[/subresource]:verb joined with +), as for a kube context without those RBAC rules",
                ValueRule.of("pods/log:get+deployments.apps:patch", AccessReviews::problem)));
        return List.copyOf(out);
    }

    private static FaultDefinition definition(FaultInfo f) {
        String fault = f.name().substring(TerminationHandlerFaults.PREFIX.length());
        ValueKind kind = !f.takesValue()
                ? ValueKind.NONE
                : f.name().equals(TerminationHandlerFaults.DRAIN_DELAY) ? ValueKind.DURATION : ValueKind.TEXT;
        ValueRule rule = ValueRule.ANY;
        if (f.name().equals(TerminationHandlerFaults.TAINT_EFFECT)) {
            rule = ValueRule.oneOf(TerminationHandlerFaults.TAINT_EFFECTS);
        } else if (f.name().equals(TerminationHandlerFaults.TAINT_KEY)) {
            rule = ValueRule.of("taint key, e.g. example.com/wrong", TerminationHandlerFaults::taintKeyProblem);
        }
        return new FaultDefinition("terminationHandler", fault, kind, f.description(), rule);
    }
}
