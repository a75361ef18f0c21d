package dev.spotdrill.core.drill;

import dev.spotdrill.core.kube.DeploymentSnapshot;
import dev.spotdrill.core.kube.FargateObservations;
import dev.spotdrill.core.kube.FargateSource;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The expectations on a Spot→Fargate orchestrator, for use through core's API without JUnit;
 * {@code @ExpectFargateMigration} and {@code @ExpectRecovery} create the same objects. Both are judged once for the
 * whole drill, from what the Fargate source ({@value FargateObservations#SOURCE}) puts on the timeline: the
 * Deployment's annotations, its rollout, and the nodes its pods run on.
 */
public final class FargateExpectations {
    /** The kind of the Fargate source, which these expectations ask for. */
    public static final String FARGATE = FargateObservations.SOURCE;

    private FargateExpectations() {}

    /**
     * The annotation keys and labels an orchestrator uses, with the reference orchestrator's defaults
     * ({@link #defaults()}).
     *
     * @param state the state annotation ({@code spot} or {@code fargate})
     * @param migratedAt the annotation with the migration's time (RFC 3339)
     * @param reason the migration's reason ({@code spot-interruption}, {@code manual}, {@code rollback})
     * @param lastRecovered the time of the last recovery attempt (RFC 3339)
     * @param recoveryReason why the last recovery ended as it did
     * @param failedAttempts how many recovery attempts failed in a row
     * @param computeLabel the pod template label (and nodeSelector key) the orchestrator switches
     * @param fargateNodeLabel the label of a Fargate node, {@code key=value}
     */
    public record Keys(
            String state,
            String migratedAt,
            String reason,
            String lastRecovered,
            String recoveryReason,
            String failedAttempts,
            String computeLabel,
            String fargateNodeLabel) {

        public Keys {
            for (String k : new String[] {
                state, migratedAt, reason, lastRecovered, recoveryReason, failedAttempts, computeLabel, fargateNodeLabel
            }) {
                if (k == null || k.isBlank()) {
                    throw new IllegalArgumentException("an annotation or label key must not be blank");
                }
            }
            int eq = fargateNodeLabel.indexOf('=');
            if (eq <= 0 || eq == fargateNodeLabel.length() - 1) {
                throw new IllegalArgumentException(
                        "fargateNodeLabel must be key=value, e.g. eks.amazonaws.com/compute-type=fargate, was "
                                + fargateNodeLabel);
            }
        }

        /** The reference orchestrator's keys, and EKS's Fargate node label. */
        public static Keys defaults() {
            return new Keys(
                    "spot-orchestrator/state",
                    "spot-orchestrator/migrated-at",
                    "spot-orchestrator/reason",
                    "spot-orchestrator.io/last-recovered-at",
                    "spot-orchestrator.io/recovery-reason",
                    "spot-orchestrator.io/failed-recovery-attempts",
                    "compute-type",
                    "eks.amazonaws.com/compute-type=fargate");
        }

        String nodeKey() {
            return fargateNodeLabel.substring(0, fargateNodeLabel.indexOf('='));
        }

        String nodeValue() {
            return fargateNodeLabel.substring(fargateNodeLabel.indexOf('=') + 1);
        }
    }

    /** The Deployment moves to Fargate ({@code @ExpectFargateMigration}), with the reference orchestrator's keys. */
    public static Expectation migration(String deployment, Window window) {
        return migration(deployment, Keys.defaults(), window);
    }

    /**
     * The Deployment moves to Fargate inside the window ({@code @ExpectFargateMigration}): its annotations say
     * {@code state=fargate} with {@code reason=spot-interruption} and a {@code migrated-at} inside the window, its
     * rollout is complete, and every Ready pod runs on a Fargate node.
     *
     * @param deployment {@code namespace/name}
     */
    public static Expectation migration(String deployment, Keys keys, Window window) {
        return new Migration(qualified(deployment), keys, window);
    }

    /** The Deployment comes back to Spot ({@code @ExpectRecovery}), with the reference orchestrator's keys. */
    public static Expectation recovery(String deployment, Window window) {
        return recovery(deployment, Keys.defaults(), window);
    }

    /**
     * The Deployment comes back to Spot inside the window ({@code @ExpectRecovery}): {@code state=spot}, the
     * recovery annotations set during the drill with no failed attempt pending, the rollout complete, and every
     * Ready pod on a node that is not Fargate's.
     *
     * @param deployment {@code namespace/name}
     */
    public static Expectation recovery(String deployment, Keys keys, Window window) {
        return new Recovery(qualified(deployment), keys, window);
    }

    private static String qualified(String deployment) {
        if (deployment == null || deployment.isBlank()) {
            throw new IllegalArgumentException("deployment must not be blank");
        }
        return deployment.contains("/") ? deployment : "default/" + deployment;
    }

    /** What both expectations share: the source request, the snapshots, the descriptions. */
    private abstract static class OnDeployment implements Expectation {
        final String deployment;
        final Keys keys;
        final Window window;
        private final Map<Observation, DeploymentSnapshot> parsed =
                Collections.synchronizedMap(new IdentityHashMap<>());

        OnDeployment(String deployment, Keys keys, Window window) {
            this.deployment = deployment;
            this.keys = Objects.requireNonNull(keys, "keys");
            this.window = Objects.requireNonNull(window, "window");
        }

        @Override
        public Window window() {
            return window;
        }

        @Override
        public List<SourceRequest> sources() {
            Map<String, String> params = new LinkedHashMap<>();
            params.put(FargateSource.DEPLOYMENT, deployment);
            params.put(FargateSource.COMPUTE_LABEL, keys.computeLabel());
            params.put(FargateSource.NODE_LABEL, keys.nodeKey());
            return List.of(new SourceRequest(FARGATE, params));
        }

        @Override
        public boolean perTarget() {
            return false;
        }

        /** Every snapshot of the Deployment on the timeline, in world-time order. */
        List<Snap> snapshots(Timeline timeline) {
            List<Snap> out = new ArrayList<>();
            for (Observation o : timeline.observations()) {
                if (o.source().equals(FARGATE)
                        && deployment.equals(o.data().get(FargateObservations.DEPLOYMENT))
                        && o.data().containsKey(FargateObservations.SNAPSHOT)) {
                    DeploymentSnapshot s = parsed.computeIfAbsent(
                            o, k -> DeploymentSnapshot.fromJson(k.data().get(FargateObservations.SNAPSHOT)));
                    out.add(new Snap(o.at(), s));
                }
            }
            out.sort(Comparator.comparing(Snap::at));
            return out;
        }

        /** The last snapshot at or before the deadline (or the first one, if all came later). */
        Optional<Snap> lastSeen(List<Snap> snaps, Instant deadline) {
            Snap last = null;
            for (Snap s : snaps) {
                if (!s.at().isAfter(deadline) || last == null) {
                    last = s;
                }
            }
            return Optional.ofNullable(last);
        }

        boolean onFargate(DeploymentSnapshot.PodState p) {
            return p.onNodeLabelled(keys.nodeKey(), keys.nodeValue());
        }

        String ann(DeploymentSnapshot s, String key) {
            return key + "=" + s.annotation(key).orElse("(unset)");
        }

        /** Where the pods are: on EC2 nodes, Pending (with why), on Fargate. */
        String pods(DeploymentSnapshot s) {
            List<String> parts = new ArrayList<>();
            List<String> ec2 = s.pods().stream()
                    .filter(p -> !p.pending() && p.nodeSeen() && !onFargate(p))
                    .map(p -> p.name() + " on " + p.node() + (p.ready() ? "" : " (not Ready)"))
                    .toList();
            List<String> unseen = s.pods().stream()
                    .filter(p -> !p.pending() && !p.nodeSeen())
                    .map(p -> p.name() + " on " + p.node())
                    .toList();
            List<String> pending = s.pods().stream()
                    .filter(DeploymentSnapshot.PodState::pending)
                    .map(p -> p.name() + " ("
                            + (p.scheduling().isEmpty()
                                    ? "not scheduled yet" + (p.scheduler().isEmpty() ? "" : " by " + p.scheduler())
                                    : p.scheduling())
                            + ")")
                    .toList();
            List<String> fargate = s.pods().stream()
                    .filter(p -> !p.pending() && onFargate(p))
                    .map(p -> p.name() + " on " + p.node() + (p.ready() ? " (Ready)" : " (not Ready)"))
                    .toList();
            if (!ec2.isEmpty()) {
                parts.add("pods on EC2 nodes: " + String.join(", ", ec2));
            }
            if (!unseen.isEmpty()) {
                parts.add("pods on nodes not seen yet: " + String.join(", ", unseen));
            }
            if (!pending.isEmpty()) {
                parts.add("Pending pods: " + String.join(", ", pending));
            }
            if (!fargate.isEmpty()) {
                parts.add("pods on Fargate (" + keys.fargateNodeLabel() + "): " + String.join(", ", fargate));
            }
            if (parts.isEmpty()) {
                parts.add("no pods");
            }
            return String.join("; ", parts);
        }

        @Override
        public String toString() {
            return name() + " " + window.describe();
        }
    }

    /** A snapshot and when the source took it. */
    private record Snap(Instant at, DeploymentSnapshot snapshot) {}

    private static Optional<Instant> time(Optional<String> v) {
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(v.get()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The failed-attempts annotation: a whole number, or the reference orchestrator's own form {@code 2m}. */
    static int attempts(Optional<String> v) {
        if (v.isEmpty() || v.get().isBlank()) {
            return 0;
        }
        String s = v.get().trim();
        try {
            return Integer.parseInt(s.endsWith("m") ? s.substring(0, s.length() - 1) : s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static final class Migration extends OnDeployment {
        Migration(String deployment, Keys keys, Window window) {
            super(deployment, keys, window);
        }

        @Override
        public String name() {
            return "@ExpectFargateMigration(deployment=\"" + deployment + "\")";
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            Instant earliest = earliest(timeline, windowStart);
            List<Snap> snaps = snapshots(timeline);
            for (Snap s : snaps) {
                if (failed(s.snapshot(), earliest).isEmpty()) {
                    Instant at = s.at().isBefore(windowStart) ? windowStart : s.at();
                    return Evaluation.metAt(at, describe(timeline, s, earliest));
                }
            }
            return Evaluation.notYet(lastSeen(snaps, deadline)
                    .map(s -> describe(timeline, s, earliest))
                    .orElse("no reading of " + deployment + " yet"));
        }

        /**
         * The earliest {@code migrated-at} that counts: the window's start, or when FIS sent the warning if that came
         * first (two minutes before INTERRUPTION, not before START), since the orchestrator may hear the warning
         * before the harness sees NOTICE; to the second, as RFC 3339 annotations are written.
         */
        private static Instant earliest(Timeline timeline, Instant windowStart) {
            Instant earliest = windowStart;
            Optional<Instant> start = timeline.startTime();
            if (start.isPresent()) {
                Instant sent = timeline.interruptionTime()
                        .map(i -> i.minus(Duration.ofMinutes(2)))
                        .filter(t -> t.isAfter(start.get()))
                        .orElse(start.get());
                earliest = sent.isBefore(earliest) ? sent : earliest;
            }
            return earliest.truncatedTo(ChronoUnit.SECONDS);
        }

        private List<String> failed(DeploymentSnapshot s, Instant earliest) {
            List<String> failed = new ArrayList<>();
            Optional<Instant> migratedAt = time(s.annotation(keys.migratedAt()));
            if (!s.annotation(keys.state()).equals(Optional.of("fargate"))
                    || !s.annotation(keys.reason()).equals(Optional.of("spot-interruption"))
                    || migratedAt.isEmpty()
                    || migratedAt.get().isBefore(earliest)) {
                failed.add("the annotations");
            }
            if (!s.rolloutComplete()) {
                failed.add("the rollout");
            }
            List<DeploymentSnapshot.PodState> ready =
                    s.pods().stream().filter(DeploymentSnapshot.PodState::ready).toList();
            if (ready.isEmpty() || !ready.stream().allMatch(this::onFargate)) {
                failed.add("the pods' nodes");
            }
            return failed;
        }

        private String describe(Timeline timeline, Snap snap, Instant earliest) {
            DeploymentSnapshot s = snap.snapshot();
            List<String> failed = failed(s, earliest);
            StringBuilder sb = new StringBuilder(deployment).append(" at ").append(timeline.offset(snap.at()));
            sb.append(failed.isEmpty() ? ": migrated" : ": not migrated (" + String.join(", ", failed) + ")");
            sb.append("; annotations ")
                    .append(ann(s, keys.state()))
                    .append(", ")
                    .append(ann(s, keys.reason()))
                    .append(", ")
                    .append(ann(s, keys.migratedAt()));
            time(s.annotation(keys.migratedAt()))
                    .filter(t -> t.isBefore(earliest))
                    .ifPresent(t -> sb.append(" (before this drill's warning at ")
                            .append(timeline.offset(earliest))
                            .append(")"));
            sb.append("; rollout ")
                    .append(s.rolloutComplete() ? "complete" : "not complete")
                    .append(": ")
                    .append(s.rollout());
            sb.append("; ").append(pods(s));
            return sb.toString();
        }
    }

    private static final class Recovery extends OnDeployment {
        Recovery(String deployment, Keys keys, Window window) {
            super(deployment, keys, window);
        }

        @Override
        public String name() {
            return "@ExpectRecovery(deployment=\"" + deployment + "\")";
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            Instant since = timeline.startTime().orElse(windowStart).truncatedTo(ChronoUnit.SECONDS);
            List<Snap> snaps = snapshots(timeline);
            for (Snap s : snaps) {
                if (failed(s.snapshot(), since).isEmpty()) {
                    Instant at = s.at().isBefore(windowStart) ? windowStart : s.at();
                    return Evaluation.metAt(at, describe(timeline, s, since));
                }
            }
            return Evaluation.notYet(lastSeen(snaps, deadline)
                    .map(s -> describe(timeline, s, since))
                    .orElse("no reading of " + deployment + " yet"));
        }

        private List<String> failed(DeploymentSnapshot s, Instant since) {
            List<String> failed = new ArrayList<>();
            if (!s.annotation(keys.state()).equals(Optional.of("spot"))) {
                failed.add("the state");
            }
            Optional<Instant> last = time(s.annotation(keys.lastRecovered()));
            if (last.isEmpty()
                    || last.get().isBefore(since)
                    || s.annotation(keys.recoveryReason())
                            .filter(r -> !r.isBlank())
                            .isEmpty()
                    || attempts(s.annotation(keys.failedAttempts())) != 0) {
                failed.add("the recovery annotations");
            }
            if (!s.rolloutComplete()) {
                failed.add("the rollout");
            }
            List<DeploymentSnapshot.PodState> ready =
                    s.pods().stream().filter(DeploymentSnapshot.PodState::ready).toList();
            if (ready.isEmpty() || !ready.stream().allMatch(p -> p.nodeSeen() && !onFargate(p))) {
                failed.add("the pods' nodes");
            }
            return failed;
        }

        private String describe(Timeline timeline, Snap snap, Instant since) {
            DeploymentSnapshot s = snap.snapshot();
            List<String> failed = failed(s, since);
            StringBuilder sb = new StringBuilder(deployment).append(" at ").append(timeline.offset(snap.at()));
            sb.append(failed.isEmpty() ? ": back on Spot" : ": not back on Spot (" + String.join(", ", failed) + ")");
            int attempts = attempts(s.annotation(keys.failedAttempts()));
            sb.append("; ")
                    .append(attempts < 0 ? "unreadable" : Integer.toString(attempts))
                    .append(" failed recovery attempt")
                    .append(attempts == 1 ? "" : "s")
                    .append(" (")
                    .append(ann(s, keys.failedAttempts()))
                    .append(")");
            List<Instant> tries = timeline.observations().stream()
                    .filter(o -> o.source().equals(FARGATE)
                            && o.kind().equals(FargateObservations.RECOVERY_ATTEMPT)
                            && deployment.equals(o.data().get(FargateObservations.DEPLOYMENT))
                            && !o.at().isAfter(snap.at()))
                    .map(Observation::at)
                    .sorted()
                    .toList();
            if (tries.isEmpty()) {
                sb.append("; no recovery attempt seen");
            } else {
                sb.append("; recovery attempts at ")
                        .append(tries.stream().map(timeline::offset).collect(Collectors.joining(", ")));
                if (tries.size() > 1) {
                    List<String> gaps = new ArrayList<>();
                    for (int i = 1; i < tries.size(); i++) {
                        gaps.add(Duration.between(tries.get(i - 1), tries.get(i))
                                .truncatedTo(ChronoUnit.SECONDS)
                                .toString());
                    }
                    sb.append(" (backing off ")
                            .append(String.join(", then ", gaps))
                            .append(")");
                }
            }
            sb.append("; annotations ")
                    .append(ann(s, keys.state()))
                    .append(", ")
                    .append(ann(s, keys.lastRecovered()))
                    .append(", ")
                    .append(ann(s, keys.recoveryReason()))
                    .append(", ")
                    .append(ann(s, keys.migratedAt()));
            sb.append("; rollout ")
                    .append(s.rolloutComplete() ? "complete" : "not complete")
                    .append(": ")
                    .append(s.rollout());
            sb.append("; ").append(pods(s));
            return sb.toString();
        }
    }
}
