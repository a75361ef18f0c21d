package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.castai.BlacklistObservations;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.CronJobSource;
import dev.spotdrill.core.kube.CronJobs;
import dev.spotdrill.lab.ApiCall;
import dev.spotdrill.lab.SpotLab;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * The blacklist expectations on the healthy lab: the observation-only nightly check of the reference blacklister, a
 * drill whose interrupted type must end up blacklisted, the Job made from the CronJob as kubectl makes it (and
 * deleted after), and CAST AI throttling absorbed. Bad input to the blacklist annotations is refused before anything
 * is created: no Job, no blacklist change, no FIS call; each message quotes the attribute or setting, the value and
 * the fix.
 */
class BlacklistDrillTest {
    static SpotLab lab;
    static final List<Timeline> TIMELINES = new CopyOnWriteArrayList<>();
    static final List<Job> JOBS_DURING = new CopyOnWriteArrayList<>();

    @SpotDrill
    static class NightlyCheck {
        @org.junit.jupiter.api.Test
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        void blacklistMatchesTheAdvisor(InterruptionRun run) {
            TIMELINES.add(run.timeline());
            JOBS_DURING.addAll(BlacklistTests.jobs(lab));
        }
    }

    @SpotDrill
    static class InterruptedTypeIsBlacklisted {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=cart,node.kubernetes.io/instance-type=c5.large", leadTime = "PT2M")
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklisted
        void c5LargeIsBlacklistedBeforeTheInterruption(InterruptionRun run) {
            TIMELINES.add(run.timeline());
        }
    }

    @SpotDrill
    static class SafeTypeIsNotBlacklisted {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=cart,node.kubernetes.io/instance-type=m5.large", leadTime = "PT2M")
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklisted
        void m5LargeIsExpectedButNeverBlacklisted() {}
    }

    @SpotDrill
    static class BadObservationOnly {
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
    static class BadWithAnExperiment {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=checkout")
        @RunCronJob("castai/spot-blacklist")
        @ExpectBlacklisted
        void unknownCronJobBeforeTheTemplate() {}
    }

    @SpotDrill
    static class BadInAwsWorld {
        @org.junit.jupiter.api.Test
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        void check() {}
    }

    @BeforeAll
    static void startLab() {
        // pace 10, as BlacklisterFaultsTest: the Job needs seconds of wall time in a loaded parallel build
        lab = BlacklistTests.lab(10);
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @BeforeEach
    void quiet() {
        BlacklistTests.quiet(lab);
        TIMELINES.clear();
        JOBS_DURING.clear();
    }

    @Test
    void theNightlyCheckPassesOnTheHealthyLabWithoutAnyFisCallAndDeletesItsJob() {
        Instant before = lab.clock().now();
        EngineExecutionResults results = EngineRuns.run(lab, NightlyCheck.class);

        EngineRuns.assertAllPassed(results, 1);
        Timeline tl = TIMELINES.get(0);
        assertThat(tl.interruptionTime()).isEmpty();
        assertThat(tl.observations())
                .extracting(Observation::kind)
                .contains(
                        BlacklistObservations.READ,
                        BlacklistObservations.BLACKLISTED,
                        CronJobs.JOB_CREATED,
                        CronJobs.JOB_COMPLETE);
        Observation complete =
                tl.first(o -> o.kind().equals(CronJobs.JOB_COMPLETE)).orElseThrow();
        assertThat(complete.data().get("logTail")).contains("done: 5 types blacklisted until");
        assertThat(complete.data().get("exitCode")).isEqualTo("0");
        // the blacklist was empty at the first read, and each of the five types appeared once, added
        assertThat(tl.observations())
                .filteredOn(o -> o.kind().equals(BlacklistObservations.BLACKLISTED))
                .extracting(o -> o.data().get("instanceFamily") + " " + o.data().get("change"))
                .containsExactlyInAnyOrder(
                        "r5.large added", "c5.xlarge added", "c5.large added", "m5.xlarge added", "m5a.large added");
        List<ApiCall> calls = lab.callLog().since(before);
        assertThat(calls)
                .noneMatch(c -> c.service().equals("fis") || c.service().equals("ec2"));
        // the harness only read CAST AI: the five adds are the blacklister's
        assertThat(calls)
                .filteredOn(c -> c.service().equals("castai") && c.mutating())
                .hasSize(5)
                .allMatch(c -> c.operation().equals("AddToBlacklist"));

        // the Job, while the drill ran, was made as kubectl create job --from=cronjob/spot-blacklist makes it
        assertThat(JOBS_DURING).hasSize(1);
        Job job = JOBS_DURING.get(0);
        var cronJob = lab.cluster()
                .orElseThrow()
                .client()
                .batch()
                .v1()
                .cronjobs()
                .inNamespace("cast-ai")
                .withName("spot-blacklist")
                .get();
        assertThat(job.getMetadata().getName()).matches("spot-blacklist-sd-[0-9a-f]{12}");
        assertThat(job.getMetadata().getAnnotations()).containsEntry(CronJobSource.INSTANTIATE_ANNOTATION, "manual");
        assertThat(job.getMetadata().getLabels())
                .containsAllEntriesOf(
                        cronJob.getSpec().getJobTemplate().getMetadata().getLabels())
                .containsKey(CronJobSource.RUN_ID_LABEL);
        assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("CronJob");
            assertThat(o.getName()).isEqualTo("spot-blacklist");
            assertThat(o.getUid()).isEqualTo(cronJob.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
        });
        assertThat(job.getSpec().getTemplate())
                .isEqualTo(cronJob.getSpec().getJobTemplate().getSpec().getTemplate());
        // and it is gone, with its pod, once the test ended
        assertThat(BlacklistTests.jobs(lab)).isEmpty();
        assertThat(lab.cluster()
                        .orElseThrow()
                        .client()
                        .pods()
                        .inNamespace("cast-ai")
                        .list()
                        .getItems())
                .isEmpty();
    }

    @Test
    void aDrillThatInterruptsARiskyTypeExpectsItBlacklistedBeforeTheInterruption() {
        EngineExecutionResults results = EngineRuns.run(lab, InterruptedTypeIsBlacklisted.class);

        EngineRuns.assertAllPassed(results, 1);
        Timeline tl = TIMELINES.get(0);
        assertThat(tl.interruptionTime()).isPresent();
        Observation c5 = tl.first(o -> o.kind().equals(BlacklistObservations.BLACKLISTED)
                        && "c5.large".equals(o.data().get("instanceFamily")))
                .orElseThrow();
        assertThat(c5.at()).isBefore(tl.interruptionTime().get());
        assertThat(c5.data()).containsEntry("match", "type").containsEntry("lifecycle", "spot");
    }

    @Test
    void withNoTypeNamedEachTargetsOwnTypeIsExpectedAndASafeTypeMisses() {
        EngineExecutionResults results = EngineRuns.run(lab, SafeTypeIsNotBlacklisted.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        Map<String, String> misses = BlacklistTests.misses(results);
        String name = "@ExpectBlacklisted(instanceTypes={}, lifecycle=\"spot\", minExpiry=\"PT4H\")";
        assertThat(misses).containsOnlyKeys(name);
        assertThat(misses.get(name))
                .startsWith(name + " missed for i-0c0ffee0000000a05 (m5.large, us-east-1a, node"
                        + " ip-10-0-1-15.ec2.internal)\n  window: START..INTERRUPTION")
                .contains("last seen: m5.large is not blacklisted; entries seen: ")
                .contains("c5.large (spot, until ");
    }

    @Test
    void aBrieflyUnavailableCastAiIsAbsorbed() {
        lab.faults().set("castai.unavailable=2");
        Instant before = lab.clock().now();
        EngineExecutionResults results = EngineRuns.run(lab, NightlyCheck.class);

        EngineRuns.assertAllPassed(results, 1);
        assertThat(lab.callLog().since(before).stream()
                        .filter(c -> c.service().equals("castai"))
                        .limit(3))
                .extracting(ApiCall::status)
                .containsExactly(503, 503, 200);
    }

    @Test
    void throttlingByCastAiIsAbsorbed() {
        lab.faults().set("castai.throttle=3");
        Instant before = lab.clock().now();
        EngineExecutionResults results = EngineRuns.run(lab, NightlyCheck.class);

        EngineRuns.assertAllPassed(results, 1);
        List<ApiCall> lists = lab.callLog().since(before).stream()
                .filter(c -> c.service().equals("castai") && c.operation().equals("ListBlacklist"))
                .toList();
        assertThat(lists.subList(0, 4)).extracting(ApiCall::status).containsExactly(429, 429, 429, 200);
        assertThat(TIMELINES.get(0).render())
                .doesNotContain(BlacklistObservations.UNREADABLE)
                .contains("cronjob JOB_COMPLETE");
    }

    @Test
    void eachBadInputIsRefusedBeforeAnythingIsCreated() {
        Instant before = lab.clock().now();
        EngineExecutionResults results = EngineRuns.run(lab, BadObservationOnly.class);

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
        EngineExecutionResults results = EngineRuns.run(lab, BadWithAnExperiment.class);

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
                BadInAwsWorld.class);
        EngineExecutionResults noCluster = EngineRuns.run(
                null,
                with(aws, Map.of("spotdrill.castai.organizationId", lab.castAi().organizationId())),
                BadInAwsWorld.class);

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
        // read-only FIS calls (the claim check's ListExperiments) may come first; no template, no experiment
        assertThat(calls)
                .noneMatch(c -> c.service().equals("fis")
                        && !c.operation().startsWith("List")
                        && !c.operation().startsWith("Get"));
        assertThat(BlacklistTests.jobs(lab)).isEmpty();
        assertThat(lab.castAi().entries()).isEmpty();
    }
}
