package dev.spotdrill.core.drill;

import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.ExperimentFailedException;
import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.InterruptionPendingException;
import dev.spotdrill.core.Partition;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.aws.ExperimentWatcher;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.internal.TemplateRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A drill's FIS side: the account guardrail, the one-off template, the experiment from start to running, and its
 * end (waited for, or stopped when the drill aborted). Every call goes through {@link AwsBackend}.
 */
final class FisRun {
    /** How long an experiment may take from StartExperiment to running, in world time (and at least a wall minute). */
    static final Duration START_WAIT = Duration.ofMinutes(5);

    private final World world;
    private final DrillInfo info;
    private final DrillSpec spec;
    private final DrillOptions options;
    private final AwsBackend backend;
    private final Timeline timeline;
    private final Consumer<String> progress;
    private final Gate gate;

    private volatile String templateId;
    private volatile Instant stoppedAt;
    private volatile String templateJson;
    private volatile ExperimentWatcher watcher;

    FisRun(
            World world,
            DrillInfo info,
            DrillSpec spec,
            DrillOptions options,
            AwsBackend backend,
            Timeline timeline,
            Consumer<String> progress,
            Gate gate) {
        this.world = world;
        this.gate = gate;
        this.info = info;
        this.spec = spec;
        this.options = options;
        this.backend = backend;
        this.timeline = timeline;
        this.progress = progress;
    }

    /** Checks the blast radius and the caller's account; returns the account. */
    String guardAccount(List<Target> targets) {
        if (targets.size() > options.maxTargets()) {
            throw new GuardrailException(Messages.tooManyTargets(targets.size(), options.maxTargets()));
        }
        String account = backend.callerAccount();
        if (!options.accounts().isEmpty() && !options.accounts().contains(account)) {
            throw new GuardrailException(Messages.wrongAccount(account, options.accounts()));
        }
        return account;
    }

    /** Creates the one-off template with explicit instance ARNs and the checked role; returns its id. */
    String createTemplate(String account, List<Target> targets, Map<String, String> tags, String roleArn) {
        List<String> arns = targets.stream()
                .map(t -> Partition.of(world.region()).instanceArn(world.region(), account, t.instanceId()))
                .toList();
        TemplateRequest request = new TemplateRequest(
                token("/template"),
                "spotdrill " + info.runId() + ": " + info.testName(),
                roleArn,
                arns,
                spec.leadTime(),
                options.stopAlarmArn(),
                tags);
        templateJson = request.json();
        templateId = gate.pass("create the FIS experiment template", () -> backend.createTemplate(request));
        return templateId;
    }

    /**
     * Starts the experiment (waiting for a free slot on 402, up to {@code spotdrill.fis.quotaWait}) and waits until
     * it runs; returns START, the world time its Spot action began.
     *
     * @param started told the experiment id as soon as FIS accepted it
     */
    Instant start(Map<String, String> tags, Consumer<String> started) {
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(options.quotaWait());
        Duration backoff = Duration.ofSeconds(5);
        ExperimentView view;
        while (true) {
            try {
                view = gate.pass(
                        "start the FIS experiment",
                        () -> backend.startExperiment(templateId, token("/experiment"), tags));
                break;
            } catch (AwsBackend.QuotaExceededException e) {
                if (clock.now().isAfter(giveUp)) {
                    throw new ExperimentFailedException(
                            Messages.quotaWaitExceeded(options.quotaWait().toString()));
                }
                progress.accept("FIS has no free experiment slot (ServiceQuotaExceeded); retrying in " + backoff
                        + " (world time), up to spotdrill.fis.quotaWait=" + options.quotaWait());
                Backoff.pause(clock, backoff);
                backoff = Backoff.next(backoff, Duration.ofSeconds(30));
            }
        }
        String id = view.id();
        started.accept(id);
        watcher = ExperimentWatcher.start(world, backend, view, timeline, v -> {});
        watcher.record(view);
        // the watcher polls too, so "running" may already have given way to a later state
        ExperimentView running = awaitExperiment(
                v -> !v.status().equals("pending") && !v.status().equals("initiating"),
                clock.now().plus(START_WAIT),
                "FIS experiment " + id + " to run");
        if (running.failedOrCancelled()) {
            throw new ExperimentFailedException(Messages.experimentEnded(
                    id, running.status(), running.reason(), running.errorCode(), running.errorLocation()));
        }
        if (running.status().equals("pending") || running.status().equals("initiating")) {
            throw new ExperimentFailedException(
                    Messages.experimentNotRunning(id, running.status(), START_WAIT, watcher.readHealth()));
        }
        return running.actionsStart().or(running::startTime).orElseGet(clock::now);
    }

    /** Throws when the experiment has ended failed or cancelled. */
    void failIfFailed() {
        ExperimentView v = watcher == null ? null : watcher.last();
        if (v != null && v.failedOrCancelled()) {
            throw new ExperimentFailedException(
                    Messages.experimentEnded(v.id(), v.status(), v.reason(), v.errorCode(), v.errorLocation()));
        }
    }

    /**
     * Ends the experiment: stops it when the drill aborted, else waits for it to end (and stops it when it outlasts
     * INTERRUPTION by 5 minutes). Returns a failed or cancelled end as a failure, when not aborted.
     *
     * @throws ExperimentFailedException when FIS refuses to stop it after an abort
     */
    Optional<Throwable> end(boolean aborted) {
        if (watcher == null) {
            return Optional.empty();
        }
        WorldClock clock = world.clock();
        ExperimentView v = watcher.poll();
        String id = v.id();
        if (aborted && !v.terminal()) {
            timeline.status("", "fis:experiment", clock.now(), "stopping: the test aborted");
            try {
                stoppedAt = clock.now();
                backend.stopExperiment(id);
            } catch (RuntimeException e) {
                String why = Redactor.redact(String.valueOf(e.getMessage()));
                timeline.status("", "fis:experiment", clock.now(), "stop refused: " + why);
                throw new ExperimentFailedException(Messages.stopRefused(id, info.runId(), why), e);
            }
            watcher.nudge();
            v = awaitExperiment(
                    ExperimentView::terminal,
                    clock.now().plus(Duration.ofMinutes(2)),
                    "FIS experiment " + id + " to stop");
            watcher.record(v);
            return Optional.empty();
        }
        if (!v.terminal()) {
            Instant interruption = timeline.interruptionTime().orElse(clock.now());
            Instant limit =
                    (interruption.isAfter(clock.now()) ? interruption : clock.now()).plus(Duration.ofMinutes(5));
            progress.accept("waiting for FIS experiment " + id + " to end");
            v = awaitExperiment(ExperimentView::terminal, limit, "FIS experiment " + id + " to end");
        }
        if (!v.terminal()) {
            backend.stopExperiment(id);
            watcher.nudge();
            v = awaitExperiment(
                    ExperimentView::terminal,
                    clock.now().plus(Duration.ofMinutes(2)),
                    "FIS experiment " + id + " to stop");
        }
        if (v.failedOrCancelled() && !aborted) {
            return Optional.of(new ExperimentFailedException(
                    Messages.experimentEnded(id, v.status(), v.reason(), v.errorCode(), v.errorLocation())));
        }
        return Optional.empty();
    }

    /** Stops the experiment at once, without waiting for it to end (the JVM's shutdown cleanup). */
    void stopNow() {
        ExperimentView v = last().orElse(null);
        if (v == null || v.terminal()) {
            return;
        }
        stoppedAt = world.clock().now();
        timeline.status("", "fis:experiment", stoppedAt, "stopping: the JVM is shutting down");
        backend.stopExperiment(v.id());
    }

    /**
     * After an abort stopped the experiment: the targets whose instance-action notice had gone out by the stop (seen
     * by a source, or due by then: INTERRUPTION minus 2 minutes), which may still be interrupted; empty when none.
     */
    Optional<InterruptionPendingException> pendingAfterStop(List<Target> targets) {
        Instant stop = stoppedAt;
        Optional<Instant> start = timeline.startTime();
        Optional<Instant> interruption = timeline.interruptionTime();
        if (stop == null || start.isEmpty() || interruption.isEmpty()) {
            return Optional.empty();
        }
        Instant noticeDue = interruption.get().minus(Duration.ofMinutes(2));
        List<String> atRisk = new java.util.ArrayList<>();
        List<String> lines = new java.util.ArrayList<>();
        for (Target t : targets) {
            Optional<Instant> seen = timeline.moment(Moment.NOTICE, t.instanceId());
            boolean sent = seen.isPresent() || !stop.isBefore(noticeDue);
            if (sent) {
                atRisk.add(t.instanceId());
                lines.add(t.describe() + ": notice "
                        + seen.map(at -> "seen at " + timeline.offset(at))
                                .orElse("due at " + timeline.offset(noticeDue) + ", before the stop at "
                                        + timeline.offset(stop)));
            }
        }
        if (atRisk.isEmpty()) {
            return Optional.empty();
        }
        String id = last().map(ExperimentView::id).orElse("?");
        return Optional.of(new InterruptionPendingException(
                "spotdrill stopped FIS experiment " + id + " after the test aborted, but the instance-action notice"
                        + " had already gone out, so " + String.join(", ", atRisk) + (atRisk.size() == 1 ? " " : " ")
                        + "may still be interrupted at " + interruption.get() + " (INTERRUPTION, world time): FIS is"
                        + " not documented to take an interruption back once its notice is sent\n  "
                        + String.join("\n  ", lines) + "\n  check with `aws ec2 describe-instances --instance-ids "
                        + String.join(" ", atRisk) + "`; a lead time over PT2M leaves time to abort before the notice",
                atRisk));
    }

    /** Stops the watcher and deletes the template, if one was created; throws what the delete threw. */
    void close() {
        if (watcher != null) {
            watcher.close();
        }
        if (templateId != null) {
            backend.deleteTemplate(templateId);
        }
    }

    Optional<String> templateId() {
        return Optional.ofNullable(templateId);
    }

    Optional<String> templateJson() {
        return Optional.ofNullable(templateJson);
    }

    /** The experiment's last known state, once started. */
    Optional<ExperimentView> last() {
        return Optional.ofNullable(watcher).map(ExperimentWatcher::last);
    }

    /** Waits, on the watcher's own backoff polling, for the experiment to satisfy {@code done}. */
    private ExperimentView awaitExperiment(Predicate<ExperimentView> done, Instant worldLimit, String what) {
        WorldClock clock = world.clock();
        Duration wall = clock.wallUntil(worldLimit);
        if (wall.compareTo(Duration.ofMinutes(1)) < 0) {
            wall = Duration.ofMinutes(1); // at a fast pace a busy machine can take longer than the world limit
        }
        try {
            await().alias(what)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(10))
                    .atMost(wall)
                    .until(() -> done.test(watcher.pollIfStale(Duration.ofMillis(500))));
        } catch (ConditionTimeoutException e) {
            // the caller judges the last view
        }
        return watcher.last();
    }

    private String token(String what) {
        return UUID.nameUUIDFromBytes((info.runId() + what).getBytes(StandardCharsets.UTF_8))
                .toString();
    }
}
