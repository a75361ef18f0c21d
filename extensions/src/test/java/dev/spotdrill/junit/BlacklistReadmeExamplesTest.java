package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * The README's "Blacklist outcomes" examples, written exactly as the README prints them, pass on the healthy
 * {@code shop} lab, whose blacklister CronJob keeps its schedule (as on a real cluster); and the nightly check fails
 * under {@code spotBlacklister.label-boundaries} with the message the README shows.
 */
class BlacklistReadmeExamplesTest {
    static SpotLab lab;

    /** The README's nightly check, as printed. */
    @SpotDrill
    static class NightlyCheck {
        @org.junit.jupiter.api.Test
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        @ExpectNotBlacklisted(
                instanceTypes = {"m5.large", "t3.large"},
                within = "PT2M")
        void blacklistMatchesTheSpotAdvisor() {}
    }

    /** The README's drill, as printed. */
    @SpotDrill
    static class InterruptedTypeDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=cart,node.kubernetes.io/instance-type=c5.large", leadTime = "PT2M")
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklisted(minExpiry = "PT4H")
        void interruptedTypeIsBlacklisted(InterruptionRun run) {}
    }

    @BeforeAll
    static void startLab() {
        // the schedule stays live here: a scheduled Job may land during a drill, and changes no verdict. Pace 10, not
        // 20: the Job runs in about a second of wall time, but in a full parallel build the machine was starved for
        // five seconds at times, which at pace 20 is 100 s of world time and ran the Job past the README's PT2M window
        lab = SpotLab.start(LabOptions.builder().scenario("shop").pace(10).build());
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @BeforeEach
    void healthy() {
        lab.faults().clearAll();
        lab.castAi().clear();
    }

    @Test
    void theNightlyCheckAndTheDrillAsPrintedPassOnTheHealthyLab() {
        EngineExecutionResults results = EngineRuns.run(lab, NightlyCheck.class, InterruptedTypeDrill.class);

        EngineRuns.assertAllPassed(results, 2);
    }

    @Test
    void theNightlyCheckAsPrintedFailsUnderLabelBoundariesWithTheReadmesMessage() {
        lab.faults().set("spotBlacklister.label-boundaries");
        // the CronJob keeps its schedule: a scheduled Job may have filled the blacklist before the first read
        EngineExecutionResults results = EngineRuns.run(lab, NightlyCheck.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        String message = EngineRuns.failure(results, "blacklistMatchesTheSpotAdvisor")
                .orElseThrow()
                .getMessage();
        assertThat(message)
                .startsWith("@ExpectBlacklistMatchesAdvisor(os=\"Linux\", threshold=10) missed for the drill\n"
                        + "  window: START+PT2M, from +0.0s to deadline +120.0s (")
                .contains(" world time)\n  last seen: at the deadline the blacklist had missing m5a.large (5-10%); the"
                        + " Spot Advisor feed rates 5 types above 10% in us-east-1 for Linux: c5.large, c5.xlarge,"
                        + " m5.xlarge, m5a.large, r5.large; entries seen: ")
                .containsPattern(
                        "\ntimeline \\(world time from START\\):\n    -\\d+\\.\\ds  -  castai BLACKLIST_READ  read"
                                + " the blacklist of cluster \\S+: \\d+ entries\n(?s:.*?)    \\+0\\.0s  START")
                .containsPattern("cronjob JOB_COMPLETE  Job cast-ai/spot-blacklist-sd-[0-9a-f]{12} completed"
                        + " \\(CompletionsReached: Reached expected number of succeeded pods\\); pod \\S+ Succeeded,"
                        + " exit code 0 \\(Completed\\); its log ends: done: 4 types blacklisted until ");
    }
}
