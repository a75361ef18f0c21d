package dev.spotdrill.core.castai;

import java.util.Objects;

/**
 * An instance type found in the blacklist, with the entry that covers it and how.
 *
 * @param instanceType the type asked about, for example {@code m5.large}
 * @param entry the entry that covers it
 * @param kind whether the entry names the type itself or its family
 */
public record BlacklistMatch(String instanceType, BlacklistEntry entry, Kind kind) {
    public BlacklistMatch {
        Objects.requireNonNull(instanceType, "instanceType");
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(kind, "kind");
    }

    /** How an entry covers a type. */
    public enum Kind {
        /** The entry's {@code instanceFamily} is the whole type, {@code m5.large}. */
        INSTANCE_TYPE,
        /** The entry's {@code instanceFamily} is the type's family, {@code m5}. */
        FAMILY
    }

    /** For messages: {@code m5.large by family entry m5 (spot, until ...)}. */
    public String describe() {
        return instanceType + " by " + (kind == Kind.FAMILY ? "family" : "type") + " entry " + entry.describe();
    }
}
