package dev.spotdrill.core.kube;

import dev.spotdrill.core.drill.Evaluation;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Window;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Running a CronJob's Job at START, as {@code kubectl create job --from=cronjob/<name>} does, and expecting it to
 * complete: the expectation behind {@code @RunCronJob}, its source's kind and its observations.
 *
 * <p>The {@link CronJobSource} creates the Job when START comes, watches it with an informer, writes its completion
 * or failure (with the tail of its pod's log) to the timeline, and deletes it, with its pods, when the drill ends.
 */
public final class CronJobs {
    /** The source's kind and the source of its observations. */
    public static final String KIND = "cronjob";
    /** The request parameter naming the CronJob, {@code namespace/name}. */
    public static final String CRONJOB = "cronJob";

    /** The Job was created from the CronJob (drill-level); data {@code cronJob}, {@code job}. */
    public static final String JOB_CREATED = "JOB_CREATED";
    /**
     * The Job completed; data {@code cronJob}, {@code job}, {@code pod}, {@code exitCode}, {@code logTail} (its pod's
     * last log lines).
     */
    public static final String JOB_COMPLETE = "JOB_COMPLETE";
    /**
     * The Job failed, could not be created, or was deleted by someone else before it ended; data as
     * {@link #JOB_COMPLETE}, plus {@code reason} and {@code message}.
     */
    public static final String JOB_FAILED = "JOB_FAILED";

    /** How many of the pod's last log lines an observation keeps. */
    public static final int LOG_TAIL_LINES = 20;

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private CronJobs() {}

    /**
     * The Job made from the CronJob at START completes within the window ({@code @RunCronJob}). A Job that fails
     * misses at once, with its pod's log tail.
     *
     * @param cronJob {@code namespace/name}
     * @throws IllegalArgumentException when it is not {@code namespace/name}
     */
    public static Expectation run(String cronJob, Window window) {
        if (!valid(cronJob)) {
            throw new IllegalArgumentException(
                    "cronJob must be namespace/name, e.g. cast-ai/spot-blacklist, was " + cronJob);
        }
        return new RunCronJob(cronJob, window);
    }

    /** Whether the text is {@code namespace/name} with DNS-label parts. */
    public static boolean valid(String cronJob) {
        if (cronJob == null) {
            return false;
        }
        String[] parts = cronJob.split("/", -1);
        return parts.length == 2
                && DNS_LABEL.matcher(parts[0]).matches()
                && DNS_LABEL.matcher(parts[1]).matches()
                && parts[1].length() <= 52;
    }

    /** The status key (drill-level) of the Job made from a CronJob. */
    public static String status(String cronJob) {
        return "cronjob:" + cronJob;
    }

    private static final class RunCronJob implements Expectation {
        private final String cronJob;
        private final Window window;

        RunCronJob(String cronJob, Window window) {
            this.cronJob = cronJob;
            this.window = Objects.requireNonNull(window, "window");
        }

        @Override
        public String name() {
            return "@RunCronJob(\"" + cronJob + "\")";
        }

        @Override
        public Window window() {
            return window;
        }

        @Override
        public List<SourceRequest> sources() {
            return List.of(SourceRequest.of(KIND, CRONJOB, cronJob));
        }

        @Override
        public boolean perTarget() {
            return false;
        }

        @Override
        public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
            Optional<Observation> end = timeline.first(o -> o.source().equals(KIND)
                    && cronJob.equals(o.data().get(CRONJOB))
                    && (o.kind().equals(JOB_COMPLETE) || o.kind().equals(JOB_FAILED)));
            if (end.isPresent() && end.get().kind().equals(JOB_COMPLETE)) {
                return Evaluation.metAt(end.get().at(), end.get().detail());
            }
            if (end.isPresent()) {
                return Evaluation.violatedAt(
                        end.get().at(),
                        end.get().detail() + logTail(end.get().data().get("logTail")));
            }
            return Evaluation.notYet(timeline.statusAt("", status(cronJob), deadline)
                    .orElse("no Job was created from CronJob " + cronJob + " yet"));
        }

        @Override
        public String toString() {
            return name() + " " + window.describe();
        }
    }

    /** The log tail, indented under a message's last-seen line. */
    static String logTail(String tail) {
        if (tail == null || tail.isBlank()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("; its pod's log ends:");
        tail.lines().forEach(l -> sb.append("\n      | ").append(l));
        return sb.toString();
    }
}
