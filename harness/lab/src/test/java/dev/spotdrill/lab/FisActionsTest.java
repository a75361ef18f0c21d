package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.fis.model.Action;
import software.amazon.awssdk.services.fis.model.ActionSummary;
import software.amazon.awssdk.services.fis.model.ListActionsResponse;
import software.amazon.awssdk.services.fis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.fis.model.ValidationException;

/** FIS ListActions and GetAction: the Spot interruption action the lab runs, in the real shapes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FisActionsTest {
    private SpotLab lab;
    private LabClients c;

    @BeforeAll
    void start() {
        lab = SpotLab.start(LabOptions.builder().pace(60).build());
        c = new LabClients(lab.world());
    }

    @AfterAll
    void close() {
        c.close();
        lab.close();
    }

    @Test
    void listActionsShowsTheSpotInterruptionActionAndItsTarget() {
        ListActionsResponse r = c.fis.listActions(b -> b.maxResults(1));

        assertThat(r.nextToken()).isNull();
        ActionSummary a = r.actions().get(0);
        assertThat(r.actions()).hasSize(1);
        assertThat(a.id()).isEqualTo("aws:ec2:send-spot-instance-interruptions");
        assertThat(a.arn()).isEqualTo("arn:aws:fis:us-east-1::action/aws:ec2:send-spot-instance-interruptions");
        assertThat(a.targets()).containsOnlyKeys("SpotInstances");
        assertThat(a.targets().get("SpotInstances").resourceType()).isEqualTo("aws:ec2:spot-instance");
        assertThat(a.description()).contains("Spot Instance interruption notice");
        assertThat(lab.callLog().calls())
                .anySatisfy(call -> assertThat(call.operation()).isEqualTo("ListActions"));
    }

    @Test
    void getActionGivesTheDurationParameter() {
        Action a = c.fis.getAction(b -> b.id("aws:ec2:send-spot-instance-interruptions"))
                .action();

        assertThat(a.parameters()).containsOnlyKeys("durationBeforeInterruption");
        assertThat(a.parameters().get("durationBeforeInterruption").required()).isTrue();
        assertThat(a.parameters().get("durationBeforeInterruption").description())
                .contains("PT2M");
        assertThat(a.targets().get("SpotInstances").resourceType()).isEqualTo("aws:ec2:spot-instance");
    }

    @Test
    void badPagingAndUnknownActionsFailAsFisFailsThem() {
        assertThatThrownBy(() -> c.fis.listActions(b -> b.maxResults(0)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value"
                        + " between 1 and 100");
        assertThatThrownBy(() -> c.fis.listActions(b -> b.nextToken("not-a-token!")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("The nextToken 'not-a-token!' is invalid");
        assertThatThrownBy(() -> c.fis.getAction(b -> b.id("aws:ec2:stop-instances")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Action aws:ec2:stop-instances not found.");
    }
}
