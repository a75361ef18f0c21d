package dev.spotdrill.core.drill;

import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.ExperimentFailedException;
import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.aws.Ec2StateProbe;
import dev.spotdrill.core.aws.ExperimentWatcher;
import dev.spotdrill.core.aws.ImdsProbe;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.internal.Probes;
import dev.spotdrill.core.internal.SpecCheck;
import dev.spotdrill.core.internal.TargetClaims;
import dev.spotdrill.core.internal.TemplateRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
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
 * <p>{@link #close()} always deletes the template and, when the drill was {@linkplain #abort aborted}, stops an
 * experiment that still runs.
 */
public final class Drill implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Drill.class);
    /** How long after a deadline a miss is declared: probes see things a poll late. */
    static final Duration GRACE_WORLD = Duration.ofSeconds(2);

    static final Duration GRACE_WALL = Duration.ofMillis(300);
    /** How long (wall time) a selector may keep losing claim races to parallel drills: a safety bound only. */
    static final Duration SELECTOR_RACE_WALL = Duration.ofMinutes(2);
    /** How long an experiment may take from StartExperiment to running, in world time (and at least a wall minute). */
    static final Duration START_WAIT = Duration.ofMinutes(5);

    private final World world;
    private final DrillSpec spec;
    private final DrillOptions options;
    private final DrillInfo info;
    private final List<DrillListener> listeners;
    private final AwsBackend backend;
    private final Timeline timeline = new Timeline();
    private final long seed;
    private final List<AutoCloseable> probes = new ArrayList<>();
    private final List<Verdict> verdicts = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Boolean> momentsSent = new java.util.concurrent.ConcurrentHashMap<>();

    private volatile List<Target> targets = List.of();
    private volatile boolean claimed;
    private volatile String templateId;
    private volatile String templateJson;
    private volatile ExperimentWatcher watcher;
    private volatile Throwable abortCause;
    private volatile Throwable failure;
    private volatile Throwable cleanupFailure;
    private volatile ScheduledFuture<?> interruptionBell;
    private volatile boolean finished;

    private Drill(
            World world,
            DrillSpec spec,
            DrillOptions options,
            String testName,
            List<DrillListener> listeners,
            AwsBackend backend) {
        this.world = world;
        this.spec = spec;
        this.options = options;
        this.listeners = List.copyOf(listeners);
        this.backend = backend;
        this.info = new DrillInfo(
                "sd-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12), testName, world, spec);
        this.seed = spec.seed() != null ? spec.seed() : options.seed().orElse((long) testName.hashCode());
        timeline.subscribe(this::onObservation);
    }

    /**
     * Checks the spec and prepares a drill; nothing is called in AWS yet.
     *
     * @throws SpotDrillConfigurationException on bad input, quoting the attribute and the value
     */
    public static Drill prepare(
            World world, DrillSpec spec, DrillOptions options, String testName, List<DrillListener> listeners) {
        return prepare(world, spec, options, testName, listeners, new SdkAwsBackend(world));
    }

    /** As {@link #prepare(World, DrillSpec, DrillOptions, String, List)}, over a given backend (for tests). */
    static Drill prepare(
            World world,
            DrillSpec spec,
            DrillOptions options,
            String testName,
            List<DrillListener> listeners,
            AwsBackend backend) {
        SpecCheck.check(spec, world);
        if (options.imdsVia().equals("probe-pod")
                && spec.expectations().stream().anyMatch(e -> e.needs().contains(ProbeKind.IMDS))
                && (spec.selector().kind() != Selector.Kind.NODES
                        || world.kube().isEmpty())) {
            throw new SpotDrillConfigurationException(
                    dev.spotdrill.core.SpotDrillConfig.IMDS_VIA
                            + "=\"probe-pod\": a probe pod runs on the target's node, so select targets with"
                            + " @SpotInterruption(nodes = ...) in a world with Kubernetes access; or use spotdrill.imds.via=direct");
        }
        return new Drill(world, spec, options, testName, listeners, backend);
    }

    // ------------------------------------------------------------------ start

    /**
     * Resolves and guards the targets, creates the template, starts the experiment and waits until it runs.
     * Returns once START is on the timeline and the probes are watching.
     */
    public Drill start() {
        notify(l -> l.drillStarted(info));
        List<Target> resolved = phase(Phase.RESOLVE, () -> {
            targets = resolve(); // claimed from here on: finish() releases them whatever fails next
            startKubeProbe();
            return targets;
        });
        notify(l -> l.targetsResolved(info, resolved, seed));
        String account = phase(Phase.GUARDRAILS, this::guardAccount);
        phase(Phase.TEMPLATE, () -> {
            createTemplate(account);
            return null;
        });
        phase(Phase.START, () -> {
            startExperiment();
            return null;
        });
        notify(l -> l.phaseStarted(info, Phase.OBSERVE));
        return this;
    }

    /**
     * Resolves the targets and claims them for this drill, so that parallel drills in this JVM never share an
     * instance. A selector that matched an instance another drill claimed meanwhile is resolved again, at once and
     * in wall time rather than world time: a lost race means another drill won one, so the candidates shrink until
     * a claim succeeds or too few remain (a guardrail refusal); on a fast pace and a busy machine those rounds can
     * outlast {@code spotdrill.fis.quotaWait}. Explicit ids wait (up to {@code spotdrill.fis.quotaWait}) for the other
     * drill to end.
     */
    private List<Target> resolve() {
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(options.quotaWait());
        long startedNanos = System.nanoTime();
        while (true) {
            List<Target> found = resolveOnce();
            List<String> ids = found.stream().map(Target::instanceId).toList();
            if (TargetClaims.claim(world, ids)) {
                claimed = true;
                return found;
            }
            if (spec.selector().kind() != Selector.Kind.INSTANCES) {
                if (System.nanoTime() - startedNanos > SELECTOR_RACE_WALL.toNanos()) {
                    throw new GuardrailException("Guardrail refused the drill: " + ids + " kept being claimed by other"
                            + " drills in this JVM for " + SELECTOR_RACE_WALL + "; give parallel tests distinct"
                            + " targets");
                }
                continue;
            }
            if (clock.now().isAfter(giveUp)) {
                throw new GuardrailException("Guardrail refused the drill: " + ids
                        + " stayed claimed by another drill in this JVM for spotdrill.fis.quotaWait="
                        + options.quotaWait() + "; give parallel tests distinct targets");
            }
            progress("waiting for another drill in this JVM to release " + ids);
            Backoff.pause(clock, Duration.ofSeconds(5));
        }
    }

    private List<Target> resolveOnce() {
        Selector s = spec.selector();
        return switch (s.kind()) {
            case INSTANCES -> resolveInstances(s.values());
            case TAGS -> resolveTags(s.values());
            case NODES -> resolveNodes(s.values().get(0));
        };
    }

    /**
     * A label selector on nodes: the nodes' providerIDs give the instances, which then pass the same guardrails as
     * instances selected by tags; each target keeps its node name.
     */
    private List<Target> resolveNodes(String selector) {
        List<dev.spotdrill.core.kube.NodeTargets.MatchedNode> nodes =
                dev.spotdrill.core.kube.NodeTargets.find(world, selector);
        if (nodes.isEmpty()) {
            throw new SpotDrillConfigurationException(Messages.nodesMatchNothing(selector));
        }
        Map<String, String> nodeByInstance = new LinkedHashMap<>();
        List<String> notEc2 = new ArrayList<>();
        for (var n : nodes) {
            if (n.instanceId().isPresent()) {
                nodeByInstance.put(n.instanceId().get(), n.name());
            } else {
                notEc2.add(n.name() + " (providerID \"" + n.providerId() + "\")");
            }
        }
        if (nodeByInstance.isEmpty()) {
            throw new SpotDrillConfigurationException(Messages.nodesWithoutInstances(selector, notEc2));
        }
        List<AwsBackend.Instance> found;
        try {
            found = backend.describe(List.copyOf(nodeByInstance.keySet()));
        } catch (AwsBackend.UnknownInstancesException e) {
            throw new SpotDrillConfigurationException(Messages.attr("SpotInterruption", "nodes", selector)
                    + ": the nodes' providerIDs name instances that EC2 does not know in " + world.region() + " ("
                    + e.getMessage() + "); check spotdrill.aws.region and the kube context");
        }
        List<Target> eligible = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        List<String> onDemand = new ArrayList<>();
        for (AwsBackend.Instance i : found) {
            String node = nodeByInstance.get(i.id());
            Optional<String[]> r = refusal(i);
            if (r.isPresent()) {
                refusals.add(node + " (" + i.id() + "): " + r.get()[0] + "; " + r.get()[1]);
                if (!i.spot()) {
                    onDemand.add(node + " -> " + i.id() + ", " + i.lifecycle());
                }
            } else if (TargetClaims.claimed(world, i.id())) {
                refusals.add(node + " (" + i.id() + "): another drill in this JVM is interrupting it");
            } else {
                eligible.add(target(i).withNode(node));
            }
        }
        if (eligible.isEmpty()) {
            if (!onDemand.isEmpty() && onDemand.size() == found.size()) {
                throw new SpotDrillConfigurationException(Messages.nodesOnlyOnDemand(selector, onDemand));
            }
            throw new GuardrailException(Messages.noneEligible("nodes", selector, refusals));
        }
        int count = spec.count() == 0 ? eligible.size() : spec.count();
        if (count > eligible.size()) {
            throw new SpotDrillConfigurationException(
                    Messages.countTooHigh(spec.count(), eligible.size(), "nodes", selector));
        }
        return select(eligible, count);
    }

    /**
     * Watches the targets' nodes before anything is created, whatever selected them: a handler may act within one
     * poll of the notice, and an unknown Deployment fails here, before any mutating call. finish() closes it with
     * the other probes.
     */
    private void startKubeProbe() {
        if (spec.expectations().stream().anyMatch(e -> e.needs().contains(ProbeKind.KUBE))) {
            probes.add(dev.spotdrill.core.kube.KubeProbe.start(
                    world, targets, KubeExpectations.deployments(spec.expectations()), timeline));
        }
    }

    private List<Target> resolveInstances(List<String> ids) {
        List<AwsBackend.Instance> found;
        try {
            found = backend.describe(List.copyOf(new java.util.LinkedHashSet<>(ids)));
        } catch (AwsBackend.UnknownInstancesException e) {
            throw new SpotDrillConfigurationException(Messages.unknownInstances(ids, world.region(), e.getMessage()));
        }
        List<Target> out = new ArrayList<>();
        for (AwsBackend.Instance i : found) {
            Target t = target(i);
            refusal(i).ifPresent(r -> {
                throw new GuardrailException(Messages.guardrail(t, r[0], r[1]));
            });
            out.add(t);
        }
        if (spec.count() > 0 && spec.count() < out.size()) {
            return select(out, spec.count());
        }
        if (spec.count() > out.size()) {
            throw new SpotDrillConfigurationException(
                    Messages.countTooHigh(spec.count(), out.size(), "instances", ids));
        }
        return out;
    }

    private List<Target> resolveTags(List<String> tagTexts) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String t : tagTexts) {
            int eq = t.indexOf('=');
            tags.put(t.substring(0, eq).trim(), t.substring(eq + 1).trim());
        }
        Object shown = tagTexts.size() == 1 ? tagTexts.get(0) : tagTexts;
        List<AwsBackend.Instance> found = backend.findRunningByTags(tags);
        if (found.isEmpty()) {
            throw new SpotDrillConfigurationException(Messages.nothingMatches("tags", shown, world.region()));
        }
        List<Target> eligible = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (AwsBackend.Instance i : found) {
            Optional<String[]> r = refusal(i);
            if (r.isPresent()) {
                refusals.add(i.id() + ": " + r.get()[0] + "; " + r.get()[1]);
            } else if (TargetClaims.claimed(world, i.id())) {
                refusals.add(i.id() + ": another drill in this JVM is interrupting it");
            } else {
                eligible.add(target(i));
            }
        }
        if (eligible.isEmpty()) {
            throw new GuardrailException(Messages.noneEligible("tags", shown, refusals));
        }
        int count = spec.count() == 0 ? eligible.size() : spec.count();
        if (count > eligible.size()) {
            throw new SpotDrillConfigurationException(
                    Messages.countTooHigh(spec.count(), eligible.size(), "tags", shown));
        }
        return select(eligible, count);
    }

    private List<Target> select(List<Target> candidates, int count) {
        List<Target> sorted = new ArrayList<>(candidates);
        sorted.sort(java.util.Comparator.comparing(Target::instanceId));
        Collections.shuffle(sorted, new Random(seed));
        List<Target> chosen = new ArrayList<>(sorted.subList(0, count));
        chosen.sort(java.util.Comparator.comparing(Target::instanceId));
        return chosen;
    }

    private Target target(AwsBackend.Instance i) {
        return new Target(i.id(), i.type(), i.zone(), null, i.tags());
    }

    /** Why a guardrail refuses the instance, as {rule, fix}, or empty. */
    private Optional<String[]> refusal(AwsBackend.Instance i) {
        if (!i.spot()) {
            return Optional.of(new String[] {
                "it is an " + i.lifecycle() + " instance and FIS interrupts only Spot instances",
                "select Spot instances only"
            });
        }
        if (!"running".equals(i.state())) {
            return Optional.of(
                    new String[] {"it is " + i.state() + ", not running", "start it, or select a running instance"});
        }
        if (!i.zone().startsWith(world.region())) {
            return Optional.of(new String[] {
                "its zone " + i.zone() + " is outside the region " + world.region(),
                "set spotdrill.aws.region to the instance's region"
            });
        }
        String tag = options.optInKey() + "=" + options.optInValue();
        if (!options.optInValue().equals(i.tags().get(options.optInKey()))) {
            return Optional.of(new String[] {
                "it does not carry the opt-in tag " + tag,
                "tag it " + tag + " if it may be interrupted (spotdrill.guard.optInTag sets the tag)"
            });
        }
        return Optional.empty();
    }

    private String guardAccount() {
        if (targets.size() > options.maxTargets()) {
            throw new GuardrailException(Messages.tooManyTargets(targets.size(), options.maxTargets()));
        }
        String account = backend.callerAccount();
        if (!options.accounts().isEmpty() && !options.accounts().contains(account)) {
            throw new GuardrailException(Messages.wrongAccount(account, options.accounts()));
        }
        return account;
    }

    private void createTemplate(String account) {
        String roleArn = options.roleArn().orElseGet(() -> backend.ensureFisRole(options.roleName(), tags()));
        List<String> arns = targets.stream()
                .map(t -> "arn:aws:ec2:" + world.region() + ":" + account + ":instance/" + t.instanceId())
                .toList();
        TemplateRequest request = new TemplateRequest(
                UUID.nameUUIDFromBytes((info.runId() + "/template").getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .toString(),
                "spotdrill " + info.runId() + ": " + info.testName(),
                roleArn,
                arns,
                spec.leadTime(),
                options.stopAlarmArn(),
                tags());
        templateJson = request.json();
        templateId = backend.createTemplate(request);
        notify(l -> l.templateCreated(info, templateId, templateJson));
    }

    private Map<String, String> tags() {
        String test = info.testName();
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("spotdrill:run-id", info.runId());
        tags.put("spotdrill:test", test.length() > 256 ? test.substring(0, 256) : test);
        tags.put(
                "spotdrill:created-at",
                world.clock()
                        .now()
                        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        .toString());
        return tags;
    }

    private void startExperiment() {
        // watch before FIS acts, so the first notices are seen within one poll, not after a probe's warm-up
        startProbes();
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(options.quotaWait());
        Duration backoff = Duration.ofSeconds(5);
        String token = UUID.nameUUIDFromBytes(
                        (info.runId() + "/experiment").getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .toString();
        ExperimentView view;
        while (true) {
            try {
                view = backend.startExperiment(templateId, token, tags());
                break;
            } catch (AwsBackend.QuotaExceededException e) {
                if (clock.now().isAfter(giveUp)) {
                    throw new ExperimentFailedException(
                            Messages.quotaWaitExceeded(options.quotaWait().toString()));
                }
                progress("FIS has no free experiment slot (ServiceQuotaExceeded); retrying in " + backoff
                        + " (world time), up to spotdrill.fis.quotaWait=" + options.quotaWait());
                Backoff.pause(clock, backoff);
                backoff = Backoff.next(backoff, Duration.ofSeconds(30));
            }
        }
        String id = view.id();
        notify(l -> l.experimentStarted(info, id));
        watcher = ExperimentWatcher.start(world, backend, view, timeline, v -> {});
        watcher.record(view);
        // wait for running
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
        Instant start = running.actionsStart().or(running::startTime).orElseGet(clock::now);
        timeline.start(start, spec.leadTime());
        notify(l -> l.momentReached(info, Moment.START, "", start));
        Instant interruption = start.plus(spec.leadTime());
        interruptionBell = Probes.scheduler()
                .schedule(
                        () -> notify(l -> l.momentReached(info, Moment.INTERRUPTION, "", interruption)),
                        clock.wallUntil(interruption).toNanos(),
                        TimeUnit.NANOSECONDS);
    }

    private void startProbes() {
        boolean imds = spec.expectations().stream().anyMatch(e -> e.needs().contains(ProbeKind.IMDS));
        boolean ec2 = spec.expectations().stream().anyMatch(e -> e.needs().contains(ProbeKind.EC2));
        if (imds && options.imdsVia().equals("probe-pod")) {
            // a real cluster: one probe pod per target node follows IMDS for us
            io.fabric8.kubernetes.client.KubernetesClient client =
                    dev.spotdrill.core.kube.KubeClientFactory.client(world, "spotdrill.imds.via=probe-pod");
            probes.add(client::close); // closed after the pods, which are added after it and closed first
            String namespace = world.kube().orElseThrow().namespace();
            for (Target t : targets) {
                probes.add(dev.spotdrill.core.kube.ProbePodImds.start(
                        client, namespace, info.runId(), t, timeline, world.clock(), options.probeImage()));
            }
        } else if (imds) {
            for (Target t : targets) {
                probes.add(ImdsProbe.start(world, t, timeline));
            }
        }
        if (ec2) {
            probes.add(Ec2StateProbe.start(world, backend, targets, timeline));
        }
    }

    /** Waits, on the watcher's own backoff polling, for the experiment to satisfy {@code done}. */
    private ExperimentView awaitExperiment(
            java.util.function.Predicate<ExperimentView> done, Instant worldLimit, String what) {
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

    private void onObservation(Observation o) {
        notify(l -> l.observed(info, o));
        Moment m = o.kind().equals(Observation.Kinds.REBALANCE)
                ? Moment.REBALANCE
                : o.kind().equals(Observation.Kinds.NOTICE) ? Moment.NOTICE : null;
        if (m != null && momentsSent.putIfAbsent(m + "|" + o.targetId(), true) == null) {
            notify(l -> l.momentReached(info, m, o.targetId(), o.at()));
        }
    }

    // ------------------------------------------------------------------ verdicts

    /**
     * Waits until every expectation is decided for every target, and returns the verdicts.
     *
     * @throws ExperimentFailedException when the experiment ends failed or cancelled meanwhile
     */
    public List<Verdict> awaitVerdicts() {
        requireStarted();
        notify(l -> l.phaseFinished(info, Phase.OBSERVE, null));
        return phase(Phase.VERDICTS, () -> {
            for (Expectation e : spec.expectations()) {
                for (Target t : targets) {
                    Verdict v = judge(e, t);
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
        if (!verdicts.isEmpty() || timeline.interruptionTime().isEmpty()) {
            return List.copyOf(verdicts);
        }
        for (Expectation e : spec.expectations()) {
            for (Target t : targets) {
                decide(e, t, false).ifPresent(v -> {
                    verdicts.add(v);
                    notify(l -> l.verdict(info, v));
                });
            }
        }
        return List.copyOf(verdicts);
    }

    private Verdict judge(Expectation e, Target t) {
        WorldClock clock = world.clock();
        Instant interruption = timeline.interruptionTime().orElseThrow();
        Duration poll = Backoff.pollInterval(clock, Duration.ofMillis(500), Duration.ofMillis(20));
        String alias = e.name() + " for " + t.instanceId();
        Window w = e.window();

        // 1. the window opens when its moment comes; REBALANCE and NOTICE may come until INTERRUPTION
        Optional<Instant> open = timeline.moment(w.from(), t.instanceId());
        if (open.isEmpty()) {
            Instant limit = interruption.plus(GRACE_WORLD);
            untilOrLimit(
                    alias + ": waiting for " + w.from(), limit, poll, () -> timeline.moment(w.from(), t.instanceId())
                            .isPresent());
            open = timeline.moment(w.from(), t.instanceId());
        }
        if (open.isPresent()) {
            // 2. met, broken, or past the deadline
            Instant windowStart = open.get();
            Instant deadline = w.within().map(windowStart::plus).orElse(interruption);
            untilOrLimit(alias, deadline.plus(GRACE_WORLD), poll, () -> {
                Evaluation ev = e.evaluate(timeline, t, windowStart, deadline);
                return e.continuous() ? ev.violatedAt().isPresent() : ev.metAt().isPresent();
            });
        }
        return decide(e, t, true).orElseThrow();
    }

    /**
     * The verdict the timeline supports now; empty while it can still change, unless {@code last} (the waits are
     * over), which always decides.
     */
    private Optional<Verdict> decide(Expectation e, Target t, boolean last) {
        Instant now = world.clock().now();
        Instant interruption = timeline.interruptionTime().orElseThrow();
        Window w = e.window();
        Optional<Instant> open = timeline.moment(w.from(), t.instanceId());
        if (open.isEmpty()) {
            if (!last && !now.isAfter(interruption.plus(GRACE_WORLD))) {
                return Optional.empty();
            }
            Evaluation ev = e.evaluate(timeline, t, interruption, interruption);
            return Optional.of(
                    missed(e, t, Optional.empty(), Optional.empty(), w.from() + " never came; " + ev.lastSeen()));
        }
        Instant windowStart = open.get();
        Instant deadline = w.within().map(windowStart::plus).orElse(interruption);
        boolean past = last || now.isAfter(deadline.plus(GRACE_WORLD));
        Evaluation ev = e.evaluate(timeline, t, windowStart, deadline);
        if (e.continuous()) {
            if (ev.violatedAt().isPresent()) {
                return Optional.of(missed(e, t, Optional.of(windowStart), Optional.of(deadline), ev.lastSeen()));
            }
            if (!past) {
                return Optional.empty();
            }
            return ev.metAt().isPresent()
                    ? Optional.of(met(e, t, windowStart, deadline, deadline, ev.lastSeen()))
                    : Optional.of(missed(e, t, Optional.of(windowStart), Optional.of(deadline), ev.lastSeen()));
        }
        if (ev.metAt().isPresent() && !ev.metAt().get().isAfter(deadline)) {
            return Optional.of(met(e, t, windowStart, deadline, ev.metAt().get(), ev.lastSeen()));
        }
        if (!past) {
            return Optional.empty();
        }
        String seen = ev.metAt().isPresent()
                ? Messages.lateMet(ev.metAt().get(), timeline) + ": " + ev.lastSeen()
                : ev.lastSeen();
        return Optional.of(missed(e, t, Optional.of(windowStart), Optional.of(deadline), seen));
    }

    /** Awaits the condition until a world-time limit (plus grace); also ends when the experiment fails. */
    private void untilOrLimit(
            String alias, Instant worldLimit, Duration poll, java.util.concurrent.Callable<Boolean> done) {
        WorldClock clock = world.clock();
        Duration graceWorld = clock.toWorld(GRACE_WALL);
        Instant limit = worldLimit.plus(graceWorld.compareTo(GRACE_WORLD) > 0 ? graceWorld : GRACE_WORLD);
        try {
            await().alias(alias)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(poll)
                    .atMost(clock.wallUntil(limit).plus(Duration.ofSeconds(10)))
                    .until(() -> {
                        failIfExperimentFailed();
                        return done.call() || !clock.now().isBefore(limit);
                    });
        } catch (ConditionTimeoutException ignored) {
            // decided by the caller from the timeline
        }
    }

    private void failIfExperimentFailed() {
        ExperimentView v = watcher == null ? null : watcher.last();
        if (v != null && v.failedOrCancelled()) {
            throw new ExperimentFailedException(
                    Messages.experimentEnded(v.id(), v.status(), v.reason(), v.errorCode(), v.errorLocation()));
        }
    }

    private Verdict met(Expectation e, Target t, Instant start, Instant deadline, Instant at, String seen) {
        return new Verdict(
                e.name(), t, e.window(), Optional.of(start), Optional.of(deadline), Optional.of(at), seen, "");
    }

    private Verdict missed(
            Expectation e, Target t, Optional<Instant> start, Optional<Instant> deadline, String lastSeen) {
        Verdict draft = new Verdict(e.name(), t, e.window(), start, deadline, Optional.empty(), lastSeen, "");
        return new Verdict(
                e.name(), t, e.window(), start, deadline, Optional.empty(), lastSeen, Messages.missed(draft, timeline));
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
     * Ends the drill: waits for the experiment to end (or stops it when aborted), closes the probes and deletes
     * the template. Returns what failed the drill itself, such as a failed experiment, if anything.
     */
    public Optional<Throwable> finish() {
        if (finished) {
            return Optional.ofNullable(failure);
        }
        finished = true;
        boolean interrupted = Thread.interrupted();
        notify(l -> l.phaseStarted(info, Phase.CLEANUP));
        Throwable cleanupError = null;
        try {
            if (watcher != null) {
                endExperiment();
            }
        } catch (RuntimeException e) {
            cleanupError = e;
        } finally {
            if (interruptionBell != null) {
                interruptionBell.cancel(false);
            }
            // last started, first closed: a probe pod goes before the client it was made with
            List<AutoCloseable> lifo = new ArrayList<>(probes);
            Collections.reverse(lifo);
            for (AutoCloseable p : lifo) {
                try {
                    p.close();
                } catch (Exception e) {
                    LOG.warn("spotdrill: closing a probe failed", e);
                }
            }
            if (watcher != null) {
                watcher.close();
            }
            if (templateId != null) {
                try {
                    backend.deleteTemplate(templateId);
                } catch (RuntimeException e) {
                    cleanupError = cleanupError == null ? e : cleanupError;
                    LOG.warn(
                            "spotdrill: could not delete FIS template {}; find it by tag spotdrill:run-id={}",
                            templateId,
                            info.runId(),
                            e);
                }
            }
            if (claimed) {
                TargetClaims.release(
                        world, targets.stream().map(Target::instanceId).toList());
            }
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

    private void endExperiment() {
        WorldClock clock = world.clock();
        ExperimentView v = watcher.poll();
        String id = v.id();
        if (abortCause != null && !v.terminal()) {
            timeline.status("", "fis:experiment", clock.now(), "stopping: the test aborted");
            try {
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
            return;
        }
        if (!v.terminal()) {
            Instant interruption = timeline.interruptionTime().orElse(clock.now());
            Instant limit =
                    (interruption.isAfter(clock.now()) ? interruption : clock.now()).plus(Duration.ofMinutes(5));
            progress("waiting for FIS experiment " + id + " to end");
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
        if (v.failedOrCancelled() && failure == null && abortCause == null) {
            failure = new ExperimentFailedException(
                    Messages.experimentEnded(id, v.status(), v.reason(), v.errorCode(), v.errorLocation()));
        }
    }

    /** Same as {@link #finish()}, ignoring its result; safe to call twice. */
    @Override
    public void close() {
        finish();
    }

    private DrillReport report() {
        ExperimentView last = watcher == null ? null : watcher.last();
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
                Optional.ofNullable(templateId),
                Optional.ofNullable(last).map(ExperimentView::id),
                Optional.ofNullable(last).map(ExperimentView::status),
                Optional.ofNullable(last).map(ExperimentView::json),
                Optional.ofNullable(templateJson),
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
        return Optional.ofNullable(watcher).map(w -> w.last().id());
    }

    /** The FIS template id, once created. */
    public Optional<String> templateId() {
        return Optional.ofNullable(templateId);
    }

    /** The experiment's last known status. */
    public Optional<String> experimentStatus() {
        return Optional.ofNullable(watcher).map(w -> w.last().status());
    }

    /** INTERRUPTION: START plus the lead time. */
    public Instant interruptionTime() {
        requireStarted();
        return timeline.interruptionTime().orElseThrow();
    }

    /** The first instance-action notice seen for the target, if any. */
    public Optional<Instant> noticeTime(String instanceId) {
        return timeline.moment(Moment.NOTICE, instanceId);
    }

    /**
     * The latest deadline of the drill's expectations (INTERRUPTION when it has none), in world time. A window
     * from REBALANCE or NOTICE is counted from INTERRUPTION, the latest its moment may come.
     */
    public Instant deadline() {
        requireStarted();
        Instant start = timeline.startTime().orElseThrow();
        Instant interruption = interruptionTime();
        Instant latest = interruption;
        for (Expectation e : spec.expectations()) {
            Instant from = e.window().from() == Moment.START ? start : interruption;
            Instant d = e.window().within().map(from::plus).orElse(interruption);
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

    private <T> T phase(Phase phase, java.util.function.Supplier<T> body) {
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

    private void notify(java.util.function.Consumer<DrillListener> call) {
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
}
