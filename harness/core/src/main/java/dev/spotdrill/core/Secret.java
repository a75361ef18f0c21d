package dev.spotdrill.core;

import java.util.Objects;

/**
 * A secret value, such as an AWS secret key or the CAST AI API key, that never shows in a log, a report or
 * a {@code toString}.
 *
 * <p>Every secret created is also registered with {@link Redactor}, so that text on its way to a report or
 * the console can be cleaned of it.
 */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
        Redactor.register(value);
    }

    /** Wraps a secret value. */
    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The secret itself; hand it only to the client that needs it. */
    public String reveal() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "Secret[****]";
    }
}
