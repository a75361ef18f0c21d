package dev.spotdrill.lab.kube;

import java.util.Objects;

/**
 * One named fault of a lab component, for the lab's fault catalog.
 *
 * @param name the full name, for example {@code terminationHandler.drain-delay}
 * @param description what the fault does, in one sentence
 * @param takesValue whether it is given as {@code name=value}
 * @param valueExample an example value, empty when it takes none
 */
public record FaultInfo(String name, String description, boolean takesValue, String valueExample) {

    public FaultInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        valueExample = valueExample == null ? "" : valueExample;
    }
}
