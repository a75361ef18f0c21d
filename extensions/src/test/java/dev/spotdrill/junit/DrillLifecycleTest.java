package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import software.amazon.awssdk.services.fis.FisClient;
import software.amazon.awssdk.services.fis.model.Experiment;

/** A drill that passes, end to end against the lab, and what it leaves behind in AWS: nothing but a tagged experiment. */
class DrillLifecycleTest {
    static SpotLab lab;

    @BeforeAll
    static void startLab() {
        lab = SpotLab.start(LabOptions.builder().scenario("shop").pace(60).build());
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    @SpotDrill
    static class PassingDrill {
        static final Map<String, Object> SEEN = new ConcurrentHashMap<>();

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=checkout", count = 1, leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        @ExpectTermination
        void checkoutNodeIsWarnedThenTerminated(InterruptionRun run) {
            run.await().until(() -> run.noticeTime().isPresent());
            Observation notice = run.timeline()
                    .first(o -> o.kind().equals(Observation.Kinds.NOTICE))
                    .orElseThrow();
            SEEN.put("noticeTime", notice.data().get("time"));
            SEEN.put("interruptionTime", run.interruptionTime());
            SEEN.put("experimentId", run.experimentId());
            SEEN.put("templateId", run.templateId());
            SEEN.put("runId", run.runId());
            SEEN.put("target", run.targets().get(0).instanceId());
        }
    }

    @SpotDrill
    static class FreshRoleDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a05")
        @ExpectImdsNotice
        void drill() {}
    }

    @Test
    void aMissingFisRoleIsCreatedOnceAndTheTemplateRetriedUntilIamHasPropagated() {
        // FIS refuses the new role twice, as it does while IAM propagates it
        try (SpotLab fresh = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("iam.propagation-refusals=2")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(
                    fresh, java.util.Map.of("spotdrill.fis.roleName", "spotdrill-fis-nightly"), FreshRoleDrill.class);

            EngineRuns.assertAllPassed(results, 1);
            assertThat(fresh.callLog().count("iam", "CreateRole")).isEqualTo(1);
            assertThat(fresh.callLog().count("iam", "PutRolePolicy")).isEqualTo(1);
            // FIS refused the role while IAM propagated it, then accepted the same template
            assertThat(fresh.callLog().calls("fis", "CreateExperimentTemplate"))
                    .extracting(c -> c.status())
                    .containsExactly(400, 400, 200);
            // a second drill reuses the role
            EngineExecutionResults second = EngineRuns.run(
                    fresh,
                    java.util.Map.of("spotdrill.fis.roleName", "spotdrill-fis-nightly"),
                    DrillLifecycleTest.PassingDrill.class);
            EngineRuns.assertAllPassed(second, 1);
            assertThat(fresh.callLog().count("iam", "GetRole")).isGreaterThanOrEqualTo(2);
            assertThat(fresh.callLog().count("iam", "CreateRole")).isEqualTo(1);
        }
    }

    /** A drill in the fleet scenario, which has no cluster: only EC2, FIS, IAM and IMDS run. */
    @SpotDrill
    static class FleetDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0f1ee700000000001")
        @ExpectImdsNotice
        void drill() {}
    }

    @Test
    void aNewFisRoleIsRetriedUntilIamPropagationDelayHasPassed() {
        // FIS refuses a role for PT90S (world time) after it was created, as while IAM propagates it; at pace 20 that
        // is 4.5 s of wall time, more than a busy machine takes to provision and check the role (the harness waits
        // up to 2 minutes of world time)
        try (SpotLab fresh = SpotLab.start(LabOptions.builder()
                .scenario("fleet")
                .pace(20)
                .faults("iam.propagation-delay=PT90S")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(
                    fresh, java.util.Map.of("spotdrill.fis.roleName", "spotdrill-fis-delayed"), FleetDrill.class);

            EngineRuns.assertAllPassed(results, 1);
            Instant created = fresh.callLog().calls("iam", "CreateRole").get(0).worldTime();
            java.util.List<dev.spotdrill.lab.ApiCall> templates =
                    fresh.callLog().calls("fis", "CreateExperimentTemplate");
            assertThat(templates).hasSizeGreaterThan(1);
            // refused while the delay ran, accepted once it had passed
            assertThat(templates.subList(0, templates.size() - 1)).allSatisfy(c -> {
                assertThat(c.status()).isEqualTo(400);
                assertThat(c.worldTime()).isBefore(created.plusSeconds(90));
            });
            assertThat(templates.get(templates.size() - 1).status()).isEqualTo(200);
            assertThat(templates.get(templates.size() - 1).worldTime()).isAfterOrEqualTo(created.plusSeconds(90));
        }
    }

    @Test
    void aFisRoleThatIamNeverPropagatesFailsTheTestNamingTheRoleAndTheFix() {
        // the harness waits 2 minutes of world time and at least 20 wall seconds for IAM; this role takes 2 hours
        try (SpotLab fresh = SpotLab.start(LabOptions.builder()
                .scenario("fleet")
                .pace(60)
                .faults("iam.propagation-delay=PT2H")
                .build())) {
            EngineExecutionResults results = EngineRuns.run(
                    fresh, java.util.Map.of("spotdrill.fis.roleName", "spotdrill-fis-late"), FleetDrill.class);

            results.testEvents().assertStatistics(s -> s.started(1).failed(1).succeeded(0));
            String role = "arn:aws:iam::123456789012:role/spotdrill-fis-late";
            assertThat(EngineRuns.failure(results, "drill").orElseThrow())
                    .isInstanceOf(dev.spotdrill.core.SpotDrillException.class)
                    .hasMessage("FIS did not accept the role " + role + " (The role " + role + " cannot be assumed by"
                            + " fis.amazonaws.com: it was created moments ago and IAM has not propagated it yet; retry"
                            + " in a few seconds); check that it trusts fis.amazonaws.com and allows"
                            + " ec2:SendSpotInstanceInterruptions, or set spotdrill.fis.roleArn");
            assertThat(fresh.callLog().calls("fis", "CreateExperimentTemplate"))
                    .isNotEmpty()
                    .allSatisfy(c -> assertThat(c.status()).isEqualTo(400));
            assertThat(fresh.callLog().count("fis", "StartExperiment")).isZero();
        }
    }

    @SpotDrill
    static class OwnLabDrill {
        static final Map<String, String> LAB = new ConcurrentHashMap<>();

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @ExpectImdsNotice
        void drill(InterruptionRun run) {
            LAB.put("id", run.world().facts().get("lab"));
            LAB.put(
                    "kube",
                    run.kubernetes()
                            .flatMap(k -> k.masterUrl())
                            .map(Object::toString)
                            .orElse(""));
            LAB.put("world", run.world().name());
        }
    }

    @Test
    void withoutSettingsTheExtensionStartsTheShopLabAndClosesItAfterTheRun() {
        EngineExecutionResults results = EngineRuns.run(null, OwnLabDrill.class);

        EngineRuns.assertAllPassed(results, 1);
        assertThat(OwnLabDrill.LAB).containsEntry("world", "lab").containsKey("id");
        // the shop lab has a cluster: the test can reach its API server
        assertThat(OwnLabDrill.LAB.get("kube")).startsWith("http://127.0.0.1:");
        assertThat(SpotLab.runningIds()).doesNotContain(OwnLabDrill.LAB.get("id"));
    }

    @Test
    void aPassingDrillSeesBothNoticesAndLeavesOnlyATaggedExperiment() {
        EngineExecutionResults results = EngineRuns.run(lab, PassingDrill.class);

        EngineRuns.assertAllPassed(results, 1);

        // the notice names the interruption time: START + lead time
        Instant interruption = (Instant) PassingDrill.SEEN.get("interruptionTime");
        assertThat(Instant.parse((String) PassingDrill.SEEN.get("noticeTime")))
                .isEqualTo(interruption.truncatedTo(ChronoUnit.SECONDS));
        assertThat((String) PassingDrill.SEEN.get("target")).matches("i-0c0ffee0000000a0[123]");

        // the template was created once and deleted; the experiment ran, tagged
        String templateId = (String) PassingDrill.SEEN.get("templateId");
        assertThat(lab.callLog().count("fis", "CreateExperimentTemplate")).isEqualTo(1);
        assertThat(lab.callLog().calls("fis", "DeleteExperimentTemplate"))
                .singleElement()
                .satisfies(c -> {
                    assertThat(c.resource()).contains(templateId);
                    assertThat(c.status()).isEqualTo(200);
                });
        FisClient fis = AwsClients.of(lab.world()).fis();
        assertThat(fis.listExperimentTemplates(r -> {}).experimentTemplates()).isEmpty();
        Experiment experiment = fis.getExperiment(r -> r.id((String) PassingDrill.SEEN.get("experimentId")))
                .experiment();
        assertThat(experiment.state().statusAsString()).isEqualTo("completed");
        assertThat(experiment.tags())
                .containsEntry("spotdrill:run-id", (String) PassingDrill.SEEN.get("runId"))
                .containsEntry("spotdrill:test", "PassingDrill.checkoutNodeIsWarnedThenTerminated")
                .containsKey("spotdrill:created-at");
    }
}
