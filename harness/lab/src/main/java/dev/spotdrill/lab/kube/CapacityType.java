package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.Locale;

/** How a node's EC2 instance is bought: the value of the node label {@code eks.amazonaws.com/capacityType}. */
public enum CapacityType {
    SPOT,
    ON_DEMAND;

    /**
     * Reads a scenario's {@code lifecycle} value: {@code spot}, {@code on-demand} (also {@code on_demand},
     * {@code ondemand}, {@code normal}), case-insensitive.
     *
     * @throws SpotDrillConfigurationException for any other value
     */
    public static CapacityType parse(String lifecycle) {
        String v = lifecycle == null ? "" : lifecycle.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "spot":
                return SPOT;
            case "on-demand":
            case "on_demand":
            case "ondemand":
            case "normal":
                return ON_DEMAND;
            default:
                throw new SpotDrillConfigurationException(
                        "lifecycle '" + lifecycle + "' is not a capacity type; use 'spot' or 'on-demand'");
        }
    }
}
