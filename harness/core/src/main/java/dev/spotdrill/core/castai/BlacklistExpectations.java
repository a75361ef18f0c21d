package dev.spotdrill.core.castai;

import dev.spotdrill.core.advisor.SpotAdvisorFeed;
import dev.spotdrill.core.advisor.SpotAdvisorSource;
import dev.spotdrill.core.drill.Evaluation;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Window;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The blacklist expectations, for use through core's API without JUnit; the annotations
 * {@code @ExpectBlacklisted}, {@code @ExpectNotBlacklisted} and {@code @ExpectBlacklistMatchesAdvisor} create the same
 * objects. Each reads the CAST AI source's observations ({@link BlacklistObservations}); an entry's
 * {@code instanceFamily} may hold a family ({@code c5}) or a whole type ({@code c5.large}), and the messages say which
 * one matched.
 */
public final class BlacklistExpectations {
    /** The lifecycles an entry, and so an expectation, may name. */
    public static final List<String> LIFECYCLES = List.of("spot", "on-demand", "all");

    private static final List<SourceRequest> CASTAI = List.of(SourceRequest.of(CastAiSource.KIND));

    private BlacklistExpectations() {}

    /**
     * Every named type appears in the blacklist, for the lifecycle, with an {@code expiresAt} at least
     * {@code minExpiry} after the read that saw it ({@code @ExpectBlacklisted}). An entry without {@code expiresAt}
     * does not count: it never expires. With no type named, each target's own type, judged per target.
     *
     * @param instanceTypes the types, e.g. {@code c5.large}; empty for the drill's targets' types
     * @param lifecycle {@code spot}, {@code on-demand} or {@code all}
     * @param minExpiry how long the entry must last, at least, from when it was seen; zero or more
     */
    public static Expectation blacklisted(
            List<String> instanceTypes, String lifecycle, Duration minExpiry, Window window) {
        return new Blacklisted(types(instanceTypes, true), lifecycle(lifecycle), minExpiry, window);
    }

    /**
     * None of the types is blacklisted for the lifecycle at any time of the window ({@code @ExpectNotBlacklisted});
     * continuous: missed at the first entry that covers one, and, without a successful read of the blacklist in the
     * window, missed for want of evidence.
     */
    public static Expectation notBlacklisted(List<String> instanceTypes, String lifecycle, Window window) {
        return new NotBlacklisted(types(instanceTypes, false), lifecycle(lifecycle), window);
    }

    /**
     * At some time in the window the blacklist holds exactly the types the Spot Advisor feed rates above the
     * threshold in the world's region for the operating system ({@code @ExpectBlacklistMatchesAdvisor}): each of them
     * covered by a Spot entry, and no Spot entry for anything else (a family entry that also covers a type the feed
     * rates at or below the threshold is extra).
     *
     * @param os {@code Linux} or {@code Windows}
     * @param threshold a percentage from 0 to 100; a type is above it when its range's maximum is
     */
    public static Expectation matchesAdvisor(String os, int threshold, Window window) {
        SpotAdvisorFeed.checkThreshold(threshold);
        return new MatchesAdvisor(os, threshold, window);
    }

    private static List<String> types(List<String> instanceTypes, boolean emptyAllowed) {
        List<String> out = new ArrayList<>();
        for (String t : instanceTypes) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("an instance type must not be blank");
            }
            out.add(t.trim());
        }
        if (out.isEmpty() && !emptyAllowed) {
            throw new IllegalArgumentException("name at least one instance type");
        }
        return List.copyOf(out);
    }

    private static String lifecycle(String lifecycle) {
        String l = Objects.requireNonNull(lifecycle, "lifecycle").trim();
        if (!LIFECYCLES.contains(l)) {
            throw new IllegalArgumentException("lifecycle must be one of " + LIFECYCLES + ", was " + lifecycle);
        }
        return l;
    }

    static String quoted(List<String> types) {
        return types.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(", ", "{", "}"));
    }

    /** The entries on the list at a time that cover the type for the lifecycle, type entries first. */
    private static List<BlacklistHistory.Seen> covering(
            Map<String, BlacklistHistory.Seen> state, String type, String lifecycle) {
        List<BlacklistHistory.Seen> types = new ArrayList<>();
        List<BlacklistHistory.Seen> families = new ArrayList<>();
        for (BlacklistHistory.Seen s : state.values()) {
            if (!s.entry().appliesTo(lifecycle)) {
                continue;
            }
            s.entry().match(type).ifPresent(kind -> (kind == BlacklistMatch.Kind.INSTANCE_TYPE ? types : families)
                    .add(s));
        }
        types.addAll(families);
        return types;
    }

    private static String by(String type, BlacklistHistory.Seen s) {
        return new BlacklistMatch(
                        type,
                        s.entry(),
                        s.entry().isInstanceType() ? BlacklistMatch.Kind.INSTANCE_TYPE : BlacklistMatch.Kind.FAMILY)
                .describe();
    }

    private abstract static class Base implements Expectation {
        private final Window window;

        Base(Window window) {
            this.window = Objects.requireNonNull(window, "window");
        }

        @Override
        public Window window() {
            return window;
        }

        @Override
        public List<SourceRequest> sources() {
            return CASTAI;
        }

        @Override
        public boolean perTarget() {
            return false;
        }

        @Override
        public String toString() {
            return name() + " " + window.describe();
        }
    }

    // ------------------------------------------------------------------------------------------ @ExpectBlacklisted

    private static final class Blacklisted extends Base {
        private final List<String> types;
        private final String lifecycle;
        private final Duration minExpiry;

        Blacklisted(List<String> types, String lifecycle, Duration minExpiry, Window window) {
            super(window);
            this.types = types;
            this.lifecycle = lifecycle;
            this.minExpiry = Objects.requireNonNull(minExpiry, "minExpiry");
            if (minExpiry.isNegative()) {
                throw new IllegalArgumentException("minExpiry must be zero or more, was " + minExpiry);
            }
        }

        @Override
        public String name() {
            return "@ExpectBlacklisted(instanceTypes=" + quoted(types) + ", lifecycle=\"" + lifecycle
                    + "\", minExpiry=\"" + minExpiry + "\")";
        }

        @Override
        public boolean perTarget() {
            return types.isEmpty(); // the targets' own types: one verdict per target
        }

        private List<String> typesFor(Target target) {
            return types.isEmpty() ? List.of(target.instanceType()) : types;
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            List<String> wanted = typesFor(target);
            BlacklistHistory h = BlacklistHistory.of(timeline);
            for (Instant t : h.checkpoints(windowStart, deadline)) {
                Map<String, BlacklistHistory.Seen> state = h.stateAt(t);
                List<String> found = new ArrayList<>();
                for (String type : wanted) {
                    qualifying(state, type).ifPresent(s -> found.add(by(type, s) + " " + h.when(s)));
                }
                if (found.size() == wanted.size()) {
                    return Evaluation.metAt(t, String.join("; ", found));
                }
            }
            Instant at = deadline;
            Map<String, BlacklistHistory.Seen> state = h.stateAt(at);
            List<String> problems = new ArrayList<>();
            for (String type : wanted) {
                if (qualifying(state, type).isPresent()) {
                    continue;
                }
                problems.add(problem(h, state, type));
            }
            return Evaluation.notYet(String.join("; ", problems) + "; entries seen: " + h.entriesSeen(at)
                    + "; last read: " + h.lastRead(at));
        }

        private Optional<BlacklistHistory.Seen> qualifying(Map<String, BlacklistHistory.Seen> state, String type) {
            return covering(state, type, lifecycle).stream()
                    .filter(s -> s.entry()
                            .expiresAt()
                            .map(exp -> !Duration.between(s.since(), exp)
                                    .minus(minExpiry)
                                    .isNegative())
                            .orElse(false))
                    .findFirst();
        }

        private String problem(BlacklistHistory h, Map<String, BlacklistHistory.Seen> state, String type) {
            List<BlacklistHistory.Seen> cover = covering(state, type, lifecycle);
            if (cover.isEmpty()) {
                List<BlacklistHistory.Seen> other = covering(state, type, "");
                if (!other.isEmpty()) {
                    return type + " is not blacklisted for " + lifecycle + ", only " + by(type, other.get(0));
                }
                return type + " is not blacklisted";
            }
            BlacklistHistory.Seen s = cover.get(0);
            if (s.entry().expiresAt().isEmpty()) {
                return type + " is blacklisted without expiresAt, so the entry never expires: " + by(type, s) + " "
                        + h.when(s) + "; a blacklister should set expiresAt (minExpiry " + minExpiry + ")";
            }
            Duration left = Duration.between(s.since(), s.entry().expiresAt().get());
            return type + " is blacklisted for only " + left + " from when it was seen, less than minExpiry "
                    + minExpiry + ": " + by(type, s) + " " + h.when(s);
        }
    }

    // --------------------------------------------------------------------------------------- @ExpectNotBlacklisted

    private static final class NotBlacklisted extends Base {
        private final List<String> types;
        private final String lifecycle;

        NotBlacklisted(List<String> types, String lifecycle, Window window) {
            super(window);
            this.types = types;
            this.lifecycle = lifecycle;
        }

        @Override
        public String name() {
            return "@ExpectNotBlacklisted(instanceTypes=" + quoted(types) + ", lifecycle=\"" + lifecycle + "\")";
        }

        @Override
        public boolean continuous() {
            return true;
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            BlacklistHistory h = BlacklistHistory.of(timeline);
            Map<String, BlacklistHistory.Seen> atStart = h.stateAt(windowStart);
            for (String type : types) {
                List<BlacklistHistory.Seen> cover = covering(atStart, type, lifecycle);
                if (!cover.isEmpty()) {
                    BlacklistHistory.Seen s = cover.get(0);
                    return Evaluation.violatedAt(
                            windowStart,
                            type + " was already blacklisted when the window opened: " + by(type, s) + " " + h.when(s));
                }
            }
            for (Observation o : h.blacklistedUntil(deadline)) {
                if (!o.at().isAfter(windowStart)) {
                    continue;
                }
                BlacklistEntry e = BlacklistHistory.entry(o);
                for (String type : types) {
                    if (e.appliesTo(lifecycle) && e.match(type).isPresent()) {
                        BlacklistHistory.Seen s =
                                new BlacklistHistory.Seen(e, o.at(), o.data().getOrDefault("change", ""));
                        return Evaluation.violatedAt(
                                o.at(), type + " was blacklisted: " + by(type, s) + " " + h.when(s));
                    }
                }
            }
            Instant last = deadline;
            if (h.readableDuring(windowStart, deadline)) {
                return Evaluation.metAt(
                        windowStart,
                        "none of " + String.join(", ", types) + " blacklisted; last read: " + h.lastRead(last));
            }
            return Evaluation.notYet("no successful read of the blacklist in the window, so nothing proves "
                    + String.join(", ", types) + " stayed off it; last read: " + h.lastRead(last));
        }
    }

    // ------------------------------------------------------------------------------ @ExpectBlacklistMatchesAdvisor

    private static final class MatchesAdvisor extends Base {
        private final String os;
        private final int threshold;

        MatchesAdvisor(String os, int threshold, Window window) {
            super(window);
            this.os = Objects.requireNonNull(os, "os");
            this.threshold = threshold;
        }

        @Override
        public String name() {
            return "@ExpectBlacklistMatchesAdvisor(os=\"" + os + "\", threshold=" + threshold + ")";
        }

        @Override
        public List<SourceRequest> sources() {
            return List.of(SourceRequest.of(CastAiSource.KIND), SpotAdvisorSource.request(os, threshold));
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            Optional<Observation> advisor = timeline.last(o -> o.source().equals(SpotAdvisorSource.SOURCE)
                    && o.kind().equals(SpotAdvisorSource.ABOVE_THRESHOLD)
                    && os.equals(o.data().get("os"))
                    && Integer.toString(threshold).equals(o.data().get("threshold")));
            if (advisor.isEmpty()) {
                return Evaluation.notYet("the Spot Advisor feed's verdict is not on the timeline yet");
            }
            Map<String, String> d = advisor.get().data();
            Set<String> above = split(d.get("above"));
            Set<String> safe = split(d.get("safe"));
            Map<String, String> ranges = new LinkedHashMap<>();
            for (String r : d.getOrDefault("ranges", "").split(",\\s*")) {
                int eq = r.indexOf('=');
                if (eq > 0) {
                    ranges.put(r.substring(0, eq), r.substring(eq + 1));
                }
            }
            BlacklistHistory h = BlacklistHistory.of(timeline);
            for (Instant t : h.checkpoints(windowStart, deadline)) {
                if (!h.knownAt(t)) {
                    continue;
                }
                Diff diff = diff(h.stateAt(t), above, safe);
                if (diff.missing.isEmpty() && diff.extra.isEmpty()) {
                    return Evaluation.metAt(
                            t,
                            "the blacklist holds exactly the " + above.size() + " types above " + threshold + "% ("
                                    + String.join(", ", above) + ")");
                }
            }
            String feed = "the Spot Advisor feed rates " + above.size() + " types above " + threshold + "% in "
                    + d.get("region") + " for " + os + ": " + (above.isEmpty() ? "none" : String.join(", ", above));
            if (!h.knownAt(deadline)) {
                return Evaluation.notYet(
                        "the blacklist was never read; " + feed + "; last read: " + h.lastRead(deadline));
            }
            Diff diff = diff(h.stateAt(deadline), above, safe);
            List<String> parts = new ArrayList<>();
            if (!diff.missing.isEmpty()) {
                parts.add("missing "
                        + diff.missing.stream()
                                .map(t -> t + (ranges.containsKey(t) ? " (" + ranges.get(t) + ")" : ""))
                                .collect(Collectors.joining(", ")));
            }
            if (!diff.extra.isEmpty()) {
                parts.add("extra " + String.join(", ", diff.extra));
            }
            return Evaluation.notYet("at the deadline the blacklist had " + String.join("; ", parts) + "; " + feed
                    + "; entries seen: " + h.entriesSeen(deadline) + "; last read: " + h.lastRead(deadline));
        }

        private record Diff(List<String> missing, List<String> extra) {}

        private static Diff diff(Map<String, BlacklistHistory.Seen> state, Set<String> above, Set<String> safe) {
            List<String> missing = new ArrayList<>();
            for (String type : above) {
                if (covering(state, type, "spot").isEmpty()) {
                    missing.add(type);
                }
            }
            List<String> extra = new ArrayList<>();
            for (BlacklistHistory.Seen s : state.values()) {
                BlacklistEntry e = s.entry();
                if (!e.appliesTo("spot")) {
                    continue;
                }
                if (e.isInstanceType()) {
                    if (above.stream().noneMatch(t -> e.match(t).isPresent())) {
                        extra.add(e.instanceFamily());
                    }
                    continue;
                }
                List<String> safeCovered =
                        safe.stream().filter(t -> e.match(t).isPresent()).toList();
                boolean coversAbove = above.stream().anyMatch(t -> e.match(t).isPresent());
                if (!safeCovered.isEmpty()) {
                    extra.add(e.instanceFamily() + " (family entry; it also covers " + String.join(", ", safeCovered)
                            + ")");
                } else if (!coversAbove) {
                    extra.add(e.instanceFamily() + " (family entry)");
                }
            }
            extra.sort(null);
            return new Diff(missing, extra);
        }

        private static Set<String> split(String commaList) {
            if (commaList == null || commaList.isBlank()) {
                return Set.of();
            }
            return new LinkedHashSet<>(Arrays.asList(commaList.split(",")));
        }
    }
}
