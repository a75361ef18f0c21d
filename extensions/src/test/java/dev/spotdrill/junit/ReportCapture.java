package dev.spotdrill.junit;

import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Phase;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the reports of drills whose test class's name starts with {@code Coalesced} (fixtures of the coalescing
 * tests), by run id; found by ServiceLoader like any listener.
 */
public final class ReportCapture implements DrillListener {
    static final Map<String, DrillReport> REPORTS = new ConcurrentHashMap<>();
    static final Map<String, String> TESTS = new ConcurrentHashMap<>();
    /** Wall nanos when each phase of each drill started and finished, by run id and "PHASE+" / "PHASE-". */
    static final Map<String, Map<String, Long>> PHASES = new ConcurrentHashMap<>();

    @Override
    public void phaseStarted(DrillInfo drill, Phase phase) {
        mark(drill, phase + "+");
    }

    @Override
    public void phaseFinished(DrillInfo drill, Phase phase, Throwable failure) {
        mark(drill, phase + "-");
    }

    private static void mark(DrillInfo drill, String what) {
        if (drill.testName().startsWith("Coalesced")) {
            PHASES.computeIfAbsent(drill.runId(), k -> new ConcurrentHashMap<>())
                    .put(what, System.nanoTime());
        }
    }

    @Override
    public void drillFinished(DrillInfo drill, DrillReport report) {
        if (drill.testName().startsWith("Coalesced")) {
            REPORTS.put(drill.runId(), report);
            TESTS.put(drill.runId(), drill.testName());
        }
    }
}
