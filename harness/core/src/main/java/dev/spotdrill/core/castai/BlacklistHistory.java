package dev.spotdrill.core.castai;

import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Timeline;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The blacklist over a drill's time, rebuilt from the CAST AI source's observations: which entries were on the list
 * at a given world time, since when, and whether the list could be read.
 */
final class BlacklistHistory {
    /** An entry on the list, with the time of the read that first saw it (or saw it renewed). */
    record Seen(BlacklistEntry entry, Instant since, String change) {}

    private final Timeline timeline;
    private final List<Observation> observations;

    private BlacklistHistory(Timeline timeline, List<Observation> observations) {
        this.timeline = timeline;
        this.observations = observations;
    }

    static BlacklistHistory of(Timeline timeline) {
        List<Observation> own = new ArrayList<>(timeline.observations().stream()
                .filter(o -> o.source().equals(BlacklistObservations.SOURCE))
                .toList());
        own.sort(Comparator.comparing(Observation::at));
        return new BlacklistHistory(timeline, own);
    }

    /** The entries on the list at a world time, by family-or-type and lifecycle, in the order they appeared. */
    Map<String, Seen> stateAt(Instant t) {
        Map<String, Seen> state = new LinkedHashMap<>();
        for (Observation o : observations) {
            if (o.at().isAfter(t)) {
                break;
            }
            if (o.kind().equals(BlacklistObservations.BLACKLISTED)) {
                state.put(key(o), new Seen(entry(o), o.at(), o.data().getOrDefault("change", "")));
            } else if (o.kind().equals(BlacklistObservations.UNBLACKLISTED)) {
                state.remove(key(o));
            }
        }
        return state;
    }

    /** Whether some read succeeded at or before the time: the state there is known. */
    boolean knownAt(Instant t) {
        return observations.stream()
                .anyMatch(o -> !o.at().isAfter(t) && o.kind().equals(BlacklistObservations.READ));
    }

    /** Whether the list could be read at some time from {@code from} to {@code to}. */
    boolean readableDuring(Instant from, Instant to) {
        Boolean atStart = null;
        for (Observation o : observations) {
            boolean read = o.kind().equals(BlacklistObservations.READ);
            boolean unreadable = o.kind().equals(BlacklistObservations.UNREADABLE);
            if (!read && !unreadable) {
                continue;
            }
            if (!o.at().isAfter(from)) {
                atStart = read;
            } else if (!o.at().isAfter(to) && read) {
                return true;
            }
        }
        return Boolean.TRUE.equals(atStart);
    }

    /** The window's start and the times in the window at which the list changed: where a state may first hold. */
    List<Instant> checkpoints(Instant from, Instant to) {
        TreeSet<Instant> out = new TreeSet<>();
        out.add(from);
        for (Observation o : observations) {
            if (o.at().isAfter(from) && !o.at().isAfter(to)) {
                out.add(o.at());
            }
        }
        return List.copyOf(out);
    }

    /** The observations that appeared (or renewed) an entry, at or before the time. */
    List<Observation> blacklistedUntil(Instant t) {
        return observations.stream()
                .filter(o -> !o.at().isAfter(t) && o.kind().equals(BlacklistObservations.BLACKLISTED))
                .toList();
    }

    /** Every entry seen until the time, as {@code c5.large (spot, until ...) at +3.0s}; {@code none} without one. */
    String entriesSeen(Instant t) {
        List<Observation> seen = blacklistedUntil(t);
        if (seen.isEmpty()) {
            return knownAt(t) ? "none" : "none (the blacklist was never read)";
        }
        return seen.stream().map(o -> entry(o).describe() + " " + when(o)).collect(Collectors.joining(", "));
    }

    /** The source's last reading at or before the time, for messages. */
    String lastRead(Instant t) {
        return timeline.statusAt("", BlacklistObservations.STATUS, t).orElse("no read of the blacklist yet");
    }

    /** {@code at +3.0s}, or {@code present at the first read (+0.0s)} for the initial state. */
    String when(Seen s) {
        return BlacklistObservations.INITIAL.equals(s.change())
                ? "(present at the first read, " + timeline.offset(s.since()) + ")"
                : (BlacklistObservations.RENEWED.equals(s.change()) ? "renewed at " : "at ")
                        + timeline.offset(s.since());
    }

    private String when(Observation o) {
        return when(new Seen(entry(o), o.at(), o.data().getOrDefault("change", "")));
    }

    String offset(Instant t) {
        return timeline.offset(t);
    }

    static BlacklistEntry entry(Observation o) {
        return new BlacklistEntry(
                o.data().getOrDefault("instanceFamily", ""),
                o.data().getOrDefault("lifecycle", ""),
                instant(o.data().getOrDefault("expiresAt", "")),
                o.data().getOrDefault("raw", ""));
    }

    private static String key(Observation o) {
        return o.data().getOrDefault("instanceFamily", "").toLowerCase(Locale.ROOT) + "|"
                + o.data().getOrDefault("lifecycle", "").toLowerCase(Locale.ROOT);
    }

    private static Optional<Instant> instant(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
