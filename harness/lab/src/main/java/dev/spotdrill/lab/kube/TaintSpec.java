package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.Objects;
import java.util.Set;

/**
 * A node taint as a scenario declares it.
 *
 * @param key the taint key, never blank
 * @param value the taint value; empty when none
 * @param effect {@code NoSchedule}, {@code PreferNoSchedule} or {@code NoExecute}
 */
public record TaintSpec(String key, String value, String effect) {

    static final Set<String> EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");

    public TaintSpec {
        if (key == null || key.isBlank()) {
            throw new SpotDrillConfigurationException("taint key is blank; give a key such as 'dedicated'");
        }
        value = value == null ? "" : value;
        checkEffect(effect, "taint " + key);
    }

    static String checkEffect(String effect, String where) {
        if (!EFFECTS.contains(effect)) {
            throw new SpotDrillConfigurationException(where + ": effect '" + effect
                    + "' is not a taint effect; use one of NoSchedule, PreferNoSchedule, NoExecute");
        }
        return effect;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaintSpec t && key.equals(t.key) && value.equals(t.value) && effect.equals(t.effect);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, value, effect);
    }
}
