package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.aws.EventQueue;
import dev.spotdrill.core.aws.ReceivedEvent;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.eventbridge.model.ResourceNotFoundException;
import software.amazon.awssdk.services.eventbridge.model.Target;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * Core's {@link EventQueue} (the harness's own EventBridge rule and SQS queue) against the lab: it gets its own
 * instances' events and nothing else, once each, cleans up after itself in AWS's order, stops its long poll at once,
 * and never touches a queue it did not create.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final Map<String, String> TAGS =
            Map.of("spotdrill:run-id", "sd-test", "spotdrill:test", "EventQueueTest");

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

    /** What a sink got, with the wall time it got it. */
    record Got(ReceivedEvent event, Instant wall) {}

    private static List<ReceivedEvent> events(List<Got> got) {
        return got.stream().map(Got::event).toList();
    }

    private String template(String... instanceIds) {
        return c.fis.createExperimentTemplate(
                        LabClients.spotTemplate("PT2M", instanceIds).build())
                .experimentTemplate()
                .id();
    }

    private List<ApiCall> callsOn(String name) {
        return lab.callLog().calls().stream()
                .filter(call -> call.resource().equals(name))
                .toList();
    }

    @Test
    void itGetsItsOwnInstancesEventsAndItsExperimentsOnly() {
        String mine = "i-0f1ee700000000001";
        String other = "i-0f1ee700000000002";
        String template = template(mine, other);
        List<Got> got = new CopyOnWriteArrayList<>();
        try (EventQueue q =
                EventQueue.create(lab.world(), "spotdrill-own", TAGS, List.of(mine), Optional.of(template))) {
            q.start(e -> got.add(new Got(e, Instant.now())));
            String experiment = c.fis.startExperiment(r -> r.experimentTemplateId(template))
                    .experiment()
                    .id();
            await("the experiment's completion and the instance's termination on the queue")
                    .atMost(WAIT)
                    .until(() -> events(got).stream()
                                    .anyMatch(e ->
                                            e.detailText("state").orElse("").equals("terminated"))
                            && events(got).stream()
                                    .anyMatch(e -> e.detailText("experiment-id").isPresent()
                                            && e.json().contains("\"status\":\"completed\"")));

            ReceivedEvent warning = events(got).stream()
                    .filter(e -> e.detailType().equals(ReceivedEvent.SPOT_WARNING))
                    .findFirst()
                    .orElseThrow();
            assertThat(warning.source()).isEqualTo("aws.ec2");
            assertThat(warning.instanceId()).contains(mine);
            assertThat(warning.detailText("instance-action")).contains("terminate");
            assertThat(warning.detail()).containsEntry("instance-id", mine);
            assertThat(warning.receivedAt()).isAfterOrEqualTo(warning.time());
            assertThat(warning.json()).contains("\"resources\":[\"arn:aws:ec2:us-east-1:123456789012:instance/" + mine);
            assertThat(events(got))
                    .filteredOn(e -> e.source().equals("aws.ec2"))
                    .extracting(ReceivedEvent::detailType)
                    .containsExactlyInAnyOrder(
                            ReceivedEvent.SPOT_WARNING,
                            ReceivedEvent.REBALANCE,
                            ReceivedEvent.STATE_CHANGE,
                            ReceivedEvent.STATE_CHANGE);
            assertThat(events(got))
                    .filteredOn(e -> e.source().equals("aws.fis"))
                    .allSatisfy(e -> assertThat(e.detailText("experiment-id")).contains(experiment))
                    .hasSize(3);
            // the other instance's events existed, and did not reach this queue
            assertThat(lab.emittedEvents())
                    .anyMatch(e -> e.detailType().equals(ReceivedEvent.SPOT_WARNING)
                            && e.json().contains(other));
            assertThat(events(got)).noneMatch(e -> e.json().contains(other));
            assertThat(q.pattern()).contains(mine).contains(template).doesNotContain(other);
        }
    }

    @Test
    void itsQueueAndRuleAreMadeAsTheIssueSays() {
        try (EventQueue q = EventQueue.create(
                lab.world(), "spotdrill-shape", TAGS, List.of("i-0f1ee700000000003"), Optional.empty())) {
            Map<String, String> attrs = c.sqs.getQueueAttributes(r -> r.queueUrl(q.queueUrl())
                            .attributeNames(software.amazon.awssdk.services.sqs.model.QueueAttributeName.ALL))
                    .attributesAsStrings();
            assertThat(attrs)
                    .containsEntry("MessageRetentionPeriod", "300")
                    .containsEntry("SqsManagedSseEnabled", "true")
                    .containsEntry("QueueArn", "arn:aws:sqs:us-east-1:123456789012:spotdrill-shape");
            assertThat(attrs.get("Policy"))
                    .isEqualTo("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"SpotdrillRuleOnly\",\"Effect\":"
                            + "\"Allow\",\"Principal\":{\"Service\":\"events.amazonaws.com\"},\"Action\":"
                            + "\"sqs:SendMessage\",\"Resource\":\"arn:aws:sqs:us-east-1:123456789012:spotdrill-shape\","
                            + "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:events:us-east-1:123456789012:"
                            + "rule/spotdrill-shape\"}}}]}");
            assertThat(c.sqs.listQueueTags(r -> r.queueUrl(q.queueUrl())).tags())
                    .isEqualTo(TAGS);
            var rule = c.events.describeRule(r -> r.name("spotdrill-shape"));
            assertThat(rule.arn()).isEqualTo(q.ruleArn());
            assertThat(rule.eventPattern())
                    .isEqualTo("{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Spot Instance Interruption Warning\","
                            + "\"EC2 Instance Rebalance Recommendation\",\"EC2 Instance State-change Notification\"],"
                            + "\"detail\":{\"instance-id\":[\"i-0f1ee700000000003\"]}}");
            assertThat(c.events
                            .listTagsForResource(r -> r.resourceARN(q.ruleArn()))
                            .tags())
                    .extracting(t -> Map.entry(t.key(), t.value()))
                    .containsExactlyInAnyOrderElementsOf(TAGS.entrySet());
            assertThat(c.events
                            .listTargetsByRule(r -> r.rule("spotdrill-shape"))
                            .targets())
                    .singleElement()
                    .satisfies(t -> {
                        assertThat(t.arn()).isEqualTo(q.queueArn());
                        assertThat(t.roleArn()).isNull();
                    });
        }
    }

    @Test
    void closeCutsTheLongPollAndRemovesTargetRuleAndQueueInOrder() {
        EventQueue q = EventQueue.create(
                lab.world(), "spotdrill-closing", TAGS, List.of("i-0f1ee700000000004"), Optional.empty());
        q.start(e -> {});
        await("the long poll is held").atMost(WAIT).until(() -> lab.sqsReceivesInFlight() >= 1);

        long t0 = System.nanoTime();
        q.close();
        long closeMillis = (System.nanoTime() - t0) / 1_000_000;
        q.close();

        assertThat(closeMillis)
                .as("close took %d ms with a 20 s poll in flight", closeMillis)
                .isLessThan(5_000);
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.isAlive() && t.getName().equals("spotdrill-events-spotdrill-closing"));
        List<String> cleanup = callsOn("spotdrill-closing").stream()
                .map(ApiCall::operation)
                .filter(op ->
                        List.of("RemoveTargets", "DeleteRule", "DeleteQueue").contains(op))
                .toList();
        assertThat(cleanup).containsExactly("RemoveTargets", "DeleteRule", "DeleteQueue");
        assertThat(callsOn("spotdrill-closing"))
                .allSatisfy(call -> assertThat(call.status()).isLessThan(500));
        assertThatThrownBy(() -> c.events.describeRule(r -> r.name("spotdrill-closing")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> c.sqs.getQueueUrl(r -> r.queueName("spotdrill-closing")))
                .isInstanceOf(QueueDoesNotExistException.class);
        assertThatThrownBy(() -> q.start(e -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("event queue spotdrill-closing is closed; start it once");
    }

    @Test
    void closeTriesEveryStepAndNamesWhatItCouldNotRemove() {
        EventQueue q = EventQueue.create(
                lab.world(), "spotdrill-stuck", TAGS, List.of("i-0f1ee700000000005"), Optional.empty());
        // DeleteQueue's four attempts (the SDK retries throttling three times) are all refused
        lab.faults().set("sqs.throttle=4");
        try {
            assertThatThrownBy(q::close)
                    .isInstanceOf(SpotDrillException.class)
                    .hasMessageStartingWith("spotdrill could not remove all of its EventBridge rule and SQS queue"
                            + " spotdrill-stuck: DeleteQueue " + q.queueUrl() + ": Request is throttled.")
                    .hasMessageContaining("aws sqs delete-queue --queue-url " + q.queueUrl());
        } finally {
            lab.faults().clear("sqs.throttle");
        }
        // the rule went even though the queue could not
        assertThatThrownBy(() -> c.events.describeRule(r -> r.name("spotdrill-stuck")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThat(EventQueue.leftovers(lab.world(), "spotdrill:run-id"))
                .extracting(EventQueue.Leftover::kind, EventQueue.Leftover::name)
                .contains(org.assertj.core.groups.Tuple.tuple("queue", "spotdrill-stuck"));
        EventQueue.leftovers(lab.world(), "spotdrill:run-id").forEach(l -> EventQueue.remove(lab.world(), l));
        assertThat(EventQueue.leftovers(lab.world(), "spotdrill:run-id")).isEmpty();
    }

    @Test
    void aFailedCreateRemovesWhatItHadCreated() {
        World broken = World.builder(World.LAB)
                .region("us-east-1")
                .clock(lab.clock())
                .credentials(lab.world().credentials().orElseThrow())
                .endpoint(AwsService.STS, lab.world().endpoint(AwsService.STS).orElseThrow())
                .endpoint(AwsService.SQS, lab.world().endpoint(AwsService.SQS).orElseThrow())
                // nothing listens there: EventBridge is unreachable
                .endpoint(AwsService.EVENTBRIDGE, URI.create("http://127.0.0.1:9"))
                .build();
        assertThatThrownBy(() -> EventQueue.create(
                        broken, "spotdrill-half", TAGS, List.of("i-0f1ee700000000006"), Optional.empty()))
                .isInstanceOf(SpotDrillException.class)
                .hasMessageStartingWith(
                        "spotdrill could not create its EventBridge rule and SQS queue spotdrill-half (PutRule"
                                + " spotdrill-half failed: ");
        assertThat(callsOn("spotdrill-half"))
                .extracting(ApiCall::operation)
                .containsExactly("CreateQueue", "GetQueueAttributes", "DeleteQueue");
        assertThatThrownBy(() -> c.sqs.getQueueUrl(r -> r.queueName("spotdrill-half")))
                .isInstanceOf(QueueDoesNotExistException.class);
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsCreated() {
        int before = lab.callLog().calls().size();
        assertThatThrownBy(() -> EventQueue.create(
                        lab.world(), "drill-1", TAGS, List.of("i-0f1ee700000000001"), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("EventQueue name \"drill-1\" is not valid: use spotdrill-<run id> with letters, digits, -"
                        + " and _ only, at most 64 characters in all (the rule's limit)");
        assertThatThrownBy(() -> EventQueue.create(lab.world(), "spotdrill-x", TAGS, List.of(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs at least one instance id");
        assertThatThrownBy(
                        () -> EventQueue.create(lab.world(), "spotdrill-x", TAGS, List.of("i-nope"), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("EventQueue spotdrill-x: \"i-nope\" is not an EC2 instance id; use i- followed by 8 or 17"
                        + " hexadecimal digits");
        assertThat(lab.callLog().calls()).hasSize(before);
    }

    @Test
    void eachEventReachesTheSinkOnceUnderDuplicateDelivery() {
        String id = "i-0f1ee700000000007";
        List<Got> got = new CopyOnWriteArrayList<>();
        lab.faults().set("events.duplicate");
        try (EventQueue q = EventQueue.create(lab.world(), "spotdrill-dup", TAGS, List.of(id), Optional.empty())) {
            q.start(e -> got.add(new Got(e, Instant.now())));
            c.fis.startExperiment(r -> r.experimentTemplateId(template(id)));
            await().atMost(WAIT)
                    .until(() -> lab.eventDeliveries().stream()
                                    .filter(d -> d.rule().equals("spotdrill-dup") && d.delivered())
                                    .count()
                            == 8);
            await().atMost(WAIT).until(() -> got.size() >= 4);
            // every copy was read and deleted, so nothing else can come: the queue is empty
            await().atMost(WAIT)
                    .until(() -> lab.callLog().calls("sqs", "DeleteMessageBatch").stream()
                                    .filter(call -> call.resource().equals("spotdrill-dup"))
                                    .count()
                            >= 1);
            assertThat(c.sqs.getQueueAttributes(r -> r.queueUrl(q.queueUrl())
                                    .attributeNamesWithStrings(
                                            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"))
                            .attributesAsStrings())
                    .containsEntry("ApproximateNumberOfMessages", "0");
            assertThat(events(got))
                    .extracting(ReceivedEvent::id)
                    .doesNotHaveDuplicates()
                    .hasSize(4);
        } finally {
            lab.faults().clear("events.duplicate");
        }
    }

    @Test
    void itNeverReadsAQueueItDidNotCreateAndThatQueueStillGetsEveryEvent() {
        String id = "i-0f1ee700000000008";
        String handlerQueue = "nth-queue";
        String handlerArn = "arn:aws:sqs:us-east-1:123456789012:" + handlerQueue;
        String url = c.sqs.createQueue(r -> r.queueName(handlerQueue)
                        .attributesWithStrings(Map.of(
                                "Policy",
                                EventDeliveryTest.policy(
                                        handlerArn, "arn:aws:events:us-east-1:123456789012:rule/nth-rule"))))
                .queueUrl();
        c.events.putRule(r -> r.name("nth-rule").eventPattern(EventDeliveryTest.instancePattern(id)));
        c.events.putTargets(r -> r.rule("nth-rule")
                .targets(Target.builder().id("nth").arn(handlerArn).build()));
        List<Got> got = new CopyOnWriteArrayList<>();
        try (EventQueue q = EventQueue.create(lab.world(), "spotdrill-beside", TAGS, List.of(id), Optional.empty())) {
            q.start(e -> got.add(new Got(e, Instant.now())));
            c.fis.startExperiment(r -> r.experimentTemplateId(template(id)));
            await().atMost(WAIT).until(() -> got.size() == 4);
        }
        assertThat(lab.callLog().calls("sqs", "ReceiveMessage"))
                .extracting(ApiCall::resource)
                .doesNotContain(handlerQueue);
        assertThat(lab.callLog().calls())
                .filteredOn(call -> call.resource().equals(handlerQueue))
                .extracting(ApiCall::operation)
                .containsExactly("CreateQueue");
        assertThat(c.sqs.getQueueAttributes(
                                r -> r.queueUrl(url).attributeNamesWithStrings("ApproximateNumberOfMessages"))
                        .attributesAsStrings())
                .containsEntry("ApproximateNumberOfMessages", "4");
    }

    @Test
    void leftoversFindAndCleanTheRulesAndQueuesOfADrillThatNeverClosed() {
        EventQueue orphan = EventQueue.create(
                lab.world(), "spotdrill-orphan", TAGS, List.of("i-0f1ee70000000000b"), Optional.empty());
        // not ours: no spotdrill- prefix, or no run-id tag
        c.sqs.createQueue(r -> r.queueName("nth-orphan").tags(TAGS));
        c.sqs.createQueue(r -> r.queueName("spotdrill-untagged"));
        c.events.putRule(r -> r.name("spotdrill-untagged").eventPattern("{\"source\":[\"aws.ec2\"]}"));

        List<dev.spotdrill.core.drill.Leftovers.Item> found = dev.spotdrill.core.drill.Leftovers.find(lab.world());
        assertThat(found)
                .extracting(
                        dev.spotdrill.core.drill.Leftovers.Item::kind,
                        dev.spotdrill.core.drill.Leftovers.Item::id,
                        dev.spotdrill.core.drill.Leftovers.Item::runId,
                        dev.spotdrill.core.drill.Leftovers.Item::test)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("rule", "spotdrill-orphan", "sd-test", "EventQueueTest"),
                        org.assertj.core.groups.Tuple.tuple("queue", orphan.queueUrl(), "sd-test", "EventQueueTest"));

        dev.spotdrill.core.drill.Leftovers.clean(lab.world());

        assertThat(dev.spotdrill.core.drill.Leftovers.find(lab.world())).isEmpty();
        assertThat(callsOn("spotdrill-orphan"))
                .extracting(ApiCall::operation)
                .containsSubsequence("ListTargetsByRule", "RemoveTargets", "DeleteRule");
        assertThat(c.sqs.listQueues(r -> r.queueNamePrefix("")).queueUrls())
                .anyMatch(u -> u.endsWith("/nth-orphan"))
                .anyMatch(u -> u.endsWith("/spotdrill-untagged"))
                .noneMatch(u -> u.endsWith("/spotdrill-orphan"));
        assertThat(c.events.describeRule(r -> r.name("spotdrill-untagged")).name())
                .isEqualTo("spotdrill-untagged");
        orphan.close(); // everything is gone already: nothing to complain about
    }

    private void emitStateChange(String instanceId, String state) {
        var detail = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .objectNode()
                .put("instance-id", instanceId)
                .put("state", state);
        lab.eventBus()
                .emit(lab.eventBus()
                        .envelope(
                                ReceivedEvent.STATE_CHANGE,
                                "aws.ec2",
                                lab.clock().now(),
                                "arn:aws:ec2:us-east-1:123456789012:instance/" + instanceId,
                                detail));
    }

    @Test
    void itReportsAndSurvivesMessagesThatAreNotEventsAndASinkThatThrows() {
        String id = "i-0f1ee700000000009";
        List<Got> got = new CopyOnWriteArrayList<>();
        List<RuntimeException> errors = new CopyOnWriteArrayList<>();
        try (EventQueue q = EventQueue.create(lab.world(), "spotdrill-garbage", TAGS, List.of(id), Optional.empty())) {
            q.start(
                    e -> {
                        got.add(new Got(e, Instant.now()));
                        if (e.detailText("state").orElse("").equals("pending")) {
                            throw new IllegalStateException("sink broke");
                        }
                    },
                    errors::add);
            c.sqs.sendMessage(r -> r.queueUrl(q.queueUrl()).messageBody("not an event"));
            emitStateChange(id, "pending");
            emitStateChange(id, "running");

            await().atMost(WAIT).until(() -> got.size() == 2 && errors.size() == 2);
            assertThat(errors)
                    .extracting(Throwable::getMessage)
                    .anySatisfy(m -> assertThat(m)
                            .isEqualTo("a message on spotdrill-garbage is not an EventBridge event (not JSON:"
                                    + " Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or"
                                    + " token 'null', 'true' or 'false')); it is deleted: not an event"))
                    .anySatisfy(m -> assertThat(m)
                            .startsWith("the sink of spotdrill-garbage failed on ReceivedEvent[EC2 Instance"
                                    + " State-change Notification")
                            .endsWith("java.lang.IllegalStateException: sink broke"));
            await().atMost(WAIT).until(() -> c
                    .sqs
                    .getQueueAttributes(r -> r.queueUrl(q.queueUrl())
                            .attributeNamesWithStrings(
                                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"))
                    .attributesAsStrings()
                    .values()
                    .stream()
                    .allMatch("0"::equals));
        }
    }

    @Test
    void itKeepsPollingAfterRefusedReceives() {
        String id = "i-0f1ee70000000000a";
        List<Got> got = new CopyOnWriteArrayList<>();
        List<RuntimeException> errors = new CopyOnWriteArrayList<>();
        try (EventQueue q = EventQueue.create(lab.world(), "spotdrill-refused", TAGS, List.of(id), Optional.empty())) {
            // more refusals than the SDK's retries: the receive itself fails, then the queue backs off and polls again
            lab.faults().set("sqs.throttle=6");
            q.start(e -> got.add(new Got(e, Instant.now())), errors::add);
            await().atMost(WAIT).until(() -> !errors.isEmpty());
            assertThat(errors.get(0))
                    .hasMessageStartingWith("receiving from spotdrill-refused failed: Request is throttled.");
            emitStateChange(id, "running");
            await().atMost(WAIT).until(() -> got.size() == 1);
        } finally {
            lab.faults().clear("sqs.throttle");
        }
    }

    /**
     * The lag from the lab emitting an event to the sink receiving it, over 100 events, each emitted while the queue
     * is idle in a 20 s long poll (so a poll period would show). Run it with {@code ./mvnw -B -o -pl harness/lab -am
     * test -Dtest=EventQueueTest#lagFromEmissionToSink -Dspotdrill.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false}.
     */
    @Test
    @Tag("benchmark")
    void lagFromEmissionToSink() {
        String id = "i-0f1ee70000000000c";
        List<Got> got = new CopyOnWriteArrayList<>();
        List<Long> lags = new ArrayList<>();
        try (EventQueue q = EventQueue.create(lab.world(), "spotdrill-lag", TAGS, List.of(id), Optional.empty())) {
            q.start(e -> got.add(new Got(e, Instant.now())));
            for (int n = 0; n < 100; n++) {
                await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(() -> lab.sqsReceivesInFlight() >= 1);
                var detail = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                        .objectNode()
                        .put("instance-id", id)
                        .put("state", "running");
                var event = lab.eventBus()
                        .envelope(
                                ReceivedEvent.STATE_CHANGE,
                                "aws.ec2",
                                lab.clock().now(),
                                "arn:aws:ec2:us-east-1:123456789012:instance/" + id,
                                detail);
                lab.eventBus().emit(event);
                String eventId = event.path("id").asText();
                int expected = n + 1;
                await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(() -> got.size() == expected);
                Got g = got.get(n);
                assertThat(g.event().id()).isEqualTo(eventId);
                Instant emitted = lab.emittedEvents().stream()
                        .filter(e -> e.id().equals(eventId))
                        .findFirst()
                        .orElseThrow()
                        .wallTime();
                lags.add(Duration.between(emitted, g.wall()).toMillis());
            }
        }
        List<Long> sorted = lags.stream().sorted().toList();
        long p50 = sorted.get(49);
        long p99 = sorted.get(98);
        System.out.println("MEASURE event lag emission->sink over 100 events (20 s long polls): p50 ms=" + p50
                + ", p99 ms=" + p99 + ", max ms=" + sorted.get(99));
        assertThat(p99).as("p99 lag %d ms", p99).isLessThan(1_000);
    }
}
