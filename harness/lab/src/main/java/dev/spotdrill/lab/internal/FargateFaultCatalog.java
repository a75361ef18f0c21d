package dev.spotdrill.lab.internal;

import dev.spotdrill.lab.FaultCatalog;
import dev.spotdrill.lab.FaultDefinition;
import dev.spotdrill.lab.FaultDefinition.ValueKind;
import dev.spotdrill.lab.kube.FargateFaults;
import dev.spotdrill.lab.kube.FaultInfo;
import java.util.List;
import java.util.Set;

/**
 * The faults of the lab's Fargate ({@code fargate.*}) and of its reference Spot→Fargate orchestrator
 * ({@code fargateOrchestrator.*}). Found through {@code META-INF/services}; the lab checks their values with
 * {@link FargateFaults#validate}.
 */
public final class FargateFaultCatalog implements FaultCatalog {
    private static final Set<String> DURATIONS = Set.of(FargateFaults.STARTUP_DELAY, FargateFaults.SLOW);

    @Override
    public List<FaultDefinition> faults() {
        return FargateFaults.ALL.stream().map(FargateFaultCatalog::definition).toList();
    }

    private static FaultDefinition definition(FaultInfo f) {
        int dot = f.name().indexOf('.');
        ValueKind kind =
                !f.takesValue() ? ValueKind.NONE : DURATIONS.contains(f.name()) ? ValueKind.DURATION : ValueKind.TEXT;
        return new FaultDefinition(f.name().substring(0, dot), f.name().substring(dot + 1), kind, f.description());
    }
}
