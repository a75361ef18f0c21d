package dev.spotdrill.core.castai;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of the CAST AI blacklist, as the list call returns it.
 *
 * <p>Public scripts disagree on what {@code instanceFamily} holds: a family ({@code m5}) or a whole type
 * ({@code m5.large}). {@link #match} supports both and says which one matched: a value with a dot is a type and
 * matches only that type; a value without one is a family and matches every size of it.
 *
 * @param instanceFamily the {@code instanceFamily} field: a family or a whole instance type
 * @param lifecycle the {@code lifecycle} field, for example {@code spot}; empty when absent
 * @param expiresAt when the entry expires, empty when it has no (readable) {@code expiresAt}
 * @param raw the entry's whole JSON as CAST AI returned it, with any field this type does not model
 */
public record BlacklistEntry(String instanceFamily, String lifecycle, Optional<Instant> expiresAt, String raw) {
    public BlacklistEntry {
        Objects.requireNonNull(instanceFamily, "instanceFamily");
        lifecycle = lifecycle == null ? "" : lifecycle;
        Objects.requireNonNull(expiresAt, "expiresAt");
        raw = raw == null ? "" : raw;
    }

    /** Whether {@code instanceFamily} holds a whole instance type ({@code m5.large}) rather than a family. */
    public boolean isInstanceType() {
        return instanceFamily.contains(".");
    }

    /**
     * How this entry covers an instance type: {@link BlacklistMatch.Kind#INSTANCE_TYPE} when it names that type,
     * {@link BlacklistMatch.Kind#FAMILY} when it names the type's family ({@code m5} for {@code m5.large}); empty
     * when it does not cover it. Case is ignored.
     */
    public Optional<BlacklistMatch.Kind> match(String instanceType) {
        if (instanceType == null || instanceType.isBlank() || instanceFamily.isBlank()) {
            return Optional.empty();
        }
        String type = instanceType.trim().toLowerCase(Locale.ROOT);
        String value = instanceFamily.trim().toLowerCase(Locale.ROOT);
        if (isInstanceType()) {
            return value.equals(type) ? Optional.of(BlacklistMatch.Kind.INSTANCE_TYPE) : Optional.empty();
        }
        return value.equals(familyOf(type)) ? Optional.of(BlacklistMatch.Kind.FAMILY) : Optional.empty();
    }

    /**
     * Whether this entry applies to the lifecycle: an entry without a lifecycle, or with {@code all}, applies to
     * every lifecycle; a blank lifecycle asked for matches every entry.
     */
    public boolean appliesTo(String askedLifecycle) {
        return askedLifecycle == null
                || askedLifecycle.isBlank()
                || lifecycle.isBlank()
                || lifecycle.equalsIgnoreCase("all")
                || lifecycle.equalsIgnoreCase(askedLifecycle.trim());
    }

    /** Whether the entry has expired at the given time. */
    public boolean expiredAt(Instant now) {
        return expiresAt.map(t -> !t.isAfter(now)).orElse(false);
    }

    /** The family of an instance type: {@code m5} for {@code m5.large}, the value itself when it has no dot. */
    public static String familyOf(String instanceType) {
        int dot = instanceType.indexOf('.');
        return dot < 0 ? instanceType : instanceType.substring(0, dot);
    }

    /** The entry as a reader wants it: {@code m5.large (spot, until 2026-01-15T15:00:00Z)}. */
    public String describe() {
        return instanceFamily + " (" + (lifecycle.isEmpty() ? "any lifecycle" : lifecycle) + ", "
                + expiresAt.map(t -> "until " + t).orElse("no expiresAt") + ")";
    }
}
