package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateActionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateRequest;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateStopConditionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateTargetInput;
import software.amazon.awssdk.services.fis.model.Experiment;
import software.amazon.awssdk.services.fis.model.ExperimentActionStatus;
import software.amazon.awssdk.services.fis.model.ExperimentStatus;
import software.amazon.awssdk.services.fis.model.ValidationException;

/**
 * Templates with several Spot actions, as coalesced drills create them: each action has its own target and lead
 * time, GetExperiment shows each action's own state and times, and the experiment ends when its last action ends.
 */
class FisMultiActionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private SpotLab lab;
    private LabClients c;

    @AfterEach
    void close() {
        if (c != null) {
            c.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private void start() {
        lab = SpotLab.start(LabOptions.builder().scenario("fleet").pace(60).build());
        c = new LabClients(lab.world());
    }

    private static String arn(int n) {
        return "arn:aws:ec2:us-east-1:123456789012:instance/i-0f1ee70000000000" + Integer.toHexString(n);
    }

    /** One action per entry: action {@code a<n>} interrupts target {@code t<n>}, given by its ARNs, after its lead. */
    private static CreateExperimentTemplateRequest.Builder template(
            Map<String, List<String>> targets, Map<String, String> leads, Map<String, List<String>> startAfter) {
        Map<String, CreateExperimentTemplateTargetInput> ts = new LinkedHashMap<>();
        targets.forEach((name, arns) -> ts.put(
                name,
                CreateExperimentTemplateTargetInput.builder()
                        .resourceType("aws:ec2:spot-instance")
                        .resourceArns(arns)
                        .selectionMode("ALL")
                        .build()));
        Map<String, CreateExperimentTemplateActionInput> as = new LinkedHashMap<>();
        leads.forEach((action, lead) -> as.put(
                action,
                CreateExperimentTemplateActionInput.builder()
                        .actionId("aws:ec2:send-spot-instance-interruptions")
                        .parameters(Map.of("durationBeforeInterruption", lead))
                        .targets(Map.of("SpotInstances", "t" + action.substring(1)))
                        .startAfter(startAfter.getOrDefault(action, List.of()))
                        .build()));
        return CreateExperimentTemplateRequest.builder()
                .description("coalesced")
                .roleArn(LabClients.ROLE_ARN)
                .stopConditions(CreateExperimentTemplateStopConditionInput.builder()
                        .source("none")
                        .build())
                .targets(ts)
                .actions(as);
    }

    private Experiment get(String id) {
        return c.fis.getExperiment(r -> r.id(id)).experiment();
    }

    @Test
    void eachActionRunsItsOwnTargetWithItsOwnLeadAndTheExperimentEndsWithTheLast() {
        start();
        Map<String, List<String>> targets = new LinkedHashMap<>();
        targets.put("t1", List.of(arn(1), arn(2)));
        targets.put("t2", List.of(arn(3)));
        targets.put("t3", List.of(arn(4)));
        Map<String, String> leads = new LinkedHashMap<>();
        leads.put("a1", "PT2M");
        leads.put("a2", "PT3M");
        leads.put("a3", "PT4M");
        String template = c.fis.createExperimentTemplate(
                        template(targets, leads, Map.of()).build())
                .experimentTemplate()
                .id();
        String id = c.fis.startExperiment(r -> r.experimentTemplateId(template))
                .experiment()
                .id();
        await("running").atMost(WAIT).until(() -> get(id).state().status() == ExperimentStatus.RUNNING);

        Experiment running = get(id);
        assertThat(running.targets()).containsOnlyKeys("t1", "t2", "t3");
        assertThat(running.targets().get("t1").resourceArns()).containsExactly(arn(1), arn(2));
        assertThat(running.actions()).containsOnlyKeys("a1", "a2", "a3");
        assertThat(running.actions().get("a2").targets()).containsEntry("SpotInstances", "t2");
        assertThat(running.actions().get("a3").parameters()).containsEntry("durationBeforeInterruption", "PT4M");
        Instant start = running.actions().get("a1").startTime();
        assertThat(running.actions().values())
                .allSatisfy(a -> assertThat(a.state().status()).isEqualTo(ExperimentActionStatus.RUNNING))
                .allSatisfy(a -> assertThat(a.startTime()).isEqualTo(start));

        // the first action ends at its own lead; the experiment runs on for the others
        await("a1 completed")
                .atMost(WAIT)
                .until(() -> get(id).actions().get("a1").state().status() == ExperimentActionStatus.COMPLETED);
        Experiment partly = get(id);
        assertThat(partly.actions().get("a1").endTime()).isEqualTo(start.plus(Duration.ofMinutes(2)));
        assertThat(partly.state().status()).isEqualTo(ExperimentStatus.RUNNING);
        assertThat(partly.actions().get("a3").state().status()).isEqualTo(ExperimentActionStatus.RUNNING);
        assertThat(lab.instance("i-0f1ee700000000004").orElseThrow().interruptionTime())
                .contains(start.plus(Duration.ofMinutes(4)));

        await("completed").atMost(WAIT).until(() -> get(id).state().status() == ExperimentStatus.COMPLETED);
        Experiment done = get(id);
        assertThat(done.actions().get("a2").endTime()).isEqualTo(start.plus(Duration.ofMinutes(3)));
        assertThat(done.actions().get("a3").endTime()).isEqualTo(start.plus(Duration.ofMinutes(4)));
        assertThat(done.endTime()).isEqualTo(start.plus(Duration.ofMinutes(4)));
    }

    @Test
    void moreThanTenParallelActionsAreRefusedAndStartAfterMakesThemSequential() {
        start();
        Map<String, List<String>> targets = new LinkedHashMap<>();
        Map<String, String> leads = new LinkedHashMap<>();
        for (int i = 1; i <= 11; i++) {
            targets.put("t" + i, List.of(arn(i)));
            leads.put("a" + i, "PT2M");
        }
        assertThatThrownBy(() -> c.fis.createExperimentTemplate(
                        template(targets, leads, Map.of()).build()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("The template runs 11 actions in parallel; an experiment can run at most 10"
                        + " actions in parallel (quota: parallel actions per experiment)");
        assertThat(c.fis.listExperimentTemplates(r -> r.maxResults(100)).experimentTemplates())
                .isEmpty();

        String id = c.fis.createExperimentTemplate(
                        template(targets, leads, Map.of("a11", List.of("a1"))).build())
                .experimentTemplate()
                .id();
        assertThat(id).startsWith("EXT");
    }

    @Test
    void anActionWhoseTargetIsMissingNamesTheTargets() {
        start();
        Map<String, List<String>> targets = new LinkedHashMap<>();
        targets.put("t1", List.of(arn(1)));
        Map<String, String> leads = new LinkedHashMap<>();
        leads.put("a1", "PT2M");
        leads.put("a2", "PT2M");
        assertThatThrownBy(() -> c.fis.createExperimentTemplate(
                        template(targets, leads, Map.of()).build()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("Action 'a2' refers to target 't2', which is not defined in targets [t1]");
    }
}
