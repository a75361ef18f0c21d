package dev.spotdrill.junit;

import static dev.spotdrill.junit.BlacklistTests.BLACKLISTED;
import static dev.spotdrill.junit.BlacklistTests.MATCHES;
import static dev.spotdrill.junit.BlacklistTests.NOT_BLACKLISTED;
import static dev.spotdrill.junit.BlacklistTests.RUN;
import static dev.spotdrill.junit.BlacklistTests.misses;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.SpotLab;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * Each fault of the reference blacklister is caught by the blacklist expectation it breaks, whose message names the
 * types (or the Job's failure and its log); the expectations it does not break pass. One observation-only nightly
 * check runs against each fault: the blacklister's Job, the blacklist against the Spot Advisor feed, two risky types
 * (one of them {@code m5a.large}, the one type whose range {@code "5-10%"} has maximum 11 and so is above a threshold
 * of 10), and three safe types that must stay off the list.
 */
class BlacklisterFaultsTest {
    static SpotLab lab;

    @SpotDrill
    static class NightlyCheck {
        @org.junit.jupiter.api.Test
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        @ExpectBlacklisted(
                instanceTypes = {"c5.large", "m5a.large"},
                within = "PT2M")
        @ExpectNotBlacklisted(
                instanceTypes = {"m5.large", "t3.large", "m6i.large"},
                within = "PT2M")
        void check() {}
    }

    @BeforeAll
    static void startLab() {
        // pace 10: PT2M of world time is 12 s of wall time. The Job makes a dozen API calls one after another; in a
        // full
        // parallel build on two cores each took 200-500 ms and the Job 3.5-4.6 s, and at pace 20 (6 s) one run
        // missed its window
        lab = BlacklistTests.lab(10);
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @BeforeEach
    void quiet() {
        BlacklistTests.quiet(lab);
    }

    /** The whole failure of the last run, with the timeline. */
    private static String failure = "";

    private static Map<String, String> run(String fault) {
        if (fault != null) {
            lab.faults().set(fault);
        }
        EngineExecutionResults results = EngineRuns.run(lab, NightlyCheck.class);
        results.testEvents().assertStatistics(s -> s.started(1));
        failure = BlacklistTests.failure(results);
        return misses(results);
    }

    @Test
    void aHealthyBlacklisterPassesEveryCheck() {
        assertThat(run(null)).as(() -> failure).isEmpty();
        assertThat(lab.castAi().entries())
                .extracting(e -> e.instanceFamily())
                .containsExactlyInAnyOrder("r5.large", "c5.xlarge", "c5.large", "m5.xlarge", "m5a.large");
    }

    @Test
    void aBlacklisterThatIsDownFailsItsJobWithTheLogAndBlacklistsNothing() {
        Map<String, String> misses = run("spotBlacklister.down");

        assertThat(misses).containsOnlyKeys(RUN, MATCHES, BLACKLISTED);
        assertThat(misses.get(RUN))
                .startsWith(RUN + " missed for the drill\n  window: START+PT10M, from +0.0s")
                .containsPattern("last seen: Job cast-ai/spot-blacklist-sd-[0-9a-f]{12} failed \\(BackoffLimitExceeded:"
                        + " Job has reached the specified backoff limit\\); pod spot-blacklist-sd-\\S+ Failed, exit code"
                        + " 1 \\(Error\\); its pod's log ends:\n      \\| error: spot-blacklister cannot start: it is"
                        + " down \\(lab fault spotBlacklister.down\\)");
        assertThat(misses.get(MATCHES))
                .contains("last seen: at the deadline the blacklist had missing c5.large (10-15%), c5.xlarge (15-20%),"
                        + " m5.xlarge (10-15%), m5a.large (5-10%), r5.large (>20%); the Spot Advisor feed rates 5 types"
                        + " above 10% in us-east-1 for Linux: c5.large, c5.xlarge, m5.xlarge, m5a.large, r5.large;"
                        + " entries seen: none;");
        assertThat(misses.get(BLACKLISTED))
                .contains("last seen: c5.large is not blacklisted; m5a.large is not blacklisted; entries seen: none");
    }

    @Test
    void labelBoundariesMissTheOneBoundaryTypeAndOnlyTheExpectationsThatWantItCatchIt() {
        Map<String, String> misses = run("spotBlacklister.label-boundaries");

        assertThat(misses).containsOnlyKeys(MATCHES, BLACKLISTED);
        assertThat(misses.get(MATCHES))
                .contains("last seen: at the deadline the blacklist had missing m5a.large (5-10%); the Spot Advisor")
                .doesNotContain("extra");
        assertThat(misses.get(BLACKLISTED))
                .contains("last seen: m5a.large is not blacklisted; entries seen: ")
                .doesNotContain("c5.large is not");
    }

    @Test
    void entriesWithoutExpiresAtFailExpectBlacklistedButStillMatchTheAdvisor() {
        Map<String, String> misses = run("spotBlacklister.no-expiry");

        assertThat(misses).containsOnlyKeys(BLACKLISTED);
        assertThat(misses.get(BLACKLISTED))
                .containsPattern("last seen: c5.large is blacklisted without expiresAt, so the entry never expires:"
                        + " c5.large by type entry c5.large \\(spot, no expiresAt\\) at \\+\\d+\\.\\ds; a blacklister"
                        + " should set expiresAt \\(minExpiry PT4H\\); m5a.large is blacklisted without expiresAt");
    }

    @Test
    void aBlacklisterThatStopsAfterTwoTypesIsMissingTheRest() {
        Map<String, String> misses = run("spotBlacklister.stop-after=2");

        assertThat(misses).containsOnlyKeys(MATCHES, BLACKLISTED);
        assertThat(misses.get(MATCHES))
                .contains("at the deadline the blacklist had missing c5.large (10-15%), m5.xlarge (10-15%), m5a.large"
                        + " (5-10%); the Spot Advisor");
        assertThat(misses.get(BLACKLISTED))
                .containsPattern("entries seen: (r5.large|c5.xlarge) \\(spot, until \\S+\\) at \\+\\d+\\.\\ds,"
                        + " (r5.large|c5.xlarge) \\(spot, until \\S+\\) at \\+\\d+\\.\\ds; last read:");
    }

    @Test
    void aDryRunBlacklistsNothingThoughItsJobCompletes() {
        Map<String, String> misses = run("spotBlacklister.dry-run");

        assertThat(misses).containsOnlyKeys(MATCHES, BLACKLISTED);
        assertThat(misses.get(MATCHES))
                .contains("missing c5.large (10-15%), c5.xlarge (15-20%), m5.xlarge (10-15%), m5a.large (5-10%),"
                        + " r5.large (>20%)");
        // the timeline shows the Job, and its log's last line says what it did not do
        assertThat(failure)
                .containsPattern("cronjob JOB_COMPLETE  Job cast-ai/spot-blacklist-sd-[0-9a-f]{12} completed .*; its"
                        + " log ends: done \\(dry run\\): 5 types would be blacklisted; nothing changed");
    }

    @Test
    void theWrongOperatingSystemOverBlacklistsAndExpectNotBlacklistedCatchesTheFirstSafeTypeWithItsEntry() {
        Map<String, String> misses = run("spotBlacklister.wrong-os=Windows");

        assertThat(misses).containsOnlyKeys(MATCHES, NOT_BLACKLISTED);
        assertThat(misses.get(NOT_BLACKLISTED))
                .startsWith(NOT_BLACKLISTED + " missed for the drill\n  window: START+PT2M")
                .containsPattern("last seen: (m5.large|t3.large) was blacklisted: (m5.large|t3.large) by type entry"
                        + " (m5.large|t3.large) \\(spot, until \\S+\\) at \\+\\d+\\.\\ds");
        assertThat(misses.get(MATCHES))
                .contains("at the deadline the blacklist had missing c5.xlarge (15-20%); extra m5.large, t3.large;");
    }
}
