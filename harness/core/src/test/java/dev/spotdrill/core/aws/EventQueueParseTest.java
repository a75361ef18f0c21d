package dev.spotdrill.core.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How an EventQueue reads a message body, and the rule pattern and queue policy it writes. */
class EventQueueParseTest {
    private static final Instant NOW = Instant.parse("2026-01-15T10:28:01Z");

    @Test
    void readsTheEnvelopeAndTakesTheInstanceFromTheDetailNeverFromResources() {
        ReceivedEvent e = EventQueue.parse(
                "{\"version\":\"0\",\"id\":\"7bf73129-1428-4cd3-a780-95db273d1602\",\"detail-type\":\"EC2 Spot"
                        + " Instance Interruption Warning\",\"source\":\"aws.ec2\",\"account\":\"123456789012\","
                        + "\"time\":\"2026-01-15T10:28:00Z\",\"region\":\"us-east-2\",\"resources\":"
                        + "[\"arn:aws:ec2:us-east-2a:instance/i-0fromresources\"],\"detail\":{\"instance-id\":"
                        + "\"i-0abc\",\"instance-action\":\"terminate\",\"n\":[1,{\"x\":true}]}}",
                NOW);
        assertThat(e.id()).isEqualTo("7bf73129-1428-4cd3-a780-95db273d1602");
        assertThat(e.detailType()).isEqualTo(ReceivedEvent.SPOT_WARNING);
        assertThat(e.source()).isEqualTo("aws.ec2");
        assertThat(e.time()).isEqualTo(Instant.parse("2026-01-15T10:28:00Z"));
        assertThat(e.instanceId()).contains("i-0abc");
        assertThat(e.detailText("instance-action")).contains("terminate");
        assertThat(e.detailText("n")).isEmpty();
        assertThat(e.detail()).containsEntry("n", List.of(1, Map.of("x", true)));
        assertThat(e.receivedAt()).isEqualTo(NOW);
        assertThatThrownBy(() -> e.detail().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(e.toString())
                .isEqualTo("ReceivedEvent[EC2 Spot Instance Interruption Warning"
                        + " 7bf73129-1428-4cd3-a780-95db273d1602 from aws.ec2 for i-0abc at 2026-01-15T10:28:00Z, received"
                        + " 2026-01-15T10:28:01Z]");
    }

    @Test
    void aFisEventHasNoInstance() {
        ReceivedEvent e = EventQueue.parse(
                "{\"id\":\"1\",\"detail-type\":\"FIS Experiment State Change\",\"source\":\"aws.fis\",\"time\":"
                        + "\"2026-01-15T10:28:00Z\",\"detail\":{\"experiment-id\":\"EXP1\"}}",
                NOW);
        assertThat(e.instanceId()).isEmpty();
        assertThat(e.detailText("experiment-id")).contains("EXP1");
    }

    @Test
    void refusesWhatIsNotAnEvent() {
        assertThatThrownBy(() -> EventQueue.parse("[1]", NOW)).hasMessage("no \"id\"");
        assertThatThrownBy(() -> EventQueue.parse("{\"id\":\"1\",\"detail-type\":\"x\",\"source\":\"s\"}", NOW))
                .hasMessage("no \"time\"");
        assertThatThrownBy(() -> EventQueue.parse(
                        "{\"id\":\"1\",\"detail-type\":\"x\",\"source\":\"s\",\"time\":\"yesterday\"}", NOW))
                .hasMessage("time \"yesterday\" is not RFC 3339");
        assertThatThrownBy(() -> EventQueue.parse("{", NOW)).hasMessageStartingWith("not JSON: ");
    }

    @Test
    void thePatternOrsTheInstancesEventsWithTheTemplatesStateChanges() {
        assertThat(EventQueue.pattern(List.of("i-0abc", "i-0def"), Optional.of("EXT1")))
                .isEqualTo("{\"$or\":[{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Spot Instance Interruption"
                        + " Warning\",\"EC2 Instance Rebalance Recommendation\",\"EC2 Instance State-change"
                        + " Notification\"],\"detail\":{\"instance-id\":[\"i-0abc\",\"i-0def\"]}},{\"source\":"
                        + "[\"aws.fis\"],\"detail-type\":[\"FIS Experiment State Change\"],\"detail\":"
                        + "{\"experiment-template-id\":[\"EXT1\"]}}]}");
    }
}
