package dev.spotdrill.lab.internal;

import dev.spotdrill.lab.FaultCatalog;
import dev.spotdrill.lab.FaultDefinition;
import dev.spotdrill.lab.FaultDefinition.ValueKind;
import dev.spotdrill.lab.kube.FaultInfo;
import dev.spotdrill.lab.kube.SpotBlacklisterFaults;
import java.util.ArrayList;
import java.util.List;

/**
 * The faults of the lab's CAST AI API ({@code castai.*}) and of its reference Spot blacklister
 * ({@code spotBlacklister.*}). Found through {@code META-INF/services}.
 */
public final class BlacklistFaultCatalog implements FaultCatalog {

    @Override
    public List<FaultDefinition> faults() {
        List<FaultDefinition> out = new ArrayList<>(List.of(
                new FaultDefinition(
                        "castai",
                        "unauthorized",
                        ValueKind.NONE,
                        "CAST AI answers 401 to every call, as for a revoked API key"),
                new FaultDefinition(
                        "castai",
                        "throttle",
                        ValueKind.POSITIVE,
                        "the next n CAST AI calls answer 429 Too Many Requests"),
                new FaultDefinition(
                        "castai",
                        "unavailable",
                        ValueKind.POSITIVE,
                        "the next n CAST AI calls answer 503 Service Unavailable")));
        for (FaultInfo f : SpotBlacklisterFaults.ALL) {
            String fault = f.name().substring(SpotBlacklisterFaults.PREFIX.length());
            ValueKind kind = !f.takesValue()
                    ? ValueKind.NONE
                    : f.name().equals(SpotBlacklisterFaults.STOP_AFTER) ? ValueKind.POSITIVE : ValueKind.TEXT;
            out.add(new FaultDefinition("spotBlacklister", fault, kind, f.description()));
        }
        return out;
    }
}
