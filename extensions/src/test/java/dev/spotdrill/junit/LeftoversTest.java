package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Leftovers;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.fis.FisClient;

/**
 * What a drill leaves is found by its tags; a sweep never touches a live run's items (its claims are renewed), nor
 * anything untagged. The killed-JVM sweep is in spotdrill-lab's CrossProcessSafetyTest.
 */
class LeftoversTest {

    @Test
    void aDrillThatNeverEndedIsFoundByTagAndCleaned() {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(15).build())) {
            FisClient fis = AwsClients.of(lab.world()).fis();
            // someone else's template, without spotdrill tags
            String foreign = fis.createExperimentTemplate(r -> r.clientToken("foreign-1")
                            .description("not ours")
                            .roleArn("arn:aws:iam::123456789012:role/spotdrill-fis")
                            .stopConditions(s -> s.source("none"))
                            .actions(java.util.Map.of(
                                    "a",
                                    software.amazon.awssdk.services.fis.model.CreateExperimentTemplateActionInput
                                            .builder()
                                            .actionId("aws:ec2:send-spot-instance-interruptions")
                                            .parameters(java.util.Map.of("durationBeforeInterruption", "PT2M"))
                                            .targets(java.util.Map.of("SpotInstances", "t"))
                                            .build()))
                            .targets(java.util.Map.of(
                                    "t",
                                    software.amazon.awssdk.services.fis.model.CreateExperimentTemplateTargetInput
                                            .builder()
                                            .resourceType("aws:ec2:spot-instance")
                                            .resourceArns("arn:aws:ec2:us-east-1:123456789012:instance/"
                                                    + "i-0c0ffee0000000a06")
                                            .selectionMode("ALL")
                                            .build())))
                    .experimentTemplate()
                    .id();
            // a drill whose JVM "dies" after the start: nothing calls finish()
            Drill orphan = Drill.prepare(
                    lab.world(),
                    new DrillSpec(Selector.instances("i-0c0ffee0000000a01"), 1, "PT10M", List.of(), null),
                    DrillOptions.defaults(),
                    "LeftoversTest.orphan",
                    List.of());
            orphan.start();

            List<Leftovers.Item> found = Leftovers.find(lab.world());
            assertThat(found)
                    .extracting(Leftovers.Item::kind, Leftovers.Item::runId, Leftovers.Item::test)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple(
                                    "template", orphan.info().runId(), "LeftoversTest.orphan"),
                            org.assertj.core.groups.Tuple.tuple(
                                    "experiment", orphan.info().runId(), "LeftoversTest.orphan"),
                            org.assertj.core.groups.Tuple.tuple(
                                    "claim", orphan.info().runId(), ""));

            // its claim is renewed as long as it lives: no sweep touches it, even one that takes everything
            assertThat(Leftovers.clean(lab.world())).isEmpty();
            Leftovers.SweepReport all = Leftovers.sweep(
                    lab.world(),
                    Leftovers.SweepOptions.defaults().olderThan(Duration.ZERO).cleaning());
            assertThat(all.items(Leftovers.Outcome.REMOVED)).isEmpty();
            assertThat(all.items(Leftovers.Outcome.KEPT_LIVE)).hasSize(3);
            assertThat(all.lines())
                    .contains("kept template " + orphan.templateId().orElseThrow() + " of run "
                            + orphan.info().runId() + " (LeftoversTest.orphan): run "
                            + orphan.info().runId()
                            + " is live (a claim has not expired)");
            assertThat(fis.getExperiment(r -> r.id(orphan.experimentId().orElseThrow()))
                            .experiment()
                            .state()
                            .statusAsString())
                    .isEqualTo("running");

            // its own cleanup removes all of it; someone else's template stays
            orphan.abort(new IllegalStateException("the test is over"));
            orphan.close();
            await("the orphan's experiment to stop")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> Leftovers.find(lab.world()).isEmpty());
            assertThat(fis.getExperiment(r -> r.id(orphan.experimentId().orElseThrow()))
                            .experiment()
                            .state()
                            .statusAsString())
                    .isEqualTo("stopped");
            assertThat(fis.listExperimentTemplates(r -> {}).experimentTemplates())
                    .extracting(t -> t.id())
                    .containsExactly(foreign);
        }
    }
}
