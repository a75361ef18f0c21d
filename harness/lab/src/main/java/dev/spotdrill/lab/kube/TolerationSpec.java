package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;

/**
 * A pod toleration as a scenario declares it, with Kubernetes' matching rules.
 *
 * @param key the taint key to tolerate; empty with operator {@code Exists} tolerates every taint
 * @param operator {@code Equal} (default) or {@code Exists}
 * @param value the value that must match with {@code Equal}
 * @param effect the effect to tolerate; empty tolerates every effect
 */
public record TolerationSpec(String key, String operator, String value, String effect) {

    public TolerationSpec {
        key = key == null ? "" : key;
        operator = operator == null || operator.isBlank() ? "Equal" : operator;
        value = value == null ? "" : value;
        effect = effect == null ? "" : effect;
        if (!operator.equals("Equal") && !operator.equals("Exists")) {
            throw new SpotDrillConfigurationException(
                    "toleration operator '" + operator + "' is unknown; use 'Equal' or 'Exists'");
        }
        if (key.isEmpty() && operator.equals("Equal")) {
            throw new SpotDrillConfigurationException(
                    "toleration with an empty key needs operator 'Exists' (it then tolerates every taint)");
        }
        if (!effect.isEmpty()) {
            TaintSpec.checkEffect(effect, "toleration " + key);
        }
    }

    /** A toleration of every taint, as DaemonSet pods carry. */
    public static TolerationSpec everything() {
        return new TolerationSpec("", "Exists", "", "");
    }
}
