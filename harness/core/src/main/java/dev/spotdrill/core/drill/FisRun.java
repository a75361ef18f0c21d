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
    private volatile Coalescer.Seat seat;
    /** The drill's announcement to the coalescer (see {@link Coalescer#preparing}), or null. */
    private volatile Runnable announced;

    private volatile boolean leftRunning;
    private volatile boolean lastOut;

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

    /**
     * Creates the one-off template with explicit instance ARNs and the checked role; returns its id. With {@code
     * spotdrill.fis.coalesce}, joins the drills gathering for a shared template instead (see {@link Coalescer}).
     */
    /** The drill announced that it will coalesce: its join says so (see {@link Coalescer#preparing}). */
    void announced(Runnable announcement) {
        this.announced = announcement;
    }

    String createTemplate(String account, List<Target> targets, Map<String, String> tags, String roleArn) {
        List<String> arns = targets.stream()
                .map(t -> Partition.of(world.region()).instanceArn(world.region(), account, t.instanceId()))
                .toList();
        Optional<Duration> window = options.coalesce();
        if (window.isPresent() && arns.size() <= Coalescer.MAX_ACTIONS * TemplateRequest.PER_ACTION) {
            String key = String.join(
                    "|",
                    world.name(),
                    world.region(),
                    world.endpoint(dev.spotdrill.core.AwsService.FIS)
                            .map(Object::toString)
                            .orElse(""),
                    account,
                    roleArn,
                    options.stopAlarmArn().orElse(""));
            progress.accept(
                    "gathering drills for a coalesced FIS experiment (spotdrill.fis.coalesce=" + window.get() + ")");
            Coalescer.Seat s = Coalescer.join(
                    key,
                    window.get(),
                    backend,
                    roleArn,
                    options.stopAlarmArn(),
                    new Coalescer.Entry(info, arns, spec.leadTime(), tags, gate),
                    announced);
            seat = s;
            templateJson = s.templateJson();
            templateId = s.templateId();
            progress.accept("coalesced: FIS template " + templateId + " shared by " + s.drills() + " drill(s)");
            return templateId;
        }
        if (announced != null) {
            announced.run(); // too many targets to coalesce: it joins no batch
        }
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
        ExperimentView view;
        Coalescer.Seat s = seat;
        if (s != null) {
            view = s.start(template -> startWithQuotaWait(template, tags));
            templateId = s.templateId();
        } else {
            view = startWithQuotaWait(templateId, tags);
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
        if (s != null) {
            return ownStart(running);
        }
        return running.actionsStart().or(running::startTime).orElseGet(clock::now);
    }

    /** A coalesced drill's START: when its own actions began (they start with the experiment's first poll or so). */
    private Instant ownStart(ExperimentView running) {
        Optional<Instant> own = Coalescer.ownStart(running, seat.actionNames());
        if (own.isEmpty()) {
            ExperimentView later = awaitExperiment(
                    v -> v.terminal()
                            || Coalescer.ownStart(v, seat.actionNames()).isPresent(),
                    world.clock().now().plus(START_WAIT),
                    "the drill's actions in FIS experiment " + running.id() + " to start");
            own = Coalescer.ownStart(later, seat.actionNames());
            running = later;
        }
        return own.or(running::actionsStart).or(running::startTime).orElseGet(world.clock()::now);
    }

    /** StartExperiment, waiting for a free slot on 402 up to {@code spotdrill.fis.quotaWait}. */
    private ExperimentView startWithQuotaWait(String template, Map<String, String> tags) {
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(options.quotaWait());
        Duration backoff = Duration.ofSeconds(5);
        while (true) {
            try {
                return gate.pass(
                        "start the FIS experiment",
                        () -> backend.startExperiment(template, token("/experiment"), tags));
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
    }

    /** Throws when the experiment has ended failed or cancelled. */
    void failIfFailed() {
        ExperimentView v = watcher == null ? null : watcher.last();
        if (v != null && v.failedOrCancelled()) {
            throw new ExperimentFailedException(
                    Messages.experimentEnded(v.id(), v.status(), v.reason(), v.errorCode(), v.errorLocation()));
        }
        ownFailure(v).ifPresent(f -> {
            throw f;
        });
    }

    /** For a coalesced drill: its own actions ended failed or cancelled while the experiment did not. */
    private Optional<ExperimentFailedException> ownFailure(ExperimentView v) {
        Coalescer.Seat s = seat;
        if (s == null || v == null) {
            return Optional.empty();
        }
        return Coalescer.ownStatus(v, s.actionNames())
                .filter(st -> st.equals("failed") || st.equals("cancelled"))
                .map(st -> new ExperimentFailedException("FIS ended this drill's action in coalesced experiment "
                        + v.id() + " " + st + ": " + Coalescer.ownReason(v, s.actionNames(), st)));
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
        if (seat != null) {
            Optional<Throwable> shared = endShared(aborted);
            if (shared != null) {
                return shared;
            }
            // the last drill in the experiment ends it as a drill of its own would
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
        if (!aborted) {
            Optional<ExperimentFailedException> own = ownFailure(v);
            if (own.isPresent()) {
                return Optional.of(own.get());
            }
        }
        return Optional.empty();
    }

    /**
     * A coalesced drill's end while other drills are still in its experiment: an abort leaves the experiment running
     * for them; otherwise it waits for its own actions to end. Returns null when this drill is the last one in the
     * experiment: it then ends the experiment as a drill of its own would.
     */
    private Optional<Throwable> endShared(boolean aborted) {
        WorldClock clock = world.clock();
        Coalescer.Seat s = seat;
        ExperimentView v = watcher.poll();
        if (aborted) {
            int others = s.others();
            if (v.terminal() || !s.leaveUnlessLast()) {
                return null;
            }
            leftRunning = true;
            timeline.status(
                    "",
                    "fis:experiment",
                    clock.now(),
                    "left running: the test aborted, and " + others + " other drill(s) share the coalesced experiment");
            progress.accept("the test aborted: FIS experiment " + v.id() + " is left running for the " + others
                    + " other drill(s) in it; this drill's targets are still interrupted at INTERRUPTION");
            return Optional.empty();
        }
        Instant interruption = timeline.interruptionTime().orElse(clock.now());
        Instant limit = (interruption.isAfter(clock.now()) ? interruption : clock.now()).plus(Duration.ofMinutes(5));
        if (!ownEnded(v)) {
            progress.accept("waiting for this drill's actions in FIS experiment " + v.id() + " to end");
            v = awaitExperiment(this::ownEnded, limit, "this drill's actions in FIS experiment " + v.id() + " to end");
        }
        if (!s.leaveUnlessLast()) {
            return null;
        }
        if (v.failedOrCancelled()) {
            return Optional.of(new ExperimentFailedException(
                    Messages.experimentEnded(v.id(), v.status(), v.reason(), v.errorCode(), v.errorLocation())));
        }
        return ownFailure(v).map(Throwable.class::cast);
    }

    private boolean ownEnded(ExperimentView v) {
        return v.terminal()
                || Coalescer.ownStatus(v, seat.actionNames())
                        .map(Coalescer::ended)
                        .orElse(false);
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
        if (leftRunning) {
            return pendingLeftRunning(targets);
        }
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

    /**
     * A coalesced drill that aborted and left the experiment running for the others: every one of its targets will
     * still be interrupted at INTERRUPTION.
     */
    private Optional<InterruptionPendingException> pendingLeftRunning(List<Target> targets) {
        if (targets.isEmpty()) {
            return Optional.empty();
        }
        List<String> ids = targets.stream().map(Target::instanceId).toList();
        String id = last().map(ExperimentView::id).orElse("?");
        String when = timeline.interruptionTime().map(Instant::toString).orElse("INTERRUPTION");
        return Optional.of(new InterruptionPendingException(
                "spotdrill left coalesced FIS experiment " + id + " running after the test aborted, for the other"
                        + " drills that share it (FIS stops only whole experiments), so " + String.join(", ", ids)
                        + " will still be interrupted at " + when + " (INTERRUPTION, world time); run this drill"
                        + " without spotdrill.fis.coalesce to have an abort stop its experiment",
                ids));
    }

    /**
     * Stops the watcher and deletes the template, if one was created; throws what the delete threw. A coalesced drill
     * deletes the shared template only when it is the last one in it.
     */
    void close() {
        if (watcher != null) {
            watcher.close();
        }
        Coalescer.Seat s = seat;
        if (s != null) {
            lastOut = s.leave() || lastOut;
            if (lastOut && s.templateId() != null) {
                backend.deleteTemplate(s.templateId());
            }
            return;
        }
        if (templateId != null) {
            backend.deleteTemplate(templateId);
        }
    }

    Optional<String> templateId() {
        Coalescer.Seat s = seat;
        return s != null ? Optional.ofNullable(s.templateId()) : Optional.ofNullable(templateId);
    }

    /** The experiment's JSON for the report: a coalesced drill's shows only its own actions and targets. */
    Optional<String> experimentJson() {
        Coalescer.Seat s = seat;
        return last().map(v -> s == null ? v.json() : Coalescer.ownJson(v.json(), s.actionNames(), s.drills() - 1));
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
