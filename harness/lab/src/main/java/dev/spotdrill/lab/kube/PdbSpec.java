package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A PodDisruptionBudget (policy/v1) for a workload: exactly one of {@code minAvailable} or {@code
 * maxUnavailable}, each an integer ({@code "2"}) or a percentage ({@code "50%"}).
 *
 * @param minAvailable the minimum number of Ready pods that evictions must leave
 * @param maxUnavailable the maximum number of pods that may be unavailable after an eviction
 */
public record PdbSpec(Optional<String> minAvailable, Optional<String> maxUnavailable) {

    private static final Pattern INT_OR_PERCENT = Pattern.compile("\\d{1,9}%?");

    public PdbSpec {
        if (minAvailable.isPresent() == maxUnavailable.isPresent()) {
            throw new SpotDrillConfigurationException("pdb: give exactly one of minAvailable or maxUnavailable, got "
                    + (minAvailable.isPresent() ? "both" : "neither"));
        }
        minAvailable.ifPresent(v -> check("minAvailable", v));
        maxUnavailable.ifPresent(v -> check("maxUnavailable", v));
    }

    /** A budget that keeps at least {@code n} pods Ready. */
    public static PdbSpec minAvailable(int n) {
        return new PdbSpec(Optional.of(Integer.toString(n)), Optional.empty());
    }

    /** A budget that allows at most {@code n} pods to be unavailable. */
    public static PdbSpec maxUnavailable(int n) {
        return new PdbSpec(Optional.empty(), Optional.of(Integer.toString(n)));
    }

    private static void check(String field, String v) {
        if (!INT_OR_PERCENT.matcher(v).matches()) {
            throw new SpotDrillConfigurationException("pdb." + field + " '" + v
                    + "' is neither a non-negative integer nor a percentage; use e.g. 2 or \"50%\"");
        }
    }
}
