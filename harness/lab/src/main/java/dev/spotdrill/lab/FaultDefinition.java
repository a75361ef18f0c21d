package dev.spotdrill.lab;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One named fault that a lab component can be told to have, such as {@code imds.no-notice}.
 *
 * @param component the component, for example {@code imds} or {@code terminationHandler}
 * @param fault the fault's name within the component, for example {@code notice-delay}
 * @param value what value the fault takes, {@link ValueKind#NONE} for a plain switch
 * @param description one line saying what the fault does
 * @param rule what a value must be beyond its kind, for example one of a few words; {@link ValueRule#ANY} for
 *     nothing more. {@link LabFaults#set} checks it, so a value a component could not use never reaches it.
 */
public record FaultDefinition(String component, String fault, ValueKind value, String description, ValueRule rule) {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9-]*");

    public FaultDefinition {
        requireName(component, "component");
        requireName(fault, "fault");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(rule, "rule");
        if (description == null || description.isBlank()) {
            throw new IllegalArgumentException("fault " + component + "." + fault + " needs a one-line description");
        }
        if (value == ValueKind.NONE && rule != ValueRule.ANY) {
            throw new IllegalArgumentException(
                    "fault " + component + "." + fault + " takes no value, so it cannot have a value rule");
        }
    }

    /** A fault whose value needs nothing beyond its kind. */
    public FaultDefinition(String component, String fault, ValueKind value, String description) {
        this(component, fault, value, description, ValueRule.ANY);
    }

    /**
     * Empty when the value (as written after {@code =}, or {@code null} when there is none) fits this fault, else
     * what is wrong with it.
     */
    public Optional<String> check(String value) {
        Optional<String> problem = this.value.check(value);
        return problem.isPresent() || value == null ? problem : rule.check(value.trim());
    }

    /** The full name, {@code component.fault}. */
    public String name() {
        return component + "." + fault;
    }

    /** The name with the form of its value, for example {@code imds.notice-delay=<ISO-8601 duration>}. */
    public String usage() {
        if (value == ValueKind.NONE) {
            return name();
        }
        return name() + "=<" + (rule.label().isEmpty() ? value.label : rule.label()) + ">";
    }

    private static void requireName(String s, String what) {
        if (s == null || !NAME.matcher(s).matches()) {
            throw new IllegalArgumentException(
                    "fault " + what + " \"" + s + "\" must be letters, digits and dashes, starting with a letter");
        }
    }

    /**
     * What a fault's value must be beyond its {@link ValueKind}: one of a few words, or text of some form. Checked
     * when a fault is set, at the lab's start and at run time alike.
     */
    public interface ValueRule {
        /** Any value of the kind. */
        ValueRule ANY = v -> Optional.empty();

        /** Empty when the value is allowed, else what is wrong with it, naming what is allowed. */
        Optional<String> check(String value);

        /** How the value is written in the fault's usage, e.g. {@code NoSchedule|NoExecute}; empty: the kind's. */
        default String label() {
            return "";
        }

        /** Exactly one of these words (case matters). */
        static ValueRule oneOf(List<String> allowed) {
            List<String> words = List.copyOf(allowed);
            if (words.isEmpty()) {
                throw new IllegalArgumentException("a oneOf rule needs at least one allowed value");
            }
            return of(
                    String.join("|", words),
                    v -> words.contains(v)
                            ? Optional.empty()
                            : Optional.of(
                                    "is \"" + v + "\", not one of " + String.join(", ", words) + " (case matters)"));
        }

        /**
         * A rule with a usage label and a check.
         *
         * @param check empty when the value is allowed, else what is wrong with it
         */
        static ValueRule of(String label, Function<String, Optional<String>> check) {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(check, "check");
            return new ValueRule() {
                @Override
                public Optional<String> check(String value) {
                    return check.apply(value);
                }

                @Override
                public String label() {
                    return label;
                }

                @Override
                public String toString() {
                    return "ValueRule[" + label + "]";
                }
            };
        }
    }

    /** The kind of value a fault takes. */
    public enum ValueKind {
        /** A plain switch: {@code imds.no-notice}. */
        NONE("none"),
        /** An ISO-8601 duration, zero or more: {@code PT30S}. */
        DURATION("ISO-8601 duration, e.g. PT30S"),
        /** A whole number of at least 0. */
        COUNT("whole number >= 0"),
        /** A whole number of at least 1. */
        POSITIVE("whole number >= 1"),
        /** Any non-blank text. */
        TEXT("text");

        private final String label;

        ValueKind(String label) {
            this.label = label;
        }

        /** Empty when the value fits this kind, else what is wrong with it. */
        Optional<String> check(String value) {
            if (this == NONE) {
                return value == null ? Optional.empty() : Optional.of("takes no value; write it without \"=...\"");
            }
            if (value == null || value.isBlank()) {
                return Optional.of("needs a value: " + label);
            }
            switch (this) {
                case DURATION:
                    try {
                        if (Duration.parse(value).isNegative()) {
                            return Optional.of("must not be negative; write it like PT30S");
                        }
                        return Optional.empty();
                    } catch (DateTimeParseException e) {
                        return Optional.of("is not an ISO-8601 duration; write it like PT30S or PT3M");
                    }
                case COUNT:
                case POSITIVE:
                    try {
                        long n = Long.parseLong(value);
                        long min = this == COUNT ? 0 : 1;
                        return n >= min && n <= Integer.MAX_VALUE
                                ? Optional.empty()
                                : Optional.of("must be a " + label);
                    } catch (NumberFormatException e) {
                        return Optional.of("is not a " + label);
                    }
                default:
                    return Optional.empty();
            }
        }
    }
}
