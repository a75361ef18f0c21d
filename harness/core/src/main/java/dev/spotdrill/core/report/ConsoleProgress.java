package dev.spotdrill.core.report;

import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Phase;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Verdict;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Prints one {@code [spotdrill]} line per phase, moment and verdict while a drill runs, so that a user
 * watching a two-minute drill sees it move; found by {@link java.util.ServiceLoader}.
 *
 * <p>For example {@code [spotdrill] i-0abc NOTICE +0.4s · taint spot-itn ✓ +2.1s (deadline +30s)}. Offsets are
 * world time from START. Every line is redacted.
 */
public final class ConsoleProgress implements DrillListener {
    /** The prefix of every line. */
    public static final String PREFIX = "[spotdrill] ";

    private final Consumer<String> out;
    private final Map<String, Instant> starts = new ConcurrentHashMap<>();

    /** Prints to {@code System.out}; the constructor that {@link java.util.ServiceLoader} uses. */
    public ConsoleProgress() {
        this(System.out);
    }

    /** Prints to the given stream. */
    public ConsoleProgress(PrintStream out) {
        this((Consumer<String>) Objects.requireNonNull(out, "out")::println);
    }

    /** Hands each line, without a line break, to the given consumer (a logger, a test's list). */
    public ConsoleProgress(Consumer<String> out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    @Override
    public void drillStarted(DrillInfo drill) {
        World w = drill.world();
        print(drill.testName() + " · drill " + drill.runId() + " · world " + w.name() + " (" + w.region() + ", pace "
                + TimelineSvg.number(w.clock().pace()) + ") · "
                + (drill.spec().observationOnly()
                        ? "observation-only (no FIS experiment)"
                        : "lead time " + drill.spec().leadTimeText())
                + " · "
                + drill.spec().expectations().size() + " expectation"
                + (drill.spec().expectations().size() == 1 ? "" : "s"));
    }

    @Override
    public void phaseStarted(DrillInfo drill, Phase phase) {
        print(phase + " …");
    }

    @Override
    public void phaseFinished(DrillInfo drill, Phase phase, Throwable failure) {
        if (failure != null) {
            print(phase + " failed: " + message(failure));
        }
    }

    @Override
    public void targetsResolved(DrillInfo drill, List<Target> targets, long seed) {
        if (drill.spec().observationOnly()) {
            print("no targets: the drill only observes (no @SpotInterruption)");
            return;
        }
        print(targets.size() + " target" + (targets.size() == 1 ? "" : "s") + " (seed " + seed + "): "
                + targets.stream().map(Target::describe).collect(Collectors.joining(", ")));
    }

    @Override
    public void templateCreated(DrillInfo drill, String templateId, String templateJson) {
        print("FIS template " + templateId + " created");
    }

    @Override
    public void experimentStarted(DrillInfo drill, String experimentId) {
        print("FIS experiment " + experimentId + " started");
    }

    @Override
    public void momentReached(DrillInfo drill, Moment moment, String targetId, Instant at) {
        if (moment == Moment.START) {
            starts.put(drill.runId(), at);
        }
        String who = targetId == null || targetId.isEmpty() ? "" : targetId + " ";
        print(who + moment + " " + ReportText.offset(start(drill), at));
    }

    @Override
    public void observed(DrillInfo drill, Observation o) {
        boolean worthALine =
                o.kind().equals(Observation.Kinds.PROBE_ERROR) || o.kind().equals(Observation.Kinds.EXPERIMENT_STATE);
        if (worthALine) {
            print((o.targetId().isEmpty() ? "" : o.targetId() + " ") + o.source() + " " + o.kind() + " "
                    + ReportText.offset(start(drill), o.at())
                    + (o.detail().isEmpty() ? "" : ": " + ReportText.oneLine(o.detail())));
        }
    }

    @Override
    public void progress(DrillInfo drill, String line) {
        print(ReportText.oneLine(line));
    }

    @Override
    public void verdict(DrillInfo drill, Verdict verdict) {
        print(ReportText.verdictLine(verdict, start(drill)));
    }

    @Override
    public void drillFinished(DrillInfo drill, DrillReport report) {
        Instant s = starts.remove(drill.runId());
        long met = report.verdicts().stream().filter(Verdict::met).count();
        int all = report.verdicts().size();
        StringBuilder sb = new StringBuilder("drill ").append(drill.runId());
        if (report.passed()) {
            sb.append(" passed: ").append(met).append('/').append(all).append(" met");
        } else {
            sb.append(" FAILED: ").append(met).append('/').append(all).append(" met");
            report.failure().ifPresent(f -> sb.append("; ").append(message(f)));
        }
        report.experimentId().ifPresent(id -> sb.append(" · experiment ").append(id));
        report.experimentStatus().ifPresent(st -> sb.append(' ').append(st));
        if (s == null) {
            sb.append(" · START never came");
        }
        print(sb.toString());
        report.cost().ifPresent(c -> print(c.summary()));
    }

    private Optional<Instant> start(DrillInfo drill) {
        return Optional.ofNullable(starts.get(drill.runId()));
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        String first = m == null
                ? t.getClass().getSimpleName()
                : ReportText.oneLine(m.lines().findFirst().orElse(""));
        return first.length() > 300 ? first.substring(0, 299) + "…" : first;
    }

    private void print(String line) {
        out.accept(Redactor.redact(PREFIX + line));
    }
}
