package dev.spotdrill.junit;

import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillReport;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the reports of drills whose test class's name starts with {@code Coalesced} (fixtures of the coalescing
 * tests), by run id; found by ServiceLoader like any listener.
 */
public final class ReportCapture implements DrillListener {
    static final Map<String, DrillReport> REPORTS = new ConcurrentHashMap<>();
    static final Map<String, String> TESTS = new ConcurrentHashMap<>();

    @Override
    public void drillFinished(DrillInfo drill, DrillReport report) {
        if (drill.testName().startsWith("Coalesced")) {
            REPORTS.put(drill.runId(), report);
            TESTS.put(drill.runId(), drill.testName());
        }
    }
}
