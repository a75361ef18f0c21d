package dev.spotdrill.core.drill;

import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.kube.KubeObservations;
import dev.spotdrill.core.kube.KubeSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The Kubernetes expectations, for use through core's API without JUnit; the annotations {@code @ExpectTaint},
 * {@code @ExpectCordon}, {@code @ExpectDrain}, {@code @ExpectAvailability} and {@code @ExpectNodeRemoved} create
 * the same objects. They read what the Kubernetes source ({@value #KUBE}) writes; see
 * {@link KubeObservations}.
 *
 * <p>Only fresh evidence counts: taint, cordon and drain are met only by a change the source saw after it started,
 * never by a state the node already had; and they tell the source what they will judge, so that a target whose
 * node already shows it is refused before anything is created (see {@link KubeSource}).
 */
public final class KubeExpectations {
    /** The kind of the Kubernetes source, which these expectations ask for. */
    public static final String KUBE = "kube";

    private static final List<SourceRequest> KUBE_NODES = List.of(SourceRequest.of(KUBE));
    private static final List<SourceRequest> KUBE_CORDON =
            List.of(SourceRequest.of(KUBE, KubeSource.EXPECT, KubeSource.CORDON));
    private static final List<SourceRequest> KUBE_DRAIN =
            List.of(SourceRequest.of(KUBE, KubeSource.EXPECT, KubeSource.DRAIN));

    private KubeExpectations() {}

    /**
     * The target's node gets a taint with this key and effect ({@code @ExpectTaint}); a node that already has it is
     * refused.
     */
    public static Expectation taint(String key, String effect, Window window) {
        requireText(key, "key");
        requireText(effect, "effect");
        return new Eventual(
                "@ExpectTaint(key=\"" + key + "\", effect=\"" + effect + "\")",
                window,
                List.of(new SourceRequest(
                        KUBE,
                        Map.of(KubeSource.EXPECT, KubeSource.TAINT, KubeSource.KEY, key, KubeSource.EFFECT, effect))),
                o -> o.kind().equals(KubeObservations.TAINT_ADDED)
                        && key.equals(o.data().get("key"))
                        && effect.equals(o.data().get("effect")),
                KubeObservations.STATUS_TAINTS);
    }

    /** The target's node is cordoned ({@code @ExpectCordon}); a node already cordoned is refused. */
    public static Expectation cordon(Window window) {
        return new Eventual(
                "@ExpectCordon",
                window,
                KUBE_CORDON,
                o -> o.kind().equals(KubeObservations.CORDONED),
                KubeObservations.STATUS_CORDON);
    }

    /**
     * Every pod on the target's node that is not owned by a DaemonSet and is not a mirror pod is gone
     * ({@code @ExpectDrain}); with {@code rescheduled}, a pod of the same owner is also Ready on another node for
     * each one that left. Pods lost with the node (it went NotReady or was deleted first) are not a drain; a node
     * with no such pod to begin with is refused.
     */
    public static Expectation drain(boolean rescheduled, Window window) {
        return new Drain(rescheduled, window);
    }

    /** The target's node object is deleted ({@code @ExpectNodeRemoved}). */
    public static Expectation nodeRemoved(Window window) {
        return new Eventual(
                "@ExpectNodeRemoved",
                window,
                KUBE_NODES,
                o -> o.kind().equals(KubeObservations.NODE_DELETED),
                KubeObservations.STATUS_NODE);
    }

    /**
     * The Deployment keeps at least {@code minReady} Ready pods for the whole window ({@code @ExpectAvailability});
     * continuous: it fails at the first violation, with the time and the Ready count.
     *
     * @param deployment {@code namespace/name}
     */
    public static Expectation availability(String deployment, int minReady, Window window) {
        return new Availability(deployment, minReady, window);
    }

    /** The Deployments ({@code namespace/name}) that requests to the Kubernetes source name. */
    public static List<String> deployments(List<SourceRequest> requests) {
        return requests.stream()
                .map(r -> r.param(KubeSource.DEPLOYMENT))
                .filter(Objects::nonNull)
                .distinct()
                .toList();
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
    }

    /**
     * Met by the first matching observation about the target that the source made after it started (never one of
     * the state it found, {@code initial=true}); one made before the window opened counts from the window's start.
     */
    private static class Eventual extends Expectations.Observed {
        Eventual(
                String name,
                Window window,
                List<SourceRequest> sources,
                Predicate<Observation> match,
                String statusKey) {
            super(name, window, sources, match.and(Eventual::fresh), statusKey);
        }

        private static boolean fresh(Observation o) {
            return !"true".equals(o.data().get("initial"));
        }

        @Override
        protected Instant metTime(Observation hit, Instant windowStart) {
            return hit.at().isBefore(windowStart) ? windowStart : hit.at();
        }

        @Override
        protected String lastSeen(Timeline timeline, Target target, Instant deadline) {
            return timeline.statusAt(target.instanceId(), statusKey, deadline)
                    .or(() -> timeline.statusAt(target.instanceId(), KubeObservations.STATUS_NODE, deadline))
                    .orElse("no reading of the node yet");
        }
    }

    private static final class Drain extends Eventual {
        private final boolean rescheduled;

        Drain(boolean rescheduled, Window window) {
            super(
                    rescheduled ? "@ExpectDrain(rescheduled=true)" : "@ExpectDrain",
                    window,
                    KUBE_DRAIN,
                    o -> o.kind().equals(KubeObservations.NODE_DRAINED),
                    KubeObservations.STATUS_PODS);
            this.rescheduled = rescheduled;
        }

        @Override
        protected String lastSeen(Timeline timeline, Target target, Instant deadline) {
            Optional<Observation> lost = timeline.first(
                    o -> o.isAbout(target.instanceId()) && o.kind().equals(KubeObservations.PODS_LOST));
            if (lost.isPresent()) {
                int pods = Integer.parseInt(lost.get().data().getOrDefault("pods", "1"));
                return Messages.podsLost(pods, lost.get().at(), timeline);
            }
            return super.lastSeen(timeline, target, deadline);
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            Evaluation drained = super.evaluate(timeline, target, windowStart, deadline);
            if (!rescheduled || drained.metAt().isEmpty()) {
                return drained;
            }
            // every evictable pod that left before the drain completed needs a replacement Ready elsewhere
            Instant drainedAt = drained.metAt().get();
            List<Observation> about = new ArrayList<>(timeline.about(target.instanceId()));
            about.sort(Comparator.comparing(Observation::at));
            Map<String, Integer> missing = new HashMap<>();
            Instant last = drainedAt;
            for (Observation o : about) {
                String owner =
                        o.data().getOrDefault("namespace", "") + " " + o.data().getOrDefault("owner", "");
                if ((o.kind().equals(KubeObservations.POD_EVICTED) || o.kind().equals(KubeObservations.POD_DELETED))
                        && "true".equals(o.data().get("evictable"))
                        && !o.at().isAfter(drainedAt)) {
                    missing.merge(owner, 1, Integer::sum);
                } else if (o.kind().equals(KubeObservations.REPLACEMENT_READY)) {
                    Integer m = missing.get(owner);
                    if (m != null && m > 0) {
                        missing.put(owner, m - 1);
                        if (o.at().isAfter(last)) {
                            last = o.at();
                        }
                    }
                }
            }
            List<String> waiting = missing.entrySet().stream()
                    .filter(e -> e.getValue() > 0)
                    .map(e -> e.getValue() + " of " + e.getKey().trim())
                    .sorted()
                    .toList();
            if (waiting.isEmpty()) {
                return Evaluation.metAt(last, "drained, and every pod that left is Ready on another node");
            }
            return Evaluation.notYet("the node was drained at " + timeline.offset(drainedAt)
                    + ", but no replacement is Ready on another node yet for " + String.join(", ", waiting));
        }
    }

    private static final class Availability implements Expectation {
        private final String deployment;
        private final int minReady;
        private final Window window;

        Availability(String deployment, int minReady, Window window) {
            requireText(deployment, "deployment");
            if (minReady < 0) {
                throw new IllegalArgumentException("minReady must be 0 or more, was " + minReady);
            }
            this.deployment = deployment.contains("/") ? deployment : "default/" + deployment;
            this.minReady = minReady;
            this.window = Objects.requireNonNull(window, "window");
        }

        @Override
        public String name() {
            return "@ExpectAvailability(deployment=\"" + deployment + "\", minReady=" + minReady + ")";
        }

        @Override
        public Window window() {
            return window;
        }

        @Override
        public List<SourceRequest> sources() {
            return List.of(SourceRequest.of(KUBE, "deployment", deployment));
        }

        @Override
        public boolean continuous() {
            return true;
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            List<Observation> counts = new ArrayList<>(timeline.observations().stream()
                    .filter(o -> o.kind().equals(KubeObservations.READY_COUNT)
                            && deployment.equals(o.data().get("deployment")))
                    .toList());
            counts.sort(Comparator.comparing(Observation::at));
            Observation atStart = null;
            List<Observation> inWindow = new ArrayList<>();
            for (Observation o : counts) {
                if (!o.at().isAfter(windowStart)) {
                    atStart = o;
                } else if (!o.at().isAfter(deadline)) {
                    inWindow.add(o);
                }
            }
            List<String> history = new ArrayList<>();
            if (atStart != null) {
                history.add(atStart.data().get("ready") + " at " + timeline.offset(windowStart));
                if (ready(atStart) < minReady) {
                    return Evaluation.violatedAt(windowStart, seen(history, "below " + minReady + " from the start"));
                }
            }
            for (Observation o : inWindow) {
                history.add(o.data().get("ready") + " at " + timeline.offset(o.at()));
                if (ready(o) < minReady) {
                    return Evaluation.violatedAt(
                            o.at(),
                            seen(
                                    history,
                                    "fell to " + ready(o) + " Ready (below minReady " + minReady + ") at "
                                            + timeline.offset(o.at())));
                }
            }
            if (atStart == null && inWindow.isEmpty()) {
                return Evaluation.notYet("no Ready count of " + deployment + " seen yet");
            }
            // held so far, on evidence: a continuous expectation is met at its deadline only with a reading
            return Evaluation.metAt(windowStart, seen(history, "held"));
        }

        private static int ready(Observation o) {
            return Integer.parseInt(o.data().getOrDefault("ready", "0"));
        }

        private String seen(List<String> history, String what) {
            List<String> shown = history.size() > 12 ? history.subList(history.size() - 12, history.size()) : history;
            return deployment + " " + what + "; Ready pods over time: " + String.join(", ", shown);
        }

        @Override
        public String toString() {
            return name() + " " + window.describe();
        }
    }
}
