package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.eventbridge.model.Target;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * What the lab's EC2 and FIS put on the default event bus when an experiment interrupts an instance, delivered by
 * EventBridge rules into SQS queues and read back with the real SDK clients: AWS's exact shapes, a copy for every
 * matching rule, the queue policy honoured, and the {@code events.*} faults.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventDeliveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    private static final String SECONDS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

    private SpotLab lab;
    private LabClients c;

    @BeforeAll
    void start() {
        lab = SpotLab.start(LabOptions.builder().scenario("fleet").build());
        c = new LabClients(lab.world());
    }

    @AfterAll
    void stop() {
        c.close();
        lab.close();
    }

    /** A rule and the queue it delivers to. */
    record Wiring(String rule, String ruleArn, String queueUrl, String queueArn) {}

    static String policy(String queueArn, String sourceArn) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                + "\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"" + queueArn
                + "\",\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"" + sourceArn + "\"}}}]}";
    }

    static String instancePattern(String instanceId) {
        return "{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Spot Instance Interruption Warning\","
                + "\"EC2 Instance Rebalance Recommendation\",\"EC2 Instance State-change Notification\"],"
                + "\"detail\":{\"instance-id\":[\"" + instanceId + "\"]}}";
    }

    /** A queue whose policy admits the rule of the same name (or the given source ARN), and that rule. */
    private Wiring wire(String name, String pattern, String admittedSourceArn) {
        String queueArn = "arn:aws:sqs:us-east-1:123456789012:" + name;
        String ruleArn = "arn:aws:events:us-east-1:123456789012:rule/" + name;
        Map<String, String> attrs = admittedSourceArn == null
                ? Map.of("MessageRetentionPeriod", "300")
                : Map.of("MessageRetentionPeriod", "300", "Policy", policy(queueArn, admittedSourceArn));
        String url = c.sqs.createQueue(r -> r.queueName(name).attributesWithStrings(attrs))
                .queueUrl();
        assertThat(c.events.putRule(r -> r.name(name).eventPattern(pattern)).ruleArn())
                .isEqualTo(ruleArn);
        assertThat(c.events
                        .putTargets(r -> r.rule(name)
                                .targets(Target.builder().id("q").arn(queueArn).build()))
                        .failedEntryCount())
                .isZero();
        return new Wiring(name, ruleArn, url, queueArn);
    }

    private Wiring wire(String name, String pattern) {
        return wire(name, pattern, "arn:aws:events:us-east-1:123456789012:rule/" + name);
    }

    /** Interrupts one instance with a PT2M lead time; returns the template id. */
    private String interrupt(String instanceId) {
        String template = c.fis.createExperimentTemplate(
                        LabClients.spotTemplate("PT2M", instanceId).build())
                .experimentTemplate()
                .id();
        c.fis.startExperiment(r -> r.experimentTemplateId(template));
        return template;
    }

    /** Reads (and deletes) the queue's messages until the condition holds on all read so far. */
    private List<JsonNode> receiveUntil(Wiring w, Predicate<List<JsonNode>> done) {
        List<JsonNode> got = new ArrayList<>();
        await("messages on " + w.rule())
                .atMost(WAIT)
                .pollInterval(Duration.ofMillis(10))
                .until(() -> {
                    got.addAll(receive(w));
                    return done.test(got);
                });
        return got;
    }

    private List<JsonNode> receive(Wiring w) throws Exception {
        List<Message> ms = c.sqs.receiveMessage(
                        r -> r.queueUrl(w.queueUrl()).waitTimeSeconds(1).maxNumberOfMessages(10))
                .messages();
        List<JsonNode> out = new ArrayList<>();
        for (Message m : ms) {
            out.add(JSON.readTree(m.body()));
        }
        if (!ms.isEmpty()) {
            c.sqs.deleteMessageBatch(r -> r.queueUrl(w.queueUrl())
                    .entries(ms.stream()
                            .map(m -> DeleteMessageBatchRequestEntry.builder()
                                    .id(m.messageId())
                                    .receiptHandle(m.receiptHandle())
                                    .build())
                            .toList()));
        }
        return out;
    }

    private static List<JsonNode> ofType(List<JsonNode> events, String detailType) {
        return events.stream()
                .filter(e -> e.path("detail-type").asText().equals(detailType))
                .toList();
    }

    private static boolean hasState(List<JsonNode> events, String state) {
        return ofType(events, "EC2 Instance State-change Notification").stream()
                .anyMatch(e -> e.path("detail").path("state").asText().equals(state));
    }

    private static void assertEnvelope(JsonNode e, String detailType, String source, String resource) {
        List<String> fields = new ArrayList<>();
        e.fieldNames().forEachRemaining(fields::add);
        assertThat(fields)
                .containsExactly(
                        "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail");
        assertThat(e.path("version").asText()).isEqualTo("0");
        assertThat(e.path("id").asText()).matches(UUID);
        assertThat(e.path("detail-type").asText()).isEqualTo(detailType);
        assertThat(e.path("source").asText()).isEqualTo(source);
        assertThat(e.path("account").asText()).isEqualTo("123456789012");
        assertThat(e.path("time").asText()).matches(SECONDS);
        assertThat(e.path("region").asText()).isEqualTo("us-east-1");
        assertThat(e.path("resources")).hasSize(1);
        assertThat(e.path("resources").get(0).asText()).isEqualTo(resource);
    }

    @Test
    void anInterruptedInstancesEventsArriveInAwsShape() throws Exception {
        String id = "i-0f1ee700000000001";
        Wiring w = wire("shapes", instancePattern(id));
        interrupt(id);

        List<JsonNode> got = receiveUntil(w, l -> hasState(l, "terminated"));

        String arn = "arn:aws:ec2:us-east-1:123456789012:instance/" + id;
        JsonNode warning = ofType(got, "EC2 Spot Instance Interruption Warning").get(0);
        assertEnvelope(warning, "EC2 Spot Instance Interruption Warning", "aws.ec2", arn);
        assertThat(warning.path("detail"))
                .isEqualTo(JSON.readTree("{\"instance-id\":\"" + id + "\",\"instance-action\":\"terminate\"}"));
        JsonNode rebalance =
                ofType(got, "EC2 Instance Rebalance Recommendation").get(0);
        assertEnvelope(rebalance, "EC2 Instance Rebalance Recommendation", "aws.ec2", arn);
        assertThat(rebalance.path("detail")).isEqualTo(JSON.readTree("{\"instance-id\":\"" + id + "\"}"));
        List<JsonNode> states = ofType(got, "EC2 Instance State-change Notification");
        states.forEach(s -> assertEnvelope(s, "EC2 Instance State-change Notification", "aws.ec2", arn));
        assertThat(states)
                .extracting(s -> s.path("detail").toString())
                .containsExactly(
                        "{\"instance-id\":\"" + id + "\",\"state\":\"shutting-down\"}",
                        "{\"instance-id\":\"" + id + "\",\"state\":\"terminated\"}");
        // The warning's time is when it was sent (START, with a PT2M lead), not the interruption.
        java.time.Instant sent = java.time.Instant.parse(warning.path("time").asText());
        java.time.Instant shutdown =
                java.time.Instant.parse(states.get(0).path("time").asText());
        assertThat(Duration.between(sent, shutdown)).isBetween(Duration.ofSeconds(119), Duration.ofSeconds(121));
        // No event of any other instance reached this rule's queue.
        assertThat(got)
                .allSatisfy(e -> assertThat(e.path("detail").path("instance-id").asText())
                        .isEqualTo(id));
        // What the queue got is exactly what the lab emitted.
        assertThat(lab.emittedEvents())
                .filteredOn(e -> e.id().equals(warning.path("id").asText()))
                .singleElement()
                .satisfies(e -> assertThat(JSON.readTree(e.json())).isEqualTo(warning));
    }

    @Test
    void experimentStateChangesArriveForTheirTemplate() throws Exception {
        String id = "i-0f1ee700000000002";
        String template = c.fis.createExperimentTemplate(
                        LabClients.spotTemplate("PT2M", id).build())
                .experimentTemplate()
                .id();
        Wiring w = wire(
                "fis-states",
                "{\"source\":[\"aws.fis\"],\"detail-type\":[\"FIS Experiment State Change\"],"
                        + "\"detail\":{\"experiment-template-id\":[\"" + template + "\"]}}");
        String experiment = c.fis.startExperiment(r -> r.experimentTemplateId(template))
                .experiment()
                .id();

        List<JsonNode> got = receiveUntil(w, l -> l.stream().anyMatch(e -> e.path("detail")
                .path("new-state")
                .path("status")
                .asText()
                .equals("completed")));

        String arn = "arn:aws:fis:us-east-1:123456789012:experiment/" + experiment;
        got.forEach(e -> assertEnvelope(e, "FIS Experiment State Change", "aws.fis", arn));
        assertThat(got)
                .extracting(e -> e.path("detail").toString())
                .containsExactly(
                        fisDetail(
                                experiment,
                                template,
                                "initiating",
                                "Experiment is initiating.",
                                "pending",
                                "Experiment is pending."),
                        fisDetail(
                                experiment,
                                template,
                                "running",
                                "Experiment is running.",
                                "initiating",
                                "Experiment is initiating."),
                        fisDetail(
                                experiment,
                                template,
                                "completed",
                                "Experiment completed.",
                                "running",
                                "Experiment is running."));
    }

    private static String fisDetail(
            String experiment, String template, String status, String reason, String oldStatus, String oldReason) {
        return "{\"experiment-id\":\"" + experiment + "\",\"experiment-template-id\":\"" + template
                + "\",\"new-state\":{\"status\":\"" + status + "\",\"reason\":\"" + reason
                + "\"},\"old-state\":{\"status\":\"" + oldStatus + "\",\"reason\":\"" + oldReason + "\"}}";
    }

    @Test
    void everyMatchingRuleGetsItsOwnCopy() {
        String id = "i-0f1ee700000000003";
        Wiring handler = wire("handler-copy", instancePattern(id));
        Wiring harness = wire("harness-copy", instancePattern(id));
        interrupt(id);

        List<JsonNode> a = receiveUntil(handler, l -> hasState(l, "terminated"));
        List<JsonNode> b = receiveUntil(harness, l -> hasState(l, "terminated"));

        assertThat(a).hasSize(4);
        assertThat(a)
                .extracting(e -> e.path("id").asText())
                .containsExactlyInAnyOrderElementsOf(
                        b.stream().map(e -> e.path("id").asText()).toList());
    }

    @Test
    void aDeliveryTheQueuePolicyDoesNotAdmitIsDroppedAndRecorded() throws Exception {
        String id = "i-0f1ee700000000004";
        Wiring admitted = wire("admitted", instancePattern(id));
        Wiring otherRule = wire("other-rule-only", instancePattern(id), "arn:aws:events:us-east-1:123456789012:rule/x");
        Wiring noPolicy = wire("no-policy", instancePattern(id), null);
        interrupt(id);

        receiveUntil(admitted, l -> hasState(l, "terminated"));
        await().atMost(WAIT)
                .until(() -> lab.eventDeliveries().stream()
                                .filter(d -> d.rule().equals("no-policy"))
                                .count()
                        == 4);

        assertThat(receive(otherRule)).isEmpty();
        assertThat(receive(noPolicy)).isEmpty();
        assertThat(lab.eventDeliveries())
                .filteredOn(d -> d.rule().equals("other-rule-only"))
                .hasSize(4)
                .allSatisfy(d -> {
                    assertThat(d.delivered()).isFalse();
                    assertThat(d.target()).isEqualTo(otherRule.queueArn());
                    assertThat(d.detail())
                            .startsWith("refused by the queue policy: no statement of the queue's Policy allows"
                                    + " events.amazonaws.com sqs:SendMessage on " + otherRule.queueArn() + " from "
                                    + otherRule.ruleArn());
                });
        assertThat(lab.eventDeliveries())
                .filteredOn(d -> d.rule().equals("no-policy"))
                .allSatisfy(d -> assertThat(d.detail())
                        .isEqualTo("refused by the queue policy: the queue has no Policy, so events.amazonaws.com"
                                + " may not send to it"));
        assertThat(lab.eventDeliveries())
                .filteredOn(d -> d.rule().equals("admitted"))
                .hasSize(4)
                .allSatisfy(d -> assertThat(d.delivered()).isTrue());
    }

    @Test
    void noWarningDropsOnlyTheWarning() {
        String id = "i-0f1ee700000000005";
        Wiring w = wire("no-warning", instancePattern(id));
        lab.faults().set("events.no-warning");
        try {
            interrupt(id);
            List<JsonNode> got = receiveUntil(w, l -> hasState(l, "terminated"));
            assertThat(ofType(got, "EC2 Spot Instance Interruption Warning")).isEmpty();
            assertThat(ofType(got, "EC2 Instance Rebalance Recommendation")).hasSize(1);
        } finally {
            lab.faults().clear("events.no-warning");
        }
    }

    @Test
    void noRebalanceDropsOnlyTheRebalance() {
        String id = "i-0f1ee700000000006";
        Wiring w = wire("no-rebalance", instancePattern(id));
        lab.faults().set("events.no-rebalance");
        try {
            interrupt(id);
            List<JsonNode> got = receiveUntil(w, l -> hasState(l, "terminated"));
            assertThat(ofType(got, "EC2 Instance Rebalance Recommendation")).isEmpty();
            assertThat(ofType(got, "EC2 Spot Instance Interruption Warning")).hasSize(1);
        } finally {
            lab.faults().clear("events.no-rebalance");
        }
    }

    @Test
    void delayDeliversEveryEventThatMuchWorldTimeLater() {
        String id = "i-0f1ee700000000007";
        Wiring w = wire("delayed", instancePattern(id));
        lab.faults().set("events.delay=PT1M");
        try {
            interrupt(id);
            List<JsonNode> got = receiveUntil(
                    w, l -> !ofType(l, "EC2 Spot Instance Interruption Warning").isEmpty());
            String eventId = ofType(got, "EC2 Spot Instance Interruption Warning")
                    .get(0)
                    .path("id")
                    .asText();
            EmittedEvent emitted = lab.emittedEvents().stream()
                    .filter(e -> e.id().equals(eventId))
                    .findFirst()
                    .orElseThrow();
            EventDelivery delivered = lab.eventDeliveries().stream()
                    .filter(d -> d.eventId().equals(eventId))
                    .findFirst()
                    .orElseThrow();
            assertThat(Duration.between(emitted.worldTime(), delivered.worldTime()))
                    .isGreaterThanOrEqualTo(Duration.ofMinutes(1));
        } finally {
            lab.faults().clear("events.delay");
        }
    }

    @Test
    void duplicateDeliversEveryEventTwiceWithTheSameId() {
        String id = "i-0f1ee700000000008";
        Wiring w = wire("duplicated", instancePattern(id));
        lab.faults().set("events.duplicate");
        try {
            interrupt(id);
            List<JsonNode> got = receiveUntil(
                    w, l -> ofType(l, "EC2 Instance State-change Notification").size() == 4);
            assertThat(got).hasSize(8);
            assertThat(got.stream().map(e -> e.path("id").asText()).distinct()).hasSize(4);
        } finally {
            lab.faults().clear("events.duplicate");
        }
    }
}
