package dev.spotdrill.core.castai;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The CAST AI blacklist of one cluster at one moment: its entries, and which instance types they cover.
 *
 * @param entries the entries, in the order CAST AI listed them
 */
public record Blacklist(List<BlacklistEntry> entries) {
    public Blacklist {
        entries = List.copyOf(entries);
    }

    /**
     * The entry that covers an instance type for any lifecycle, preferring one that names the type itself over a
     * family entry.
     */
    public Optional<BlacklistMatch> match(String instanceType) {
        return match(instanceType, "");
    }

    /**
     * The entry that covers an instance type for a lifecycle ({@code spot}; blank for any), preferring one that
     * names the type itself over a family entry.
     */
    public Optional<BlacklistMatch> match(String instanceType, String lifecycle) {
        BlacklistMatch family = null;
        for (BlacklistEntry e : entries) {
            if (!e.appliesTo(lifecycle)) {
                continue;
            }
            Optional<BlacklistMatch.Kind> kind = e.match(instanceType);
            if (kind.isPresent() && kind.get() == BlacklistMatch.Kind.INSTANCE_TYPE) {
                return Optional.of(new BlacklistMatch(instanceType, e, kind.get()));
            }
            if (kind.isPresent() && family == null) {
                family = new BlacklistMatch(instanceType, e, kind.get());
            }
        }
        return Optional.ofNullable(family);
    }

    /** The entries not expired at the given time. */
    public Blacklist activeAt(Instant now) {
        return new Blacklist(entries.stream().filter(e -> !e.expiredAt(now)).toList());
    }

    /** Whether the blacklist has no entry. */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The entries as a reader wants them, one per line; {@code (empty)} when there are none. */
    public String describe() {
        return entries.isEmpty()
                ? "(empty)"
                : entries.stream().map(BlacklistEntry::describe).collect(Collectors.joining("\n"));
    }
}
