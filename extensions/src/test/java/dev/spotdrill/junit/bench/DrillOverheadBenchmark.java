package dev.spotdrill.junit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.Phase;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.lab.ApiCall;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures the harness's own overhead per drill and the AWS calls a drill makes. Not a timed assertion: it prints
 * figures. Run it with
 * {@code ./mvnw -B -o -pl extensions -am test -Dtest=DrillOverheadBenchmark -Dspotdrill.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false}
 * and read {@code extensions/target/surefire-reports/dev.spotdrill.junit.bench.DrillOverheadBenchmark-output.txt}.
 */
@Tag("benchmark")
class DrillOverheadBenchmark {

    /** Wall nanos of the drill's moments, recorded on the drill's own callbacks. */
    static final class Stopwatch implements DrillListener {
        long started;
        long running;

        @Override
        public void drillStarted(DrillInfo drill) {
            started = System.nanoTime();
        }

        @Override
        public void phaseFinished(DrillInfo drill, Phase phase, Throwable failure) {
            if (phase == Phase.START) {
                running = System.nanoTime();
            }
        }

        @Override
        public void drillFinished(DrillInfo drill, DrillReport report) {}
    }

    @Test
    void overheadPerDrill() {
        int drills = 10;
        double pace = 60;
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("fleet").pace(pace).build())) {
            List<Double> overheadMs = new ArrayList<>();
            List<Map<String, Long>> calls = new ArrayList<>();
            for (int i = 1; i <= drills; i++) {
                String id = String.format("i-0f1ee70000000000%x", i);
                Stopwatch watch = new Stopwatch();
                Instant before = lab.clock().now();
                DrillSpec spec = new DrillSpec(
                        Selector.instances(id),
                        1,
                        "PT2M",
                        List.of(
                                Expectations.rebalanceRecommendation(Window.untilInterruption()),
                                Expectations.imdsNotice("terminate", Window.untilInterruption())),
                        null);
                try (Drill drill =
                        Drill.prepare(lab.world(), spec, DrillOptions.defaults(), "bench-" + i, List.of(watch))) {
                    drill.start();
                    // the lab's modelled wait: from the experiment's creation to its action running (world time)
                    String experimentId = drill.experimentId().orElseThrow();
                    Instant created = lab.callLog().calls("fis", "StartExperiment").stream()
                            .filter(c -> c.resource().contains(experimentId))
                            .map(ApiCall::worldTime)
                            .findFirst()
                            .orElseThrow();
                    Instant actionStart = drill.timeline().startTime().orElseThrow();
                    long modelledNanos = lab.clock()
                            .toWall(Duration.between(created, actionStart))
                            .toNanos();
                    overheadMs.add((watch.running - watch.started - modelledNanos) / 1e6);
                    List<Verdict> verdicts = drill.awaitVerdicts();
                    assertThat(verdicts).allMatch(Verdict::met);
                }
                calls.add(lab.callLog().since(before).stream()
                        .filter(c -> !c.service().equals("imds"))
                        .collect(Collectors.groupingBy(
                                c -> c.service() + ":" + c.operation(), TreeMap::new, Collectors.counting())));
            }
            System.out.println("[bench] pace " + pace + ", " + drills + " sequential drills, lead time PT2M");
            System.out.println("[bench] harness overhead per drill, test start -> experiment running, minus the"
                    + " lab's modelled waits (ms): "
                    + overheadMs.stream().map(d -> String.format("%.0f", d)).toList());
            List<Double> warm =
                    overheadMs.subList(1, overheadMs.size()).stream().sorted().toList();
            System.out.printf(
                    "[bench] first drill in this JVM %.0f ms; warm drills median %.0f ms, max %.0f ms%n",
                    overheadMs.get(0), warm.get(warm.size() / 2), warm.get(warm.size() - 1));
            System.out.println(
                    "[bench] AWS calls per drill (excluding IMDS), last drill: " + calls.get(calls.size() - 1) + " = "
                            + calls.get(calls.size() - 1).values().stream()
                                    .mapToLong(Long::longValue)
                                    .sum());
            figure("P2.overhead", warm.get(warm.size() / 2), "ms", 100, "harness overhead per drill, warm median");
            figure(
                    "P2.awsCalls",
                    calls.get(calls.size() - 1).values().stream()
                            .mapToLong(Long::longValue)
                            .sum(),
                    "calls",
                    null,
                    "AWS calls per drill, IMDS excluded");
        }
    }

    /** Prints one figure on the {@code [figure]} line that ci/bench.sh collects. */
    static void figure(String id, double value, String unit, Number goal, String what) {
        System.out.printf(
                java.util.Locale.ROOT,
                "[figure] {\"id\":\"%s\",\"value\":%.2f,\"unit\":\"%s\",\"goal\":%s,\"better\":\"lower\","
                        + "\"what\":\"%s\"}%n",
                id,
                value,
                unit,
                goal,
                what);
    }

    /**
     * The AWS calls of a drill whose expectation is measured from NOTICE, which starts the EventBridge source (its
     * own rule and queue) beside IMDS, against the same drill measured from START.
     */
    @Test
    void awsCallsWithAndWithoutTheEventBridgeSource() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("fleet").pace(60).build())) {
            Map<String, Map<String, Long>> byWindow = new java.util.LinkedHashMap<>();
            int n = 0;
            for (Window window :
                    List.of(Window.untilInterruption(), Window.from(dev.spotdrill.core.drill.Moment.NOTICE))) {
                String id = String.format("i-0f1ee70000000000%x", ++n);
                Instant before = lab.clock().now();
                DrillSpec spec = new DrillSpec(
                        Selector.instances(id), 1, "PT2M", List.of(Expectations.imdsNotice("terminate", window)), null);
                try (Drill drill = Drill.prepare(lab.world(), spec, DrillOptions.defaults(), "calls-" + n, List.of())) {
                    drill.start();
                    assertThat(drill.awaitVerdicts()).allMatch(Verdict::met);
                }
                byWindow.put(
                        window.describe(),
                        lab.callLog().since(before).stream()
                                .filter(c -> !c.service().equals("imds"))
                                .filter(c -> !c.caller().contains("spotdrill-lab-responder"))
                                .collect(Collectors.groupingBy(
                                        c -> c.service() + ":" + c.operation(), TreeMap::new, Collectors.counting())));
            }
            byWindow.forEach((window, calls) -> System.out.println("[bench] AWS calls of a drill with a window "
                    + window + " (excluding IMDS): " + calls + " = "
                    + calls.values().stream().mapToLong(Long::longValue).sum()));
        }
    }
}
