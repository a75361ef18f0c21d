package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** Seven drills in parallel on one lab: distinct targets, all pass, while FIS allows 5 active experiments. */
class ParallelDrillsTest {
    static final Set<String> TARGETS = ConcurrentHashMap.newKeySet();
    static final List<Instant[]> WINDOWS = new CopyOnWriteArrayList<>();

    @SpotDrill
    static class SevenDrills {
        @RepeatedTest(7)
        @SpotInterruption(tags = "fleet=parallel")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill(InterruptionRun run) {
            run.targets().forEach(t -> TARGETS.add(t.instanceId()));
            WINDOWS.add(new Instant[] {run.startTime(), run.interruptionTime()});
        }
    }

    @Test
    void sevenParallelDrillsPassWithinTheActiveExperimentQuota() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("fleet").pace(60).build())) {
            EngineExecutionResults results = EngineRuns.run(lab, SevenDrills.class);

            EngineRuns.assertAllPassed(results, 7);
            assertThat(TARGETS).hasSize(7);
            // the drills really overlapped, and never more than FIS's 5 active experiments at once
            assertThat(maxOverlap(WINDOWS)).isBetween(2, 5);
            assertThat(lab.callLog().calls("fis", "StartExperiment"))
                    .filteredOn(c -> c.status() == 200)
                    .hasSize(7);
            // FIS never had more than 5 active: the extra starts were refused with 402 and retried
            assertThat(lab.callLog().calls("fis", "StartExperiment"))
                    .filteredOn(c -> c.status() != 200)
                    .allSatisfy(c -> assertThat(c.status()).isEqualTo(402));
        }
    }

    /** The most START..INTERRUPTION windows open at one world instant. */
    static int maxOverlap(List<Instant[]> windows) {
        record Edge(Instant at, int delta) {}
        List<Edge> edges = new ArrayList<>();
        for (Instant[] w : windows) {
            edges.add(new Edge(w[0], +1));
            edges.add(new Edge(w[1], -1));
        }
        // at equal instants, close before opening: touching windows do not overlap
        edges.sort(Comparator.comparing(Edge::at).thenComparing(Edge::delta));
        int open = 0;
        int max = 0;
        for (Edge e : edges) {
            open += e.delta();
            max = Math.max(max, open);
        }
        return max;
    }
}
