package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.junit.seam.ExpectHeartbeat;
import dev.spotdrill.junit.seam.HeartbeatSource;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * The source seam: a test-only source and expectation ({@code seam.HeartbeatSource}, {@code @ExpectHeartbeat}),
 * registered through this module's test resources exactly as the built-in ones are, run in drills without a line
 * of core or extension code knowing them; and the observation-only drill they make possible.
 */
class SourceSeamTest {
    static SpotLab lab;
    static final List<String> RUN_IDS = new CopyOnWriteArrayList<>();
    static final List<dev.spotdrill.core.drill.Timeline> TIMELINES = new CopyOnWriteArrayList<>();
    static final List<List<dev.spotdrill.core.drill.Target>> TARGETS = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startLab() {
        lab = SpotLab.start(LabOptions.builder().scenario("shop").pace(20).build());
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @SpotDrill
    static class ObservationOnly {
        @org.junit.jupiter.api.Test
        @ExpectHeartbeat(beats = 2, within = "PT30S")
        void beats(InterruptionRun run) {
            RUN_IDS.add(run.runId());
            TIMELINES.add(run.timeline());
            TARGETS.add(run.targets());
        }
    }

    @SpotDrill
    static class WithAnExperiment {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @ExpectHeartbeat(beats = 3, every = "PT20S")
        void beatsUntilTheInterruption() {}
    }

    @SpotDrill
    static class TooFewBeats {
        @org.junit.jupiter.api.Test
        @ExpectHeartbeat(beats = 5, every = "PT10S", within = "PT30S")
        void beatsTooSlowly() {}
    }

    @SpotDrill
    static class BadObservationOnly {
        @org.junit.jupiter.api.Test
        @ExpectHeartbeat(beats = 1)
        void noWithin() {}

        @org.junit.jupiter.api.Test
        @ExpectTaint(within = "PT1M")
        void aTargetExpectationWithoutTargets() {}

        @org.junit.jupiter.api.Test
        @ExpectHeartbeat(beats = 1, from = Moment.NOTICE, within = "PT1M")
        void aMomentThatNeverComes() {}
    }

    @Test
    void aTestOnlySourceAndExpectationRunInAnObservationOnlyDrillWithoutAnyFisCall() {
        int before = lab.callLog().calls().size();
        EngineExecutionResults results = EngineRuns.run(lab, ObservationOnly.class);

        EngineRuns.assertAllPassed(results, 1);
        String runId = RUN_IDS.get(0);
        assertThat(HeartbeatSource.STARTED).contains(runId + " [test-heartbeat{every=PT10S}]");
        assertThat(TIMELINES.get(0).observations())
                .filteredOn(o -> o.kind().equals("BEAT"))
                .hasSizeGreaterThanOrEqualTo(2);
        assertThat(TARGETS.get(0)).isEmpty();
        assertThat(lab.callLog().calls().subList(before, lab.callLog().calls().size()))
                .noneMatch(c -> c.service().equals("fis"));
    }

    @Test
    void theSameSourceRunsBesideAnExperiment() {
        EngineExecutionResults results = EngineRuns.run(lab, WithAnExperiment.class);

        assertThat(EngineRuns.failures(results)).isEmpty();
        EngineRuns.assertAllPassed(results, 1);
    }

    @Test
    void aTestOnlyExpectationThatIsNotMetFailsWithItsName() {
        EngineExecutionResults results = EngineRuns.run(lab, TooFewBeats.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        assertThat(EngineRuns.failure(results, "beatsTooSlowly").orElseThrow())
                .hasMessageStartingWith("@ExpectHeartbeat(beats=5) missed for the drill\n"
                        + "  window: START+PT30S, from +0.0s to deadline +30.0s")
                .hasMessageContaining("timeline (world time from START):")
                // beat 1 lands at +10 s, well inside the window; beat 3 lands on the deadline itself and may or
                // may not be seen on a loaded machine
                .hasMessageContaining("test-heartbeat BEAT  beat 1")
                .hasMessageNotContaining("beat 5");
    }

    @Test
    void anObservationOnlyDrillNeedsWithinAndDrillLevelExpectationsFromStart() {
        int before = lab.callLog().mutatingCalls().size();
        EngineExecutionResults results = EngineRuns.run(lab, BadObservationOnly.class);
        assertThat(EngineRuns.names(results.testEvents().succeeded().list())).isEmpty();

        results.testEvents().assertStatistics(s -> s.started(3).failed(3));
        assertThat(EngineRuns.failure(results, "noWithin").orElseThrow())
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("@ExpectHeartbeat(beats=1) has no within: a drill without @SpotInterruption is"
                        + " observation-only and has no INTERRUPTION to end the window; set within, for example"
                        + " within = \"PT2M\", or add @SpotInterruption(...) to interrupt instances");
        assertThat(EngineRuns.failure(results, "aTargetExpectationWithoutTargets")
                        .orElseThrow())
                .hasMessage("@ExpectTaint(key=\"aws-node-termination-handler/spot-itn\", effect=\"NoSchedule\") is"
                        + " about interrupted instances, and this test has no @SpotInterruption to interrupt any; add"
                        + " @SpotInterruption(...) to say which instances to interrupt");
        assertThat(EngineRuns.failure(results, "aMomentThatNeverComes").orElseThrow())
                .hasMessage("@ExpectHeartbeat(beats=1)(from=NOTICE): a drill without @SpotInterruption is"
                        + " observation-only and has no NOTICE; use from = START, or add @SpotInterruption(...) to"
                        + " interrupt instances");
        assertThat(lab.callLog().mutatingCalls()).hasSize(before);
    }
}
