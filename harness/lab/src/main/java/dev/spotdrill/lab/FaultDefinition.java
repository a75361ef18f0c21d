package dev.spotdrill.lab;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One named fault that a lab component can be told to have, such as {@code imds.no-notice}.
 *
 * @param component the component, for example {@code imds} or {@code terminationHandler}
 * @param fault the fault's name within the component, for example {@code notice-delay}
 * @param value what value the fault takes, {@link ValueKind#NONE} for a plain switch
 * @param description one line saying what the fault does
 */
public record FaultDefinition(String component, String fault, ValueKind value, String description) {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9-]*");

    public FaultDefinition {
        requireName(component, "component");
        requireName(fault, "fault");
        Objects.requireNonNull(value, "value");
        if (description == null || description.isBlank()) {
            throw new IllegalArgumentException("fault " + component + "." + fault + " needs a one-line description");
        }
    }

    /** The full name, {@code component.fault}. */
    public String name() {
        return component + "." + fault;
    }

    /** The name with the form of its value, for example {@code imds.notice-delay=<ISO-8601 duration>}. */
    public String usage() {
        return value == ValueKind.NONE ? name() : name() + "=<" + value.label + ">";
    }

    private static void requireName(String s, String what) {
        if (s == null || !NAME.matcher(s).matches()) {
            throw new IllegalArgumentException(
                    "fault " + what + " \"" + s + "\" must be letters, digits and dashes, starting with a letter");
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
