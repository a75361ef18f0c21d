package dev.spotdrill.core.drill;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The built-in expectations, for use through core's API without JUnit. The JUnit annotations create the same
 * objects.
 */
public final class Expectations {
    /** The kind of the IMDS source, which the IMDS expectations ask for. */
    public static final String IMDS = "imds";
    /** The kind of the EC2 state source. */
    public static final String EC2 = "ec2";

    private Expectations() {}

    /** The target's IMDS shows a rebalance recommendation ({@code @ExpectRebalanceRecommendation}). */
    public static Expectation rebalanceRecommendation(Window window) {
        return new Observed(
                "@ExpectRebalanceRecommendation",
                window,
                List.of(SourceRequest.of(IMDS)),
                o -> o.kind().equals(Observation.Kinds.REBALANCE),
                "imds:rebalance");
    }

    /** The target's IMDS shows an instance-action notice with the given action ({@code @ExpectImdsNotice}). */
    public static Expectation imdsNotice(String action, Window window) {
        return new Observed(
                "@ExpectImdsNotice(action=\"" + action + "\")",
                window,
                List.of(SourceRequest.of(IMDS)),
                o -> o.kind().equals(Observation.Kinds.NOTICE)
                        && action.equals(o.data().get("action")),
                "imds:instance-action") {
            @Override
            protected String lastSeen(Timeline timeline, Target target, Instant deadline) {
                Optional<Observation> other = timeline.first(
                        o -> o.isAbout(target.instanceId()) && o.kind().equals(Observation.Kinds.NOTICE));
                return other.map(o -> "instance-action said \"" + o.data().get("action") + "\" at "
                                + timeline.offset(o.at()) + ": " + o.data().get("body"))
                        .orElseGet(() -> super.lastSeen(timeline, target, deadline));
            }
        };
    }

    /** EC2 shows the target shutting down or terminated ({@code @ExpectTermination}). */
    public static Expectation termination(Window window) {
        return new Observed(
                "@ExpectTermination",
                window,
                List.of(SourceRequest.of(EC2)),
                o -> o.kind().equals(Observation.Kinds.INSTANCE_STATE)
                        && Set.of("shutting-down", "terminated")
                                .contains(o.data().get("state")),
                "ec2:state");
    }

    /**
     * An expectation met by the first observation about the target that matches, at or before the deadline: the
     * reusable evaluator for "this happened to the target". Its last-seen text is the source's latest reading under
     * {@code statusKey} (see {@link Timeline#status(String, String, Instant, String)}).
     */
    public static class Observed implements Expectation {
        private final String name;
        private final Window window;
        private final List<SourceRequest> sources;
        private final Predicate<Observation> match;
        /** The status key whose latest reading a miss shows. */
        protected final String statusKey;

        /**
         * @param name the expectation as the user wrote it
         * @param window when it must be met
         * @param sources the sources it needs
         * @param match which observation about the target meets it
         * @param statusKey the status key whose reading a miss shows
         */
        public Observed(
                String name,
                Window window,
                List<SourceRequest> sources,
                Predicate<Observation> match,
                String statusKey) {
            this.name = Objects.requireNonNull(name, "name");
            this.window = Objects.requireNonNull(window, "window");
            this.sources = List.copyOf(sources);
            this.match = Objects.requireNonNull(match, "match");
            this.statusKey = statusKey;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Window window() {
            return window;
        }

        @Override
        public List<SourceRequest> sources() {
            return sources;
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            Optional<Observation> hit = timeline.first(o -> o.isAbout(target.instanceId()) && match.test(o));
            if (hit.isPresent()) {
                return Evaluation.metAt(
                        metTime(hit.get(), windowStart), hit.get().detail());
            }
            return Evaluation.notYet(lastSeen(timeline, target, deadline));
        }

        /** When the matching observation counts as meeting the expectation: by default, when it was made. */
        protected Instant metTime(Observation hit, Instant windowStart) {
            return hit.at();
        }

        /** The probe's last reading at or before the deadline: what the harness saw while the window was open. */
        protected String lastSeen(Timeline timeline, Target target, Instant deadline) {
            return timeline.statusAt(target.instanceId(), statusKey, deadline).orElse("no reading yet");
        }

        @Override
        public String toString() {
            return name + " " + window.describe();
        }
    }
}
