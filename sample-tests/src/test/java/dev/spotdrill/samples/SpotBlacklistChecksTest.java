package dev.spotdrill.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.junit.ExpectBlacklistMatchesAdvisor;
import dev.spotdrill.junit.ExpectBlacklisted;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectNotBlacklisted;
import dev.spotdrill.junit.InterruptionRun;
import dev.spotdrill.junit.RunCronJob;
import dev.spotdrill.junit.SpotDrill;
import dev.spotdrill.junit.SpotInterruption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Sample checks of a Spot blacklister: a CronJob that reads the Spot Advisor feed and blacklists in CAST AI every
 * instance type whose interruption range is above a threshold.
 *
 * <p>The first is a nightly consistency check: an observation-only drill (no {@code @SpotInterruption}, no FIS call)
 * that runs the blacklister's Job and compares the blacklist with the feed. The second interrupts a Spot node of a
 * type the feed rates risky and expects that type blacklisted before the interruption.
 *
 * <p>On the embedded lab the {@code shop} cluster runs a reference blacklister as CronJob
 * {@code cast-ai/spot-blacklist} and serves the feed and CAST AI; nothing needs setting. On a real cluster set
 * {@code spotdrill.castai.organizationId}, {@code spotdrill.castai.clusterId} and the environment variable
 * {@code SPOTDRILL_CASTAI_API_KEY}, and name your own CronJob.
 */
@SpotDrill
@DisplayName("The Spot blacklister keeps CAST AI's blacklist in line with the Spot Advisor")
class SpotBlacklistChecksTest {

    @Test
    @DisplayName("Nightly: after the blacklister runs, exactly the risky types are blacklisted and no safe one")
    @RunCronJob("cast-ai/spot-blacklist") // its Job now, as kubectl create job --from=cronjob/spot-blacklist does
    @ExpectBlacklistMatchesAdvisor(os = "Linux", threshold = 10, within = "PT2M")
    @ExpectNotBlacklisted(
            instanceTypes = {"m5.large", "m6i.large", "t3.large"},
            within = "PT2M")
    void blacklistMatchesTheSpotAdvisor() {}

    @Test
    @DisplayName("A risky Spot node is interrupted; its type is blacklisted for at least 4 h before the interruption")
    @SpotInterruption(nodes = "workload=jobs,node.kubernetes.io/instance-type=c5.large", leadTime = "PT2M")
    @RunCronJob("cast-ai/spot-blacklist")
    @ExpectImdsNotice
    @ExpectBlacklisted(minExpiry = "PT4H") // no instanceTypes: the interrupted node's own type
    void interruptedTypeIsBlacklistedInTime(InterruptionRun run) {
        assertThat(run.targets()).singleElement().satisfies(t -> assertThat(t.instanceType())
                .isEqualTo("c5.large"));
    }
}
