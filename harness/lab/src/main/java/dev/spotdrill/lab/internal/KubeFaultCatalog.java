package dev.spotdrill.lab.internal;

import dev.spotdrill.lab.FaultCatalog;
import dev.spotdrill.lab.FaultDefinition;
import dev.spotdrill.lab.FaultDefinition.ValueKind;
import dev.spotdrill.lab.kube.FaultInfo;
import dev.spotdrill.lab.kube.TerminationHandlerFaults;
import java.util.List;

/**
 * The faults of the lab's Kubernetes side: the reference termination handler's ({@code terminationHandler.*}).
 * Found through {@code META-INF/services}; the lab checks their values with {@link TerminationHandlerFaults#validate}.
 */
public final class KubeFaultCatalog implements FaultCatalog {

    @Override
    public List<FaultDefinition> faults() {
        return TerminationHandlerFaults.ALL.stream()
                .map(KubeFaultCatalog::definition)
                .toList();
    }

    private static FaultDefinition definition(FaultInfo f) {
        String fault = f.name().substring(TerminationHandlerFaults.PREFIX.length());
        ValueKind kind = !f.takesValue()
                ? ValueKind.NONE
                : f.name().equals(TerminationHandlerFaults.DRAIN_DELAY) ? ValueKind.DURATION : ValueKind.TEXT;
        return new FaultDefinition("terminationHandler", fault, kind, f.description());
    }
}
