package dev.spotdrill.core.drill;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.InterruptionPendingException;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.FisRoleGuard;
import dev.spotdrill.core.internal.InstanceClaims;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.internal.Probes;
import dev.spotdrill.core.internal.SpecCheck;
import dev.spotdrill.core.internal.SpotActionCheck;
import dev.spotdrill.core.internal.TargetClaims;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One drill: resolve targets, check guardrails, create a one-off FIS template, start the experiment, observe,
 * decide the verdicts, clean up. Usable without JUnit:
 *
 * <pre>{@code
 * try (Drill drill = Drill.prepare(world, spec, DrillOptions.from(config, world), "nightly", DrillListener.load())) {
 *     drill.start();
 *     List<Verdict> verdicts = drill.awaitVerdicts();
 * }
 * }</pre>
 *
 * <p>What it watches comes from {@link Source}s, found by {@link java.util.ServiceLoader}: the ones its
 * expectations ask for, and every one that can see a moment an expectation is measured from. A drill whose spec
 * has no selector is <em>observation-only</em>: no FIS call, START is when its sources run.
 *
 * <p>{@link #close()} always closes the sources and deletes the template and, when the drill was
 * {@linkplain #abort aborted}, stops an experiment that still runs.
 */
public final class Drill implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Drill.class);

    private final World world;
    private final DrillSpec spec;
    private final DrillOptions options;
    private final DrillInfo info;
    private final List<DrillListener> listeners;
    private final List<Source> available;
    private final AwsBackend backend;
    private final Timeline timeline = new Timeline();
    private final long seed;
    private final FisRun fis;
    private final Judge judge;
    private final Context context = new Context();
    private final List<Verdict> verdicts = Collections.synchronizedList(new ArrayList<>());
    private final List<Consumer<Instant>> onStart = new CopyOnWriteArrayList<>();

    private final Gate gate = new Gate();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final TargetResolver resolver;

    private volatile List<Target> targets = List.of();
    private volatile boolean claimed;
    private volatile InstanceClaims.Lease lease;
    private volatile String roleArn;
    private volatile SourceSet sources;
    private volatile Map<String, String> tags;
    private volatile Throwable abortCause;
    private volatile Throwable failure;
    private volatile Throwable cleanupFailure;
    private volatile ScheduledFuture<?> interruptionBell;

    private Drill(
            World world,
            DrillSpec spec,
            DrillOptions options,
            String testName,
            List<DrillListener> listeners,
            AwsBackend backend,
            List<Source> available) {
        this.world = world;
        this.spec = spec;
        this.options = options;
        this.listeners = List.copyOf(listeners);
        this.available = List.copyOf(available);
        this.backend = backend;
        this.info = new DrillInfo(
                "sd-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12), testName, world, spec);
        this.seed = spec.seed() != null ? spec.seed() : options.seed().orElse((long) testName.hashCode());
        this.fis = new FisRun(world, info, spec, options, backend, timeline, this::progress, gate);
        this.resolver = spec.observationOnly()
                ? null
                : new TargetResolver(world, spec, options, backend, seed, info.runId(), this::progress);
        this.judge = new Judge(world.clock(), timeline, fis::failIfFailed);
        timeline.subscribe(o -> notify(l -> l.observed(info, o)));
    }

    /**
     * Checks the spec and prepares a drill; nothing is called in AWS yet.
     *
     * @throws SpotDrillConfigurationException on bad input, quoting the attribute and the value
     */
    public static Drill prepare(
            World world, DrillSpec spec, DrillOptions options, String testName, List<DrillListener> listeners) {
        return prepare(world, spec, options, testName, listeners, new SdkAwsBackend(world), Source.load());
    }

    /** As {@link #prepare(World, DrillSpec, DrillOptions, String, List)}, over a given backend and sources (for tests). */
    static Drill prepare(
            World world,
            DrillSpec spec,
            DrillOptions options,
            String testName,
            List<DrillListener> listeners,
            AwsBackend backend,
            List<Source> sources) {
        SpecCheck.check(spec, world);
        if (!spec.observationOnly() && spec.count() > options.maxTargets()) {
            throw new SpotDrillConfigurationException(Messages.countAboveCap(spec.count(), options.maxTargets()));
        }
        return new Drill(world, spec, options, testName, listeners, backend, sources);
    }

    /** As above, with the sources on the class path. */
    static Drill prepare(
            World world,
            DrillSpec spec,
            DrillOptions options,
            String testName,
            List<DrillListener> listeners,
            AwsBackend backend) {
        return prepare(world, spec, options, testName, listeners, backend, Source.load());
    }

    // ------------------------------------------------------------------ start

    /**
     * Resolves and guards the targets, plans and checks the sources, creates the template, starts the experiment
     * and waits until it runs. Returns once START is on the timeline and the sources are watching.
     */
    public Drill start() {
        JvmExit.register(this);
        // a coalescing drill tells the others' batches it is on its way, until it joins one (or fails first)
        Runnable announced = !spec.observationOnly() && options.coalesce().isPresent() ? Coalescer.preparing() : null;
        fis.announced(announced);
        try {
            starting();
        } finally {
            if (announced != null) {
                announced.run();
            }
        }
        notify(l -> l.phaseStarted(info, Phase.OBSERVE));
        return this;
    }

    private void starting() {
        notify(l -> l.drillStarted(info));
        tags = tags();
        List<Target> resolved = phase(Phase.RESOLVE, this::resolveAndWatch);
        notify(l -> l.targetsResolved(info, resolved, seed));
        if (spec.observationOnly()) {
            phase(Phase.START, () -> {
                sources.start(Source.Stage.BEFORE_EXPERIMENT, context);
                begin(world.clock().now());
                return null;
            });
        } else {
            String account = phase(Phase.GUARDRAILS, this::guard);
            phase(Phase.TEMPLATE, () -> {
                String id = fis.createTemplate(account, targets, tags, roleArn);
                notify(l -> l.templateCreated(info, id, fis.templateJson().orElse("")));
                return null;
            });
            phase(Phase.START, () -> {
                // watch before FIS acts, so the first notices are seen within one poll, not after a warm-up
                gate.pass("start its sources", () -> {
                    sources.start(Source.Stage.BEFORE_EXPERIMENT, context);
                    return null;
                });
                begin(fis.start(tags, id -> notify(l -> l.experimentStarted(info, id))));
                return null;
            });
        }
    }

    /**
     * Resolves the targets (claiming them in this JVM), plans the sources and starts those that watch from the
     * resolution on; nothing is created in AWS.
     */
    private List<Target> resolveAndWatch() {
        if (!spec.observationOnly()) {
            // claimed from here on: finish() releases them whatever fails next
            targets = resolver.resolve();
            claimed = true;
        }
        sources = SourceSet.plan(available, spec.expectations(), context);
        // sources that must see the state before anything changes, and may refuse bad input, start now
        sources.start(Source.Stage.RESOLVED, context);
        return targets;
    }

    /**
     * The guardrails before anything is created: the blast radius and the account, FIS offering the Spot action in
     * the region, a FIS role that will not fail mid-run; then the claims on the targets across processes. Returns the
     * account.
     */
    private String guard() {
        String account = fis.guardAccount(targets);
        if (!SpotActionCheck.offered(backend, world)) {
            throw new SpotDrillConfigurationException(Messages.spotActionMissing(world.region()));
        }
        roleArn = options.roleArn()
                .map(arn -> FisRoleGuard.checkGiven(
                        backend,
                        world,
                        arn,
                        account,
                        targets,
                        options.optInKey(),
                        options.optInValue(),
                        this::progress))
                .orElseGet(() -> FisRoleGuard.ensure(
                        backend,
                        world,
                        options.roleName(),
                        account,
                        targets,
                        options.optInKey(),
                        options.optInValue(),
                        tags,
                        this::progress));
        claimAcrossProcesses(account);
        return account;
    }

    /**
     * Claims the targets with EC2 tags, so that no other spotdrill process interrupts them meanwhile. Explicit ids wait
     * (up to {@code spotdrill.fis.quotaWait}) for another run to release them; a tag or node selector picks other
     * instances.
     */
    private void claimAcrossProcesses(String account) {
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(options.quotaWait());
        long startedNanos = System.nanoTime();
        boolean waited = false;
        while (true) {
            List<String> ids = targets.stream().map(Target::instanceId).toList();
            try {
                lease = gate.pass("claim its targets", () -> InstanceClaims.claim(backend, world, ids, info.runId()));
                return;
            } catch (InstanceClaims.ConflictException c) {
                List<String> why = new ArrayList<>();
                c.conflicts().forEach((id, w) -> why.add(id + " " + w));
                if (spec.selector().kind() != Selector.Kind.INSTANCES) {
                    if (System.nanoTime() - startedNanos > TargetResolver.SELECTOR_RACE_WALL.toNanos()) {
                        throw new GuardrailException("Guardrail refused the drill: the instances it picked kept being"
                                + " claimed by other spotdrill runs for " + TargetResolver.SELECTOR_RACE_WALL + " ("
                                + String.join("; ", why) + "); give parallel jobs distinct targets");
                    }
                    progress("another spotdrill run took " + String.join("; ", why) + "; picking other instances");
                    // the race is lost: back off a little, then resolve again (the other run's claims are now seen)
                    Backoff.pause(
                            clock, Duration.ofMillis(ThreadLocalRandom.current().nextLong(500, 3000)));
                    sources.close();
                    TargetClaims.release(world, ids);
                    claimed = false;
                    List<Target> again = resolveAndWatch();
                    notify(l -> l.targetsResolved(info, again, seed));
                    fis.guardAccount(again);
                    continue;
                }
                if (waited && clock.now().isAfter(giveUp)) {
                    throw new GuardrailException(Messages.claimedByOtherRun(
                            ids, why, options.quotaWait().toString()));
                }
                waited = true;
                progress("waiting for another spotdrill run to release " + String.join("; ", why));
                Backoff.pause(
                        clock, Duration.ofMillis(ThreadLocalRandom.current().nextLong(5000, 10000)));
                // the other run may have interrupted them meanwhile: they must still pass the guardrails
                targets = resolver.recheck(targets);
            }
        }
    }

    /** START is known: put it on the timeline, tell the listeners and the sources, ring INTERRUPTION later. */
    private void begin(Instant start) {
        List<Consumer<Instant>> actions;
        synchronized (onStart) {
            timeline.start(start, spec.observationOnly() ? null : spec.leadTime());
            actions = List.copyOf(onStart);
        }
        notify(l -> l.momentReached(info, Moment.START, "", start));
        actions.forEach(a -> a.accept(start));
        timeline.interruptionTime()
                .ifPresent(interruption -> interruptionBell = Probes.scheduler()
                        .schedule(
                                () -> notify(l -> l.momentReached(info, Moment.INTERRUPTION, "", interruption)),
                                world.clock().wallUntil(interruption).toNanos(),
                                TimeUnit.NANOSECONDS));
    }

    private Map<String, String> tags() {
        String test = info.testName();
        Map<String, String> t = new LinkedHashMap<>();
        t.put("spotdrill:run-id", info.runId());
        t.put("spotdrill:test", test.length() > 256 ? test.substring(0, 256) : test);
        t.put(
                "spotdrill:created-at",
                world.clock().now().truncatedTo(ChronoUnit.SECONDS).toString());
        return Map.copyOf(t);
    }

    // ------------------------------------------------------------------ verdicts

    /**
     * Waits until every expectation is decided for every target (once for a drill-level one), and returns the
     * verdicts.
     *
     * @throws dev.spotdrill.core.ExperimentFailedException when the experiment ends failed or cancelled meanwhile
     */
    public List<Verdict> awaitVerdicts() {
        requireStarted();
        notify(l -> l.phaseFinished(info, Phase.OBSERVE, null));
        return phase(Phase.VERDICTS, () -> {
            for (Expectation e : spec.expectations()) {
                for (Target t : targetsOf(e)) {
                    Verdict v = judge.judge(e, t);
                    verdicts.add(v);
                    notify(l -> l.verdict(info, v));
                }
            }
            return List.copyOf(verdicts);
        });
    }

    /**
     * The verdicts the timeline already decides, without waiting: for a drill whose test body failed first. An
     * expectation whose deadline is still ahead, and that is neither met nor broken yet, is left out.
     */
    public List<Verdict> verdictsSoFar() {
        if (!verdicts.isEmpty() || timeline.startTime().isEmpty()) {
            return List.copyOf(verdicts);
        }
        for (Expectation e : spec.expectations()) {
            for (Target t : targetsOf(e)) {
                judge.decide(e, t, false).ifPresent(v -> {
                    verdicts.add(v);
                    notify(l -> l.verdict(info, v));
                });
            }
        }
        return List.copyOf(verdicts);
    }

    private List<Target> targetsOf(Expectation e) {
        return e.perTarget() ? targets : List.of(Target.drill());
    }

    // ------------------------------------------------------------------ end

    /**
     * Marks the drill aborted: the test body failed or the thread was interrupted. {@link #close()} then stops
     * the experiment if it still runs.
     */
    public void abort(Throwable cause) {
        this.abortCause = cause;
    }

    /**
     * Ends the drill: waits for the experiment to end (or stops it when aborted), closes the sources and deletes
     * the template. Returns what failed the drill itself, such as a failed experiment, if anything.
     */
    public Optional<Throwable> finish() {
        if (!finished.compareAndSet(false, true)) {
            return Optional.ofNullable(failure);
        }
        boolean interrupted = Thread.interrupted();
        notify(l -> l.phaseStarted(info, Phase.CLEANUP));
        Throwable cleanupError = null;
        try {
            Optional<Throwable> ended = fis.end(abortCause != null);
            if (ended.isPresent() && failure == null) {
                failure = ended.get();
            }
            if (abortCause != null) {
                // the stop came after the notice: say which targets may still be interrupted
                Optional<InterruptionPendingException> pending = fis.pendingAfterStop(targets);
                if (pending.isPresent()) {
                    cleanupError = pending.get();
                }
            }
        } catch (RuntimeException e) {
            cleanupError = e;
        } finally {
            if (interruptionBell != null) {
                interruptionBell.cancel(false);
            }
            if (sources != null) {
                sources.close();
            }
            try {
                fis.close();
            } catch (RuntimeException e) {
                cleanupError = cleanupError == null ? e : cleanupError;
                LOG.warn(
                        "spotdrill: could not delete FIS template {}; find it by tag spotdrill:run-id={}",
                        fis.templateId().orElse("?"),
                        info.runId(),
                        e);
            }
            if (lease != null) {
                try {
                    lease.close();
                } catch (RuntimeException e) {
                    LOG.warn("spotdrill: {}", e.getMessage());
                }
            }
            if (claimed) {
                TargetClaims.release(
                        world, targets.stream().map(Target::instanceId).toList());
            }
            JvmExit.deregister(this);
            Throwable ce = cleanupError;
            cleanupFailure = ce;
            notify(l -> l.phaseFinished(info, Phase.CLEANUP, ce));
            if (failure == null && ce != null && abortCause == null) {
                failure = ce;
            }
            DrillReport report = report();
            notify(l -> l.drillFinished(info, report));
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return Optional.ofNullable(failure);
    }

    /**
     * The shutdown hook's cleanup ({@link JvmExit}): closes the gate (nothing more is created), stops the experiment if
     * it runs, closes the sources, deletes the template and removes the claims, telling {@code out} what it did. It
     * does not wait for the experiment to stop. Safe while {@link #start()} or {@link #finish()} run on another thread:
     * every step tolerates what is already gone.
     */
    void emergencyCleanup(Consumer<String> out) {
        if (!gate.close(5_000)) {
            out.accept("a creating call was still in flight after 5 s; cleaning up what exists");
        }
        if (abortCause == null) {
            abortCause = new SpotDrillException("the JVM shut down during the drill");
        }
        Optional<ExperimentView> last = fis.last();
        if (last.isPresent() && !last.get().terminal()) {
            String id = last.get().id();
            try {
                fis.stopNow();
                out.accept("stopped FIS experiment " + id + " (it was "
                        + last.get().status() + ")");
                fis.pendingAfterStop(targets)
                        .ifPresent(p -> out.accept("targets that may still be interrupted: "
                                + String.join(", ", p.instanceIds()) + " (their notice was out before the stop)"));
            } catch (RuntimeException e) {
                out.accept("could NOT stop FIS experiment " + id + ": " + e.getMessage() + "; stop it with `aws fis"
                        + " stop-experiment --id " + id + "`");
            }
        }
        if (interruptionBell != null) {
            interruptionBell.cancel(false);
        }
        if (sources != null) {
            sources.close(line -> out.accept("closed source " + line));
        }
        Optional<String> template = fis.templateId();
        try {
            fis.close();
            template.ifPresent(id -> out.accept("deleted FIS template " + id));
        } catch (RuntimeException e) {
            out.accept("could NOT delete FIS template " + template.orElse("?") + ": " + e.getMessage());
        }
        InstanceClaims.Lease l = lease;
        if (l != null) {
            try {
                l.close();
                out.accept("removed " + l);
            } catch (RuntimeException e) {
                out.accept("could NOT remove " + l + ": " + e.getMessage());
            }
        }
        if (claimed) {
            TargetClaims.release(world, targets.stream().map(Target::instanceId).toList());
        }
        JvmExit.deregister(this);
        if (finished.compareAndSet(false, true)) {
            if (failure == null) {
                failure = new SpotDrillException("the JVM shut down (SIGTERM or exit) during drill " + info.runId()
                        + "; spotdrill stopped its experiment and removed what it had created");
            }
            DrillReport report = report();
            notify(x -> x.drillFinished(info, report));
        }
    }

    /** Same as {@link #finish()}, ignoring its result; safe to call twice. */
    @Override
    public void close() {
        finish();
    }

    private DrillReport report() {
        Optional<ExperimentView> last = fis.last();
        Map<String, String> attachments = new LinkedHashMap<>();
        try {
            attachments.putAll(world.attachments());
        } catch (RuntimeException e) {
            LOG.debug("spotdrill: world attachments failed", e);
        }
        Throwable f = failure != null ? failure : abortCause;
        return new DrillReport(
                targets,
                seed,
                fis.templateId(),
                last.map(ExperimentView::id),
                last.map(ExperimentView::status),
                fis.experimentJson(),
                fis.templateJson(),
                timeline,
                List.copyOf(verdicts),
                Optional.ofNullable(f),
                attachments);
    }

    // ------------------------------------------------------------------ accessors

    /**
     * What failed while cleaning up, once {@link #finish()} returned: the experiment could not be stopped after an
     * abort, or the template could not be deleted. When the drill was not aborted and nothing failed before, it is
     * also what {@code finish()} returns; after an abort it is only here, for the caller to add to the primary
     * failure.
     */
    public Optional<Throwable> cleanupFailure() {
        return Optional.ofNullable(cleanupFailure);
    }

    public DrillInfo info() {
        return info;
    }

    public World world() {
        return world;
    }

    public List<Target> targets() {
        return targets;
    }

    public Timeline timeline() {
        return timeline;
    }

    public long seed() {
        return seed;
    }

    /** The FIS experiment id, once started. */
    public Optional<String> experimentId() {
        return fis.last().map(ExperimentView::id);
    }

    /** The FIS template id, once created. */
    public Optional<String> templateId() {
        return fis.templateId();
    }

    /** The experiment's last known status. */
    public Optional<String> experimentStatus() {
        return fis.last().map(ExperimentView::status);
    }

    /** Whether START is on the timeline: the experiment runs (or the observation-only drill's sources do). */
    public boolean started() {
        return timeline.startTime().isPresent();
    }

    /** INTERRUPTION: START plus the lead time; empty for an observation-only drill. */
    public Optional<Instant> interruptionTime() {
        requireStarted();
        return timeline.interruptionTime();
    }

    /** The first instance-action notice seen for the target, by any source, if any. */
    public Optional<Instant> noticeTime(String instanceId) {
        return timeline.moment(Moment.NOTICE, instanceId);
    }

    /**
     * The latest deadline of the drill's expectations (INTERRUPTION, or START for an observation-only drill, when
     * it has none), in world time. A window from REBALANCE or NOTICE is counted from INTERRUPTION, the latest its
     * moment may come.
     */
    public Instant deadline() {
        requireStarted();
        Instant start = timeline.startTime().orElseThrow();
        Instant last = timeline.interruptionTime().orElse(start);
        Instant latest = last;
        for (Expectation e : spec.expectations()) {
            Instant from = e.window().from() == Moment.START ? start : last;
            Instant d = e.window().within().map(from::plus).orElse(last);
            if (d.isAfter(latest)) {
                latest = d;
            }
        }
        return latest;
    }

    private void requireStarted() {
        if (timeline.startTime().isEmpty()) {
            throw new IllegalStateException("the drill has not started: call start() first");
        }
    }

    // ------------------------------------------------------------------ plumbing

    private <T> T phase(Phase phase, Supplier<T> body) {
        notify(l -> l.phaseStarted(info, phase));
        try {
            T result = body.get();
            notify(l -> l.phaseFinished(info, phase, null));
            return result;
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            }
            notify(l -> l.phaseFinished(info, phase, e));
            throw e;
        }
    }

    private void progress(String line) {
        notify(l -> l.progress(info, line));
    }

    private void notify(Consumer<DrillListener> call) {
        for (DrillListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("spotdrill: listener {} failed", l.getClass().getName(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "Drill[" + info.runId() + ", " + info.testName() + ", " + world + "]";
    }

    /** What the drill's sources see of it. */
    private final class Context implements SourceContext {
        @Override
        public World world() {
            return world;
        }

        @Override
        public DrillInfo drill() {
            return info;
        }

        @Override
        public List<Target> targets() {
            return targets;
        }

        @Override
        public Timeline timeline() {
            return timeline;
        }

        @Override
        public DrillOptions options() {
            return options;
        }

        @Override
        public SpotDrillConfig config() {
            return options.config();
        }

        @Override
        public Map<String, String> tags() {
            return tags;
        }

        @Override
        public Optional<String> templateId() {
            return fis.templateId();
        }

        @Override
        public void markMoment(Moment moment, String targetId, Instant at, String source) {
            if (timeline.markMoment(moment, targetId, at, source)) {
                Drill.this.notify(l -> l.momentReached(info, moment, targetId, at));
            }
        }

        @Override
        public void progress(String line) {
            Drill.this.progress(line);
        }

        @Override
        public void onStart(Consumer<Instant> action) {
            Optional<Instant> start;
            synchronized (onStart) {
                start = timeline.startTime();
                if (start.isEmpty()) {
                    onStart.add(action);
                }
            }
            start.ifPresent(action);
        }
    }
}
