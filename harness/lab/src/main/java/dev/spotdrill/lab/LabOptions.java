package dev.spotdrill.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * How to start a {@link SpotLab}: the scenario, the pace, the faults and, for a lab that others connect to, fixed
 * ports.
 *
 * @param scenario the scenario to run
 * @param pace the pace, overriding the scenario's (which defaults to 60)
 * @param faults faults to switch on at start, each {@code component.fault[=value]}; checked at start
 * @param portBase the first of the lab's fixed ports (see {@link LabPorts}); empty: every server gets a dynamic port
 */
public record LabOptions(Scenario scenario, OptionalDouble pace, List<String> faults, OptionalInt portBase) {

    public LabOptions {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(pace, "pace");
        Objects.requireNonNull(portBase, "portBase");
        if (pace.isPresent() && (!(pace.getAsDouble() > 0) || Double.isInfinite(pace.getAsDouble()))) {
            throw new IllegalArgumentException(
                    "pace must be a positive number, was " + pace.getAsDouble() + "; use for example 60");
        }
        portBase.ifPresent(LabPorts::checkBase);
        faults = List.copyOf(faults);
    }

    /** Options with dynamic ports. */
    public LabOptions(Scenario scenario, OptionalDouble pace, List<String> faults) {
        this(scenario, pace, faults, OptionalInt.empty());
    }

    /** The built-in {@code shop} scenario with its own pace and no faults. */
    public static LabOptions defaults() {
        return builder().build();
    }

    /** A builder, starting from the {@code shop} scenario. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link LabOptions}. */
    public static final class Builder {
        private Scenario scenario;
        private String scenarioName = "shop";
        private OptionalDouble pace = OptionalDouble.empty();
        private final List<String> faults = new ArrayList<>();
        private OptionalInt portBase = OptionalInt.empty();

        private Builder() {}

        /** The scenario to run. */
        public Builder scenario(Scenario scenario) {
            this.scenario = Objects.requireNonNull(scenario, "scenario");
            return this;
        }

        /** A scenario by classpath resource or file name, resolved by {@link Scenario#load(String)}. */
        public Builder scenario(String nameOrPath) {
            this.scenario = null;
            this.scenarioName = Objects.requireNonNull(nameOrPath, "nameOrPath");
            return this;
        }

        /** The pace: world seconds per wall second. */
        public Builder pace(double pace) {
            this.pace = OptionalDouble.of(pace);
            return this;
        }

        /** Adds faults, each {@code component.fault[=value]}. */
        public Builder faults(String... faults) {
            this.faults.addAll(List.of(faults));
            return this;
        }

        /** Adds faults, each {@code component.fault[=value]}. */
        public Builder faults(List<String> faults) {
            this.faults.addAll(faults);
            return this;
        }

        /**
         * Fixed ports from this one on, as {@link LabPorts} lays them out, instead of dynamic ports.
         *
         * @throws IllegalArgumentException when the base is outside {@value LabPorts#MIN_BASE}..{@value
         *     LabPorts#MAX_BASE}
         */
        public Builder portBase(int portBase) {
            LabPorts.checkBase(portBase);
            this.portBase = OptionalInt.of(portBase);
            return this;
        }

        /**
         * The options.
         *
         * @throws dev.spotdrill.core.SpotDrillConfigurationException when the scenario cannot be loaded
         */
        public LabOptions build() {
            return new LabOptions(scenario != null ? scenario : Scenario.load(scenarioName), pace, faults, portBase);
        }
    }
}
