package dev.spotdrill.allure;

import dev.spotdrill.core.ExperimentFailedException;
import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.FisCost;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Phase;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.report.ConsoleProgress;
import dev.spotdrill.core.report.ReportText;
import dev.spotdrill.core.report.TimelineSvg;
import io.qameta.allure.Allure;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.model.Attachment;
import io.qameta.allure.model.Label;
import io.qameta.allure.model.Link;
import io.qameta.allure.model.Parameter;
import io.qameta.allure.model.Stage;
import io.qameta.allure.model.Status;
import io.qameta.allure.model.StatusDetails;
import io.qameta.allure.model.StepResult;
import io.qameta.allure.model.TestResult;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts each drill into the Allure test that runs it: a step per phase and per verdict, the evidence as
 * attachments (FIS template and experiment, IMDS bodies, Kubernetes changes, the lab's API-call log, the timeline
 * picture), labels and the FIS console link; found by {@link java.util.ServiceLoader}.
 *
 * <p>Drill events may come from probe threads, where Allure's thread-local context is not the test's. So this
 * listener notes the test case on {@link #drillStarted} (on the test thread), buffers what it hears, and writes
 * everything with explicit ids in {@link #drillFinished}. It touches no thread's Allure context. When no Allure test
 * case is running (no allure-junit5 on the class path), it does nothing. Every text it writes is redacted.
 */
public final class AllureDrillListener implements DrillListener {
    private static final Logger LOG = LoggerFactory.getLogger(AllureDrillListener.class);

    private final Supplier<AllureLifecycle> lifecycle;
    private final Supplier<Path> resultsDirectory;
    private final Function<String, String> env;
    private final Map<String, Record> drills = new ConcurrentHashMap<>();

    /** Writes to Allure's own lifecycle and results directory; the constructor that ServiceLoader uses. */
    public AllureDrillListener() {
        this(Allure::getLifecycle, AllureResultsFiles::resultsDirectory, System::getenv);
    }

    /** Writes to the given lifecycle, and the report-level files into the given results directory. */
    public AllureDrillListener(AllureLifecycle lifecycle, Path resultsDirectory) {
        this(() -> lifecycle, () -> resultsDirectory, System::getenv);
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(resultsDirectory, "resultsDirectory");
    }

    AllureDrillListener(
            Supplier<AllureLifecycle> lifecycle, Supplier<Path> resultsDirectory, Function<String, String> env) {
        this.lifecycle = lifecycle;
        this.resultsDirectory = resultsDirectory;
        this.env = env;
    }

    /** What one drill told us, buffered until it finishes. Guarded by itself. */
    private static final class Record {
        final String testCase;
        final List<PhaseRun> phases = new ArrayList<>();
        final Map<String, Long> verdictTimes = new LinkedHashMap<>();
        final List<String> log = new ArrayList<>();
        final ConsoleProgress console = new ConsoleProgress(this::log);
        String templateJson;

        Record(String testCase) {
            this.testCase = testCase;
        }

        synchronized void log(String line) {
            log.add(line);
        }
    }

    private static final class PhaseRun {
        final Phase phase;
        final long start;
        Long stop;
        Throwable failure;

        PhaseRun(Phase phase, long start) {
            this.phase = phase;
            this.start = start;
        }
    }

    @Override
    public void drillStarted(DrillInfo drill) {
        Optional<String> testCase = lifecycle.get().getCurrentTestCase();
        if (testCase.isEmpty()) {
            LOG.debug("no Allure test case is running; drill {} is not reported to Allure", drill.runId());
            return;
        }
        Record r = new Record(testCase.get());
        drills.put(drill.runId(), r);
        r.console.drillStarted(drill);
        Path results = resultsDirectory.get();
        try {
            AllureResultsFiles.writeOnce(results, drill.world(), env);
        } catch (RuntimeException e) {
            LOG.warn("could not write the Allure report files into {}: {}", results, Redactor.redact(e.getMessage()));
        }
        try {
            HistoryCarrier.carryConfigured(SpotDrillConfig.fromSystem(), results)
                    .ifPresent(n -> LOG.info("carried {} report history files into {}", n, results));
        } catch (RuntimeException e) {
            LOG.warn("{}", Redactor.redact(e.getMessage()));
        }
    }

    @Override
    public void phaseStarted(DrillInfo drill, Phase phase) {
        with(drill, r -> {
            r.phases.add(new PhaseRun(phase, System.currentTimeMillis()));
            r.console.phaseStarted(drill, phase);
        });
    }

    @Override
    public void phaseFinished(DrillInfo drill, Phase phase, Throwable failure) {
        with(drill, r -> {
            PhaseRun run = null;
            for (int i = r.phases.size() - 1; i >= 0 && run == null; i--) {
                if (r.phases.get(i).phase == phase && r.phases.get(i).stop == null) {
                    run = r.phases.get(i);
                }
            }
            if (run == null) {
                run = new PhaseRun(phase, System.currentTimeMillis());
                r.phases.add(run);
            }
            run.stop = System.currentTimeMillis();
            run.failure = failure;
            r.console.phaseFinished(drill, phase, failure);
        });
    }

    @Override
    public void targetsResolved(DrillInfo drill, List<Target> targets, long seed) {
        with(drill, r -> r.console.targetsResolved(drill, targets, seed));
    }

    @Override
    public void templateCreated(DrillInfo drill, String templateId, String templateJson) {
        with(drill, r -> {
            r.templateJson = templateJson;
            r.console.templateCreated(drill, templateId, templateJson);
        });
    }

    @Override
    public void experimentStarted(DrillInfo drill, String experimentId) {
        with(drill, r -> r.console.experimentStarted(drill, experimentId));
    }

    @Override
    public void momentReached(DrillInfo drill, Moment moment, String targetId, Instant at) {
        with(drill, r -> r.console.momentReached(drill, moment, targetId, at));
    }

    @Override
    public void observed(DrillInfo drill, Observation observation) {
        with(drill, r -> r.console.observed(drill, observation));
    }

    @Override
    public void progress(DrillInfo drill, String line) {
        with(drill, r -> r.console.progress(drill, line));
    }

    @Override
    public void verdict(DrillInfo drill, Verdict verdict) {
        with(drill, r -> {
            r.verdictTimes.put(key(verdict), System.currentTimeMillis());
            r.console.verdict(drill, verdict);
        });
    }

    @Override
    public void drillFinished(DrillInfo drill, DrillReport report) {
        Record r = drills.remove(drill.runId());
        if (r == null) {
            return;
        }
        try {
            synchronized (r) {
                r.console.drillFinished(drill, report);
                write(drill, report, r);
            }
            report.cost().ifPresent(c -> AllureResultsFiles.addCost(resultsDirectory.get(), drill.world(), c));
        } catch (RuntimeException e) {
            LOG.warn(
                    "could not add drill {} to the Allure report: {}",
                    drill.runId(),
                    Redactor.redact(String.valueOf(e.getMessage())));
        }
    }

    private void with(DrillInfo drill, java.util.function.Consumer<Record> action) {
        Record r = drills.get(drill.runId());
        if (r != null) {
            synchronized (r) {
                action.accept(r);
            }
        }
    }

    private static String key(Verdict v) {
        return v.expectation() + "\u0000" + v.target().instanceId();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Writing

    private void write(DrillInfo drill, DrillReport report, Record r) {
        AllureLifecycle allure = lifecycle.get();
        long now = System.currentTimeMillis();
        Optional<Instant> start = report.timeline().startTime();
        List<StepResult> steps = new ArrayList<>();
        List<Attachment> testAttachments = new ArrayList<>();

        StepResult verdictStep = null;
        for (PhaseRun run : r.phases) {
            StepResult step = step(phaseName(run.phase, drill, report), run.start, run.stop == null ? now : run.stop);
            if (run.stop == null) {
                step.setStatus(Status.BROKEN)
                        .setStatusDetails(new StatusDetails().setMessage(run.phase + " did not finish"));
            } else if (run.failure != null) {
                fail(step, run.failure);
            }
            switch (run.phase) {
                case RESOLVE -> {
                    if (!drill.spec().observationOnly()) {
                        step.getParameters().add(parameter("seed", Long.toString(report.seed())));
                    }
                    for (Target t : report.targets()) {
                        step.getParameters().add(parameter(t.instanceId(), describe(t)));
                    }
                }
                case TEMPLATE -> {
                    report.templateId().ifPresent(id -> step.getParameters().add(parameter("template", id)));
                    Optional.ofNullable(r.templateJson).or(report::templateJson).ifPresent(json -> step.getAttachments()
                            .add(attach(allure, "FIS experiment template", "application/json", ".json", json)));
                }
                case START -> {
                    report.experimentId().ifPresent(id -> step.getParameters().add(parameter("experiment", id)));
                    report.experimentStatus()
                            .ifPresent(s -> step.getParameters().add(parameter("status", s)));
                    start.ifPresent(s -> step.getParameters().add(parameter("START", s.toString())));
                    report.timeline().interruptionTime().ifPresent(t -> step.getParameters()
                            .add(parameter("INTERRUPTION", t.toString())));
                }
                case OBSERVE ->
                    step.getParameters()
                            .add(parameter(
                                    "observations",
                                    Integer.toString(
                                            report.timeline().observations().size())));
                case VERDICTS -> verdictStep = step;
                default -> {}
            }
            steps.add(step);
        }
        if (!report.verdicts().isEmpty()) {
            if (verdictStep == null) {
                verdictStep = step(phaseName(Phase.VERDICTS, drill, report), now, now);
                int at = steps.size();
                for (int i = 0; i < steps.size(); i++) {
                    if (r.phases.get(i).phase == Phase.CLEANUP) {
                        at = i;
                        break;
                    }
                }
                steps.add(at, verdictStep);
            }
            boolean anyMissed = false;
            for (Verdict v : report.verdicts()) {
                long decided = r.verdictTimes.getOrDefault(key(v), verdictStep.getStop());
                verdictStep.getSteps().add(verdictStep(v, start, decided));
                anyMissed |= !v.met();
            }
            if (anyMissed && verdictStep.getStatus() == Status.PASSED) {
                verdictStep.setStatus(Status.FAILED);
            }
        }
        report.cost().ifPresent(cost -> steps.add(costStep(cost, now)));
        report.experimentJson()
                .ifPresent(json -> testAttachments.add(
                        attach(allure, "FIS experiment (last state)", "application/json", ".json", json)));
        testAttachments.add(attach(allure, "Timeline", "image/svg+xml", ".svg", TimelineSvg.render(drill, report)));
        testAttachments.add(attach(
                allure,
                "Timeline (text)",
                "text/plain",
                ".txt",
                report.timeline().render()));
        // one attachment per source that saw something, in the order the sources first spoke
        report.timeline().observations().stream()
                .sorted(Comparator.comparing(Observation::at))
                .map(Observation::source)
                .distinct()
                .forEach(source -> evidence(report, source)
                        .ifPresent(json -> testAttachments.add(
                                attach(allure, "Observations: " + source, "application/json", ".json", json))));
        report.attachments().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> {
                    boolean json = e.getKey().equals("lab-call-log") || looksLikeJson(e.getValue());
                    String name = e.getKey().equals("lab-call-log") ? "Lab API-call log" : e.getKey();
                    testAttachments.add(attach(
                            allure,
                            name,
                            json ? "application/json" : "text/plain",
                            json ? ".json" : ".txt",
                            e.getValue()));
                });
        testAttachments.add(attach(allure, "Drill progress", "text/plain", ".txt", String.join("\n", r.log) + "\n"));

        List<Label> labels = labels(drill, report);
        List<Link> links = links(drill, report);
        allure.updateTestCase(r.testCase, tr -> {
            tr.getSteps().addAll(steps);
            tr.getAttachments().addAll(testAttachments);
            addLabels(tr, labels);
            for (Link l : links) {
                if (tr.getLinks().stream().noneMatch(x -> Objects.equals(x.getUrl(), l.getUrl()))) {
                    tr.getLinks().add(l);
                }
            }
        });
    }

    private static void addLabels(TestResult tr, List<Label> labels) {
        for (Label l : labels) {
            boolean present = tr.getLabels().stream()
                    .anyMatch(x ->
                            Objects.equals(x.getName(), l.getName()) && Objects.equals(x.getValue(), l.getValue()));
            if (!present) {
                tr.getLabels().add(l);
            }
        }
    }

    private static String phaseName(Phase phase, DrillInfo drill, DrillReport report) {
        return red(
                switch (phase) {
                    case RESOLVE ->
                        drill.spec().observationOnly()
                                ? "Plan the sources: observation-only, no targets"
                                : "Resolve targets: " + report.targets().size() + " by "
                                        + drill.spec().selector().attribute() + " "
                                        + drill.spec().selector().values();
                    case GUARDRAILS -> "Check guardrails";
                    case TEMPLATE ->
                        "Create the FIS experiment template"
                                + report.templateId().map(id -> " " + id).orElse("");
                    case START ->
                        drill.spec().observationOnly()
                                ? "Start observing (no FIS experiment)"
                                : "Start the FIS experiment"
                                        + report.experimentId()
                                                .map(id -> " " + id)
                                                .orElse("") + ", lead time "
                                        + drill.spec().leadTimeText();
                    case OBSERVE -> "Observe";
                    case VERDICTS -> {
                        long met =
                                report.verdicts().stream().filter(Verdict::met).count();
                        yield "Decide verdicts: " + met + " of "
                                + report.verdicts().size() + " met";
                    }
                    case CLEANUP -> "Clean up";
                });
    }

    /** What the drill cost in FIS: the total as the step's name, each action and each target's share as parameters. */
    private static StepResult costStep(FisCost cost, long at) {
        StepResult step = step(
                "FIS cost " + FisCost.dollars(cost.total()) + " (" + cost.actionMinutes() + " action-minute"
                        + (cost.actionMinutes() == 1 ? "" : "s") + " × "
                        + FisCost.dollars(FisCost.PRICE_PER_ACTION_MINUTE)
                        + ")",
                at,
                at);
        for (FisCost.ActionCost a : cost.actions()) {
            step.getParameters()
                    .add(parameter(
                            a.action(),
                            a.minutes() + " min (ran "
                                    + ReportText.offset(a.ran()).replace("+", "") + ") = " + FisCost.dollars(a.cost())
                                    + " for " + String.join(", ", a.instanceIds())));
        }
        cost.perTarget().forEach((id, share) -> step.getParameters().add(parameter(id, FisCost.dollars(share))));
        return step;
    }

    private static StepResult verdictStep(Verdict v, Optional<Instant> start, long decided) {
        String deadline = v.deadline().map(t -> ReportText.offset(start, t)).orElse("unknown");
        String name = v.expectation()
                + (v.target().isDrill() ? "" : " · " + v.target().instanceId()) + ": "
                + (v.met()
                        ? "met " + ReportText.offset(start, v.metAt().orElseThrow()) + " (deadline " + deadline + ")"
                        : "missed (deadline " + deadline + ")");
        StepResult step = step(red(name), decided, decided);
        List<Parameter> p = step.getParameters();
        p.add(parameter("target", describe(v.target())));
        p.add(parameter("window", v.window().describe()));
        p.add(parameter(
                "window start",
                v.windowStart()
                        .map(t -> ReportText.offset(start, t))
                        .orElse(v.window().from() + " never came")));
        p.add(parameter("deadline", deadline));
        v.metAt().ifPresent(t -> p.add(parameter("met at", ReportText.offset(start, t))));
        if (!v.lastSeen().isEmpty()) {
            p.add(parameter("last seen", v.lastSeen()));
        }
        if (!v.met()) {
            step.setStatus(Status.FAILED)
                    .setStatusDetails(
                            new StatusDetails().setMessage(red(v.message().isEmpty() ? name : v.message())));
        }
        return step;
    }

    private static List<Label> labels(DrillInfo drill, DrillReport report) {
        Set<String> seen = new LinkedHashSet<>();
        List<Label> out = new ArrayList<>();
        java.util.function.BiConsumer<String, String> add = (name, value) -> {
            if (value != null && !value.isBlank() && seen.add(name + "=" + value)) {
                out.add(new Label().setName(name).setValue(red(value)));
            }
        };
        add.accept("feature", drill.spec().observationOnly() ? "Observation-only check" : "Spot interruption");
        drill.spec().expectations().forEach(e -> add.accept("story", e.name()));
        report.verdicts().forEach(v -> add.accept("story", v.expectation()));
        add.accept("world", drill.world().name());
        add.accept("tag", "spotdrill");
        for (Target t : report.targets()) {
            add.accept("target", t.instanceId());
            add.accept("instanceType", t.instanceType());
            add.accept("zone", t.availabilityZone());
            t.node().ifPresent(n -> add.accept("node", n));
        }
        return out;
    }

    private static List<Link> links(DrillInfo drill, DrillReport report) {
        World w = drill.world();
        if (!World.AWS.equals(w.name()) || report.experimentId().isEmpty()) {
            return List.of();
        }
        String id = report.experimentId().get();
        return List.of(new Link()
                .setName(red("FIS experiment " + id))
                .setType("link")
                .setUrl(red(fisConsoleUrl(w.region(), id))));
    }

    /** The AWS console page of an experiment. */
    static String fisConsoleUrl(String region, String experimentId) {
        return dev.spotdrill.core.Partition.of(region).fisConsoleUrl(region, experimentId);
    }

    /** The observations of one source with their data, as a JSON array, or empty when there are none. */
    private static Optional<String> evidence(DrillReport report, String source) {
        Optional<Instant> start = report.timeline().startTime();
        List<Map<String, Object>> rows = report.timeline().observations().stream()
                .filter(o -> o.source().equals(source))
                .sorted(Comparator.comparing(Observation::at))
                .map(o -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("offset", ReportText.offset(start, o.at()));
                    m.put("at", o.at().toString());
                    m.put("target", o.targetId());
                    m.put("kind", o.kind());
                    m.put("detail", red(o.detail()));
                    Map<String, String> data = new LinkedHashMap<>();
                    o.data().entrySet().stream()
                            .sorted(Map.Entry.comparingByKey())
                            .forEach(e -> data.put(e.getKey(), red(e.getValue())));
                    m.put("data", data);
                    return m;
                })
                .collect(Collectors.toList());
        return rows.isEmpty() ? Optional.empty() : Optional.of(AllureResultsFiles.json(rows));
    }

    private static boolean looksLikeJson(String s) {
        String t = s.strip();
        return (t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]"));
    }

    private static Attachment attach(AllureLifecycle allure, String name, String type, String ext, String content) {
        String source = UUID.randomUUID() + "-attachment" + ext;
        allure.writeAttachment(source, new ByteArrayInputStream(red(content).getBytes(StandardCharsets.UTF_8)));
        return new Attachment().setName(red(name)).setType(type).setSource(source);
    }

    private static StepResult step(String name, long start, long stop) {
        return new StepResult()
                .setName(red(name))
                .setStatus(Status.PASSED)
                .setStage(Stage.FINISHED)
                .setStart(start)
                .setStop(Math.max(start, stop));
    }

    private static void fail(StepResult step, Throwable failure) {
        boolean failed = failure instanceof AssertionError
                || failure instanceof GuardrailException
                || failure instanceof ExperimentFailedException;
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        step.setStatus(failed ? Status.FAILED : Status.BROKEN)
                .setStatusDetails(new StatusDetails()
                        .setMessage(red(String.valueOf(failure.getMessage())))
                        .setTrace(red(trace.toString())));
    }

    private static Parameter parameter(String name, String value) {
        return new Parameter().setName(red(name)).setValue(red(value));
    }

    private static String describe(Target t) {
        if (t.isDrill()) {
            return t.describe();
        }
        return t.instanceType() + " · " + t.availabilityZone()
                + t.node().map(n -> " · node " + n).orElse("");
    }

    private static String red(String s) {
        return Redactor.redact(s == null ? "" : s);
    }
}
