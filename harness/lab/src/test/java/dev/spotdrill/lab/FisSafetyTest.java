package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.fis.model.Experiment;
import software.amazon.awssdk.services.fis.model.ExperimentActionStatus;
import software.amazon.awssdk.services.fis.model.ExperimentStatus;
import software.amazon.awssdk.services.iam.model.ContextEntry;
import software.amazon.awssdk.services.iam.model.ContextKeyTypeEnum;
import software.amazon.awssdk.services.iam.model.EvaluationResult;
import software.amazon.awssdk.services.iam.model.PolicyEvaluationDecisionType;

/**
 * What keeps the lab's FIS honest about safety: the role's policy decides which instances an experiment may
 * interrupt, ListActions says where the Spot action is offered, and a stop after the notice does not save the
 * instance.
 */
class FisSafetyTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TAGGED = "i-0c0ffee0000000a04";
    private static final String UNTAGGED = "i-0c0ffee0000000d01";

    private static Experiment get(LabClients c, String id) {
        return c.fis.getExperiment(r -> r.id(id)).experiment();
    }

    private static String start(LabClients c, String lead, String... ids) {
        String template = c.fis.createExperimentTemplate(
                        LabClients.spotTemplate(lead, ids).build())
                .experimentTemplate()
                .id();
        return c.fis.startExperiment(r -> r.experimentTemplateId(template))
                .experiment()
                .id();
    }

    private static ExperimentStatus awaitEnd(LabClients c, String id) {
        return await("experiment " + id + " to end")
                .atMost(WAIT)
                .until(
                        () -> get(c, id).state().status(),
                        s -> s == ExperimentStatus.COMPLETED
                                || s == ExperimentStatus.FAILED
                                || s == ExperimentStatus.STOPPED);
    }

    @Test
    void aTagScopedRoleMakesFisFailAnExperimentOnAnUntaggedInstance() {
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().scenario("safety.yaml").pace(60).build());
                LabClients c = new LabClients(lab.world())) {
            String exp = start(c, "PT2M", UNTAGGED);

            assertThat(awaitEnd(c, exp)).isEqualTo(ExperimentStatus.FAILED);
            Experiment failed = get(c, exp);
            assertThat(failed.state().reason())
                    .isEqualTo("Action 'interrupt' failed: the role " + LabClients.ROLE_ARN + " is not authorized to"
                            + " perform ec2:SendSpotInstanceInterruptions on"
                            + " arn:aws:ec2:us-east-1:123456789012:instance/" + UNTAGGED
                            + " (implicitDeny; the instance lacks aws:ResourceTag/spotdrill/allowed)");
            assertThat(failed.state().error().code()).isEqualTo("UnauthorizedOperation");
            assertThat(failed.actions().get("interrupt").state().status()).isEqualTo(ExperimentActionStatus.FAILED);
            LabInstance untouched = lab.instance(UNTAGGED).orElseThrow();
            assertThat(untouched.state()).isEqualTo("running");
            assertThat(untouched.interruptionTime()).isEmpty();
            assertThat(lab.emittedEvents())
                    .filteredOn(e -> e.source().equals("aws.ec2"))
                    .noneSatisfy(e -> assertThat(e.json()).contains(UNTAGGED));

            // the same role interrupts a tagged instance
            String ok = start(c, "PT2M", TAGGED);
            assertThat(awaitEnd(c, ok)).isEqualTo(ExperimentStatus.COMPLETED);
            assertThat(lab.instance(TAGGED).orElseThrow().state()).isIn("shutting-down", "terminated");
        }
    }

    @Test
    void simulatePrincipalPolicyEvaluatesActionResourceAndTheResourceTagCondition() {
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().scenario("safety.yaml").pace(60).build());
                LabClients c = new LabClients(lab.world())) {
            String arn = "arn:aws:ec2:us-east-1:123456789012:instance/" + TAGGED;
            List<EvaluationResult> tagged = c.iam.simulatePrincipalPolicy(r -> r.policySourceArn(LabClients.ROLE_ARN)
                            .actionNames("ec2:SendSpotInstanceInterruptions", "ec2:TerminateInstances")
                            .resourceArns(arn)
                            .contextEntries(ContextEntry.builder()
                                    .contextKeyName("aws:ResourceTag/spotdrill/allowed")
                                    .contextKeyValues("true")
                                    .contextKeyType(ContextKeyTypeEnum.STRING)
                                    .build()))
                    .evaluationResults();
            assertThat(tagged)
                    .extracting(EvaluationResult::evalActionName, EvaluationResult::evalDecision)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(
                                    "ec2:SendSpotInstanceInterruptions", PolicyEvaluationDecisionType.ALLOWED),
                            org.assertj.core.groups.Tuple.tuple(
                                    "ec2:TerminateInstances", PolicyEvaluationDecisionType.IMPLICIT_DENY));
            assertThat(tagged.get(0).matchedStatements()).singleElement().satisfies(s -> assertThat(s.sourcePolicyId())
                    .isEqualTo(IamApi.SCENARIO_POLICY_NAME));

            EvaluationResult untagged = c.iam.simulatePrincipalPolicy(r -> r.policySourceArn(LabClients.ROLE_ARN)
                            .actionNames("ec2:SendSpotInstanceInterruptions")
                            .resourceArns(arn))
                    .evaluationResults()
                    .get(0);
            assertThat(untagged.evalDecision()).isEqualTo(PolicyEvaluationDecisionType.IMPLICIT_DENY);
            assertThat(untagged.missingContextValues()).containsExactly("aws:ResourceTag/spotdrill/allowed");

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.iam.simulatePrincipalPolicy(
                            r -> r.policySourceArn("arn:aws:iam::123456789012:role/nobody")
                                    .actionNames("ec2:SendSpotInstanceInterruptions")))
                    .isInstanceOf(software.amazon.awssdk.services.iam.model.NoSuchEntityException.class)
                    .hasMessageContaining("The role with name nobody cannot be found.");
        }
    }

    @Test
    void listActionsOffersTheSpotActionExceptWhereFisLacksIt() {
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().scenario("safety.yaml").pace(60).build());
                LabClients c = new LabClients(lab.world())) {
            assertThat(c.fis.listActions(r -> {}).actions())
                    .extracting(a -> a.id())
                    .containsExactly("aws:ec2:send-spot-instance-interruptions");
        }
        Scenario jakarta = Scenario.parse("""
                name: jakarta
                region: ap-southeast-3
                account: "123456789012"
                roles: [spotdrill-fis]
                instances:
                  - { id: i-0c0ffee0000000e01, type: m5.large, zone: ap-southeast-3a, lifecycle: spot, state: running,
                      tags: { spotdrill/allowed: "true" } }
                """);
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().scenario(jakarta).pace(60).build());
                LabClients c = new LabClients(lab.world())) {
            assertThat(c.fis.listActions(r -> {}).actions()).isEmpty();
            // so a drill there is refused before anything is created, naming the region
            dev.spotdrill.core.drill.Drill drill = dev.spotdrill.core.drill.Drill.prepare(
                    lab.world(),
                    new dev.spotdrill.core.drill.DrillSpec(
                            dev.spotdrill.core.drill.Selector.instances("i-0c0ffee0000000e01"),
                            1,
                            "PT2M",
                            List.of(),
                            null),
                    dev.spotdrill.core.drill.DrillOptions.defaults(),
                    "FisSafetyTest.jakarta",
                    List.of());
            org.assertj.core.api.Assertions.assertThatThrownBy(drill::start)
                    .isInstanceOf(dev.spotdrill.core.SpotDrillConfigurationException.class)
                    .hasMessageStartingWith(
                            "FIS does not offer aws:ec2:send-spot-instance-interruptions in" + " ap-southeast-3");
            drill.close();
            assertThat(lab.callLog().mutatingCalls()).isEmpty();
            assertThat(lab.callLog().count("fis", "ListActions")).isEqualTo(2);
        }
    }

    @Test
    void aStopAfterTheNoticeDoesNotSaveTheInstanceAndOneBeforeItDoes() {
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().scenario("safety.yaml").pace(60).build());
                LabClients c = new LabClients(lab.world())) {
            // PT2M: the notice goes out at START, so a stop once running comes after it
            String late = start(c, "PT2M", "i-0c0ffee0000000a05");
            await().atMost(WAIT).until(() -> get(c, late).state().status() == ExperimentStatus.RUNNING);
            assertThat(lab.instance("i-0c0ffee0000000a05").orElseThrow().noticeTime())
                    .isPresent();
            c.fis.stopExperiment(r -> r.id(late));
            assertThat(awaitEnd(c, late)).isEqualTo(ExperimentStatus.STOPPED);
            await("the instance is interrupted all the same")
                    .atMost(WAIT)
                    .until(
                            () -> lab.instance("i-0c0ffee0000000a05")
                                    .orElseThrow()
                                    .state(),
                            s -> !s.equals("running"));

            // PT15M: the notice is 13 world minutes (13 wall seconds) away, so the stop comes before it
            String early = start(c, "PT15M", "i-0c0ffee0000000a06");
            await().atMost(WAIT).until(() -> get(c, early).state().status() == ExperimentStatus.RUNNING);
            c.fis.stopExperiment(r -> r.id(early));
            assertThat(awaitEnd(c, early)).isEqualTo(ExperimentStatus.STOPPED);
            LabInstance saved = lab.instance("i-0c0ffee0000000a06").orElseThrow();
            assertThat(saved.noticeTime()).isEmpty();
            assertThat(saved.interruptionTime()).isEmpty();
            assertThat(saved.rebalanceTime()).isPresent();
            assertThat(saved.state()).isEqualTo("running");
        }
    }
}
