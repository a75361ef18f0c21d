package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.lab.ApiCall;
import dev.spotdrill.lab.SpotLab;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * Bad input to the blacklist annotations is refused before anything is created: no Job, no blacklist change, no FIS
 * call; each message quotes the attribute or setting, the value and the fix.
 */
class BlacklistBadInputTest {
    static SpotLab lab;

    @SpotDrill
    static class ObservationOnly {
        @org.junit.jupiter.api.Test
        @ExpectBlacklistMatchesAdvisor(threshold = 10)
        void noWithin() {}

        @org.junit.jupiter.api.Test
        @ExpectBlacklisted(within = "PT2M")
        void noTypesAndNoTargets() {}

        @org.junit.jupiter.api.Test
        @RunCronJob("cast-ai/spot-blacklister")
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        void unknownCronJob() {}

        @org.junit.jupiter.api.Test
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklistMatchesAdvisor(threshold = 101, within = "PT2M")
        void thresholdAbove100() {}

        @org.junit.jupiter.api.Test
        @ExpectBlacklistMatchesAdvisor(threshold = -1, within = "PT2M")
        void negativeThreshold() {}

        @org.junit.jupiter.api.Test
        @ExpectBlacklistMatchesAdvisor(os = "linux", within = "PT2M")
        void lowerCaseOs() {}

        @org.junit.jupiter.api.Test
        @ExpectBlacklisted(instanceTypes = "c5", within = "PT2M")
        void aFamilyInsteadOfAType() {}

        @org.junit.jupiter.api.Test
        @ExpectBlacklisted(instanceTypes = "c5.large", minExpiry = "4h", within = "PT2M")
        void minExpiryNotIso() {}

        @org.junit.jupiter.api.Test
        @ExpectNotBlacklisted(
                instanceTypes = {},
                lifecycle = "spot",
                within = "PT2M")
        void notBlacklistedNamesNothing() {}

        @org.junit.jupiter.api.Test
        @ExpectNotBlacklisted(instanceTypes = "m5.large", lifecycle = "Spot", within = "PT2M")
        void lifecycleCase() {}

        @org.junit.jupiter.api.Test
        @RunCronJob(value = "spot-blacklist", within = "PT2M")
        void cronJobWithoutNamespace() {}
    }

    @SpotDrill
    static class WithAnExperiment {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @RunCronJob("castai/spot-blacklist")
        @ExpectBlacklisted
        void unknownCronJobBeforeTheTemplate() {}
    }

    @SpotDrill
    static class AwsWorld {
        @org.junit.jupiter.api.Test
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        void check() {}
    }

    @BeforeAll
    static void startLab() {
        lab = BlacklistTests.lab(60);
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @BeforeEach
    void quiet() {
        BlacklistTests.quiet(lab);
    }

    @Test
    void eachBadInputIsRefusedBeforeAnythingIsCreated() {
        Instant before = lab.clock().now();
        EngineExecutionResults results = EngineRuns.run(lab, ObservationOnly.class);

        results.testEvents().assertStatistics(s -> s.started(11).failed(11));
        Map<String, Throwable> f = EngineRuns.failures(results);
        assertThat(f.values()).allMatch(t -> t instanceof SpotDrillConfigurationException);
        assertThat(f.get("noWithin"))
                .hasMessage("@ExpectBlacklistMatchesAdvisor(os=\"Linux\", threshold=10) has no within: a drill without"
                        + " @SpotInterruption is observation-only and has no INTERRUPTION to end the window; set"
                        + " within, for example within = \"PT2M\", or add @SpotInterruption(...) to interrupt"
                        + " instances");
        assertThat(f.get("noTypesAndNoTargets"))
                .hasMessage("@ExpectBlacklisted(instanceTypes={}, lifecycle=\"spot\", minExpiry=\"PT4H\") is about"
                        + " interrupted instances, and this test has no @SpotInterruption to interrupt any; add"
                        + " @SpotInterruption(...) to say which instances to interrupt");
        assertThat(f.get("unknownCronJob"))
                .hasMessage("@RunCronJob(\"cast-ai/spot-blacklister\"): the cluster has no CronJob"
                        + " cast-ai/spot-blacklister (namespace cast-ai has spot-blacklist); check the namespace and the"
                        + " name (kubectl get cronjobs -A lists them)");
        assertThat(f.get("thresholdAbove100"))
                .hasMessage("@ExpectBlacklistMatchesAdvisor(threshold=101): an interruption threshold is a percentage"
                        + " from 0 to 100; use the blacklister's INTERRUPTION_THRESHOLD, e.g. threshold = 10");
        assertThat(f.get("negativeThreshold")).hasMessageStartingWith("@ExpectBlacklistMatchesAdvisor(threshold=-1):");
        assertThat(f.get("lowerCaseOs"))
                .hasMessage("@ExpectBlacklistMatchesAdvisor(os=\"linux\"): the Spot Advisor feed rates Linux and"
                        + " Windows (case matters); use os = \"Linux\" or os = \"Windows\"");
        assertThat(f.get("aFamilyInsteadOfAType"))
                .hasMessage("@ExpectBlacklisted(instanceTypes=\"c5\"): not an EC2 instance type; write it as"
                        + " family.size, e.g. \"c5.large\"");
        assertThat(f.get("minExpiryNotIso"))
                .hasMessageStartingWith("@ExpectBlacklisted(minExpiry=\"4h\"): not an"
                        + " ISO-8601 duration of zero or more; write it like \"PT4H\"");
        assertThat(f.get("notBlacklistedNamesNothing"))
                .hasMessage("@ExpectNotBlacklisted(instanceTypes=\"{}\"): names no type; name the types that must stay"
                        + " off the blacklist, e.g. instanceTypes = {\"m5.large\", \"t3.large\"}");
        assertThat(f.get("lifecycleCase"))
                .hasMessage("@ExpectNotBlacklisted(lifecycle=\"Spot\"): a CAST AI blacklist entry's lifecycle is spot,"
                        + " on-demand or all; use one of those");
        assertThat(f.get("cronJobWithoutNamespace"))
                .hasMessage("@RunCronJob(value=\"spot-blacklist\"): not a CronJob's namespace/name; write it like"
                        + " @RunCronJob(\"cast-ai/spot-blacklist\")");
        assertNothingChanged(before);
    }

    @Test
    void anUnknownCronJobIsRefusedBeforeTheFisTemplateIsCreated() {
        Instant before = lab.clock().now();
        EngineExecutionResults results = EngineRuns.run(lab, WithAnExperiment.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        assertThat(EngineRuns.failure(results, "unknownCronJobBeforeTheTemplate")
                        .orElseThrow())
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("@RunCronJob(\"castai/spot-blacklist\"): the cluster has no CronJob castai/spot-blacklist"
                        + " (namespace castai has no CronJob); check the namespace and the name (kubectl get cronjobs"
                        + " -A lists them)");
        assertNothingChanged(before);
    }

    @Test
    void aMissingOrganizationOrClusterIdIsAConfigurationErrorNamingTheKey() {
        // the aws world supplies no CAST AI ids (the lab would): the settings must come from configuration
        Map<String, String> aws = Map.of(
                "spotdrill.world", "aws",
                "spotdrill.aws.region", "us-east-1",
                "spotdrill.guard.accounts", "123456789012",
                "spotdrill.castai.url", lab.castAi().url().toString());
        Instant before = lab.clock().now();
        EngineExecutionResults noOrg = EngineRuns.run(
                null,
                with(aws, Map.of("spotdrill.castai.clusterId", lab.castAi().clusterId())),
                AwsWorld.class);
        EngineExecutionResults noCluster = EngineRuns.run(
                null,
                with(aws, Map.of("spotdrill.castai.organizationId", lab.castAi().organizationId())),
                AwsWorld.class);

        assertThat(EngineRuns.failure(noOrg, "check").orElseThrow())
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage(
                        "@ExpectBlacklistMatchesAdvisor(os=\"Linux\", threshold=10): spotdrill.castai.organizationId"
                                + " is not set: spotdrill needs the id of the CAST AI organization that owns the cluster (CAST"
                                + " AI console: Organization settings) to read the blacklist; set"
                                + " spotdrill.castai.organizationId (or the environment variable"
                                + " SPOTDRILL_CASTAI_ORGANIZATION_ID)");
        assertThat(EngineRuns.failure(noCluster, "check").orElseThrow())
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("@ExpectBlacklistMatchesAdvisor(os=\"Linux\", threshold=10):"
                        + " spotdrill.castai.clusterId is not set: spotdrill needs the id CAST AI gave the cluster");
        // nothing reached CAST AI at all
        assertThat(lab.callLog().since(before)).noneMatch(c -> c.service().equals("castai"));
    }

    private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new java.util.LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    private static void assertNothingChanged(Instant since) {
        List<ApiCall> calls = lab.callLog().since(since);
        assertThat(calls).noneMatch(ApiCall::mutating);
        assertThat(calls).noneMatch(c -> c.service().equals("fis"));
        assertThat(BlacklistTests.jobs(lab)).isEmpty();
        assertThat(lab.castAi().entries()).isEmpty();
    }
}
