package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * P3: the wall time of 20 drills (PT2M, pace 60, 20 distinct targets) run in parallel, with coalescing on
 * ({@code spotdrill.fis.coalesce=PT2S}) and off, against one drill alone; plus the experiments created and the peak of
 * active experiments with coalescing on. Prints {@code [figure]} lines. Run it with
 * {@code ./mvnw -B -o -pl extensions -am test -Dtest=CoalesceBenchmark -Dspotdrill.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class CoalesceBenchmark {
    private static final int DRILLS = 20;

    @SpotDrill
    static class CoalescedBenchOne {
        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000021", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill(InterruptionRun run) {}
    }

    /** 20 drills on 20 distinct instances, given by id (a tag selector would make them race for the same picks). */
    @SpotDrill
    static class CoalescedBenchTwenty {
        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000001", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill01(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000002", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill02(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000003", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill03(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000004", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill04(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000005", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill05(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000006", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill06(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000007", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill07(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000008", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill08(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000009", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill09(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000010", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill10(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000011", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill11(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000012", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill12(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000013", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill13(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000014", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill14(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000015", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill15(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000016", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill16(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000017", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill17(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000018", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill18(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000019", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill19(InterruptionRun run) {}

        @Test
        @SpotInterruption(instances = "i-0c0a1e5ce00000020", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill20(InterruptionRun run) {}
    }

    record Run(double seconds, long experiments, long peakActive) {}

    private static Run run(Class<?> fixture, int drills, boolean coalesce) {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("coalesce.yaml")
                .pace(60)
                .faults(List.of("fis.quota=5"))
                .build())) {
            AtomicLong peak = new AtomicLong();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(
                    () -> peak.accumulateAndGet(lab.activeExperiments(), Math::max), 0, 10, TimeUnit.MILLISECONDS);
            Map<String, String> params = new java.util.HashMap<>();
            params.put("junit.jupiter.execution.parallel.config.fixed.parallelism", "20");
            if (coalesce) {
                params.put("spotdrill.fis.coalesce", "PT2S");
            }
            ReportCapture.PHASES.clear();
            long t0 = System.nanoTime();
            EngineExecutionResults results = EngineRuns.run(lab, params, fixture);
            double seconds = (System.nanoTime() - t0) / 1e9;
            phases(fixture.getSimpleName() + (coalesce ? " coalesced" : ""), t0);
            sampler.shutdownNow();
            EngineRuns.assertAllPassed(results, drills);
            System.out.println("[bench] " + fixture.getSimpleName() + (coalesce ? " coalesced" : "") + " AWS calls: "
                    + lab.callLog().calls().stream()
                            .filter(c -> !c.service().equals("imds"))
                            .collect(java.util.stream.Collectors.groupingBy(
                                    c -> c.service() + ":" + c.operation(),
                                    java.util.TreeMap::new,
                                    java.util.stream.Collectors.counting())));
            long experiments = lab.callLog().calls("fis", "StartExperiment").stream()
                    .filter(c -> c.status() == 200)
                    .map(c -> c.resource())
                    .distinct()
                    .count();
            return new Run(seconds, experiments, peak.get());
        }
    }

    /** Prints, per phase, when the drills entered and left it (ms from the run's start: min..max). */
    private static void phases(String what, long t0) {
        StringBuilder sb = new StringBuilder("[bench] " + what + " phases, ms from the start (first..last):");
        for (dev.spotdrill.core.drill.Phase p : dev.spotdrill.core.drill.Phase.values()) {
            java.util.LongSummaryStatistics in = ReportCapture.PHASES.values().stream()
                    .filter(m -> m.containsKey(p + "+"))
                    .mapToLong(m -> (m.get(p + "+") - t0) / 1_000_000)
                    .summaryStatistics();
            java.util.LongSummaryStatistics out = ReportCapture.PHASES.values().stream()
                    .filter(m -> m.containsKey(p + "-"))
                    .mapToLong(m -> (m.get(p + "-") - t0) / 1_000_000)
                    .summaryStatistics();
            if (in.getCount() > 0) {
                sb.append(String.format(
                        Locale.ROOT,
                        " %s in %d..%d out %d..%d;",
                        p,
                        in.getMin(),
                        in.getMax(),
                        out.getMin(),
                        out.getMax()));
            }
        }
        System.out.println(sb);
    }

    private static void figure(String id, double value, String unit, Double goal, String better, String what) {
        System.out.println(String.format(
                Locale.ROOT,
                "[figure] {\"id\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"goal\":%s,\"better\":\"%s\",\"what\":\"%s\"}",
                id,
                value == Math.rint(value) ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.2f", value),
                unit,
                goal == null ? "null" : String.valueOf(goal),
                better,
                what));
    }

    @Test
    void twentyDrillsCoalescedUncoalescedAndOne() {
        run(CoalescedBenchOne.class, 1, false); // warm-up: class loading, the JIT, the SDK clients
        Run one = run(CoalescedBenchOne.class, 1, false);
        Run coalesced = run(CoalescedBenchTwenty.class, DRILLS, true);
        Run uncoalesced = run(CoalescedBenchTwenty.class, DRILLS, false);

        figure("P3.one", one.seconds(), "s", null, "lower", "one drill (PT2M, pace 60), wall time");
        figure(
                "P3.coalesced",
                coalesced.seconds(),
                "s",
                null,
                "lower",
                "20 drills in parallel, spotdrill.fis.coalesce=PT2S, wall time");
        figure(
                "P3.uncoalesced",
                uncoalesced.seconds(),
                "s",
                null,
                "lower",
                "20 drills in parallel, not coalesced, wall time");
        figure(
                "P3.ratio",
                coalesced.seconds() / one.seconds(),
                "x",
                1.3,
                "lower",
                "20 coalesced drills / one drill, wall time");
        figure(
                "P3.experiments",
                coalesced.experiments(),
                "count",
                null,
                "lower",
                "FIS experiments the 20 coalesced drills created (uncoalesced: " + uncoalesced.experiments() + ")");
        figure(
                "P3.peakActive",
                coalesced.peakActive(),
                "count",
                5.0,
                "lower",
                "peak of active experiments, 20 coalesced drills (uncoalesced: " + uncoalesced.peakActive() + ")");
        assertThat(coalesced.peakActive()).isLessThanOrEqualTo(5);
        assertThat(uncoalesced.peakActive()).isLessThanOrEqualTo(5);
    }
}
