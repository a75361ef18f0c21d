package dev.spotdrill.core.check;

import java.util.Objects;

/**
 * One pre-flight check's result, as {@code spotdrill doctor} prints it: ✓ or ✗, what was found, and the fix.
 *
 * @param name what was checked, for example {@code FIS role}
 * @param ok whether it holds
 * @param detail what was found (never a secret)
 * @param fix how to make it hold; empty when it holds and nothing is advised
 */
public record Check(String name, boolean ok, String detail, String fix) {
    public Check {
        Objects.requireNonNull(name, "name");
        detail = detail == null ? "" : detail;
        fix = fix == null ? "" : fix;
    }

    /** A check that holds. */
    public static Check ok(String name, String detail) {
        return new Check(name, true, detail, "");
    }

    /** A check that fails, with the fix. */
    public static Check failed(String name, String detail, String fix) {
        return new Check(name, false, detail, fix);
    }

    /** {@code ✓ FIS role: ...} or {@code ✗ FIS role: ... -> fix}. */
    public String line() {
        return (ok ? "✓ " : "✗ ") + name + ": " + detail + (fix.isEmpty() ? "" : " → " + fix);
    }
}
