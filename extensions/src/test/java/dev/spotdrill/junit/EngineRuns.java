package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.spotdrill.lab.SpotLab;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/** Runs fixture classes with EngineTestKit against a lab the test holds, so the test can inspect the lab after. */
final class EngineRuns {
    private EngineRuns() {}

    static EngineExecutionResults run(SpotLab lab, Map<String, String> params, Class<?>... fixtures) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("junit.jupiter.execution.parallel.enabled", "true");
        all.put("junit.jupiter.execution.parallel.mode.default", "concurrent");
        all.put("junit.jupiter.execution.parallel.config.strategy", "fixed");
        all.put("junit.jupiter.execution.parallel.config.fixed.parallelism", "8");
        if (lab != null) {
            all.put("spotdrill.lab.attach", lab.id());
        }
        all.putAll(params);
        EngineTestKit.Builder kit = EngineTestKit.engine("junit-jupiter").configurationParameters(all);
        for (Class<?> f : fixtures) {
            kit = kit.selectors(selectClass(f));
        }
        return kit.execute();
    }

    static EngineExecutionResults run(SpotLab lab, Class<?>... fixtures) {
        return run(lab, Map.of(), fixtures);
    }

    /**
     * Asserts that all {@code n} tests ran and passed: none failed (their failures are shown with their whole stack
     * traces, causes included), and none was skipped or aborted, since a skipped or aborted test proves nothing
     * either.
     */
    static void assertAllPassed(EngineExecutionResults results, int n) {
        Map<String, Throwable> failed = failures(results);
        StringBuilder stacks = new StringBuilder();
        failed.forEach((name, t) -> {
            java.io.StringWriter w = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(w));
            stacks.append('\n').append(name).append(": ").append(w);
        });
        assertThat(failed.keySet()).as("failed tests:%s", stacks).isEmpty();
        results.testEvents()
                .assertStatistics(s -> s.started(n).succeeded(n).aborted(0).skipped(0));
    }

    /**
     * The failure of each failed test, by method name; a method that failed more than once (one drill per target,
     * say) has its later failures under {@code name[2]}, {@code name[3]}, ...
     */
    static Map<String, Throwable> failures(EngineExecutionResults results) {
        Map<String, Throwable> out = new java.util.LinkedHashMap<>();
        results.testEvents().failed().stream().forEach(e -> {
            Throwable t = e.getRequiredPayload(org.junit.platform.engine.TestExecutionResult.class)
                    .getThrowable()
                    .orElseThrow();
            String name = method(e);
            String key = name;
            for (int i = 2; out.containsKey(key); i++) {
                key = name + "[" + i + "]";
            }
            out.put(key, t);
        });
        return out;
    }

    static String method(Event e) {
        return e.getTestDescriptor()
                .getSource()
                .filter(s -> s instanceof org.junit.platform.engine.support.descriptor.MethodSource)
                .map(s -> ((org.junit.platform.engine.support.descriptor.MethodSource) s).getMethodName())
                .orElse(e.getTestDescriptor().getDisplayName());
    }

    static Optional<Throwable> failure(EngineExecutionResults results, String method) {
        return Optional.ofNullable(failures(results).get(method));
    }

    static List<String> names(List<Event> events) {
        return events.stream().map(EngineRuns::method).toList();
    }
}
