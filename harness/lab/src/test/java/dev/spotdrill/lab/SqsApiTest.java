package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.InvalidAttributeNameException;
import software.amazon.awssdk.services.sqs.model.InvalidAttributeValueException;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.QueueNameExistsException;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * The lab's SQS on the wire (AWS JSON 1.0 through the lab's front to ElasticMQ), through the real SDK v2 SqsClient:
 * what the harness and the queue-mode handler call, the attributes ElasticMQ drops, the call log and the fault.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SqsApiTest {
    private static final String POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"Service\":\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\","
            + "\"Resource\":\"arn:aws:sqs:us-east-1:123456789012:with-attrs\"}]}";

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

    private String create(String name) {
        return c.sqs.createQueue(r -> r.queueName(name)).queueUrl();
    }

    @Test
    void createQueueKeepsTheAttributesAndTagsAwsKeeps() {
        String url = c.sqs.createQueue(r -> r.queueName("with-attrs")
                        .attributesWithStrings(Map.of(
                                "MessageRetentionPeriod", "300",
                                "SqsManagedSseEnabled", "true",
                                "Policy", POLICY))
                        .tags(Map.of("spotdrill:run-id", "sd-1")))
                .queueUrl();
        int port = lab.world()
                .endpoint(dev.spotdrill.core.AwsService.SQS)
                .orElseThrow()
                .getPort();
        assertThat(url).isEqualTo("http://127.0.0.1:" + port + "/123456789012/with-attrs");

        Map<String, String> all = c.sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.ALL))
                .attributesAsStrings();
        assertThat(all)
                .containsEntry("QueueArn", "arn:aws:sqs:us-east-1:123456789012:with-attrs")
                .containsEntry("MessageRetentionPeriod", "300")
                .containsEntry("SqsManagedSseEnabled", "true")
                .containsEntry("Policy", POLICY);
        assertThat(c.sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                        .attributesAsStrings())
                .containsOnlyKeys("QueueArn");
        assertThat(c.sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.POLICY))
                        .attributesAsStrings())
                .containsExactly(Map.entry("Policy", POLICY));
        assertThat(c.sqs.listQueueTags(r -> r.queueUrl(url)).tags())
                .containsExactly(Map.entry("spotdrill:run-id", "sd-1"));
        assertThat(c.sqs.getQueueUrl(r -> r.queueName("with-attrs")).queueUrl()).isEqualTo(url);
        assertThat(lab.callLog().calls("sqs", "CreateQueue"))
                .filteredOn(call -> call.resource().equals("with-attrs"))
                .singleElement()
                .satisfies(call -> {
                    assertThat(call.status()).isEqualTo(200);
                    assertThat(call.caller()).isEqualTo(lab.principalArn());
                });
    }

    @Test
    void aQueueWithoutRetentionHasSqsDefaultOfFourDays() {
        String url = create("defaults");
        assertThat(c.sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.ALL))
                        .attributesAsStrings())
                .containsEntry("MessageRetentionPeriod", "345600")
                .containsEntry("SqsManagedSseEnabled", "true");
    }

    @Test
    void attributesSqsRefusesAreRefusedAsSqsDoes() {
        assertThatThrownBy(
                        () -> c.sqs.createQueue(r -> r.queueName("bogus").attributesWithStrings(Map.of("Bogus", "1"))))
                .isInstanceOf(InvalidAttributeNameException.class)
                .hasMessageStartingWith("Unknown Attribute Bogus.");
        assertThatThrownBy(() -> c.sqs.createQueue(
                        r -> r.queueName("bogus").attributesWithStrings(Map.of("MessageRetentionPeriod", "30"))))
                .isInstanceOf(InvalidAttributeValueException.class)
                .hasMessageStartingWith("Invalid value for the parameter MessageRetentionPeriod.");
        assertThatThrownBy(() -> c.sqs.createQueue(
                        r -> r.queueName("bogus").attributesWithStrings(Map.of("Policy", "not json"))))
                .isInstanceOf(InvalidAttributeValueException.class)
                .hasMessageStartingWith("Invalid value for the parameter Policy.");
        assertThatThrownBy(() -> c.sqs.getQueueUrl(r -> r.queueName("bogus")))
                .isInstanceOf(QueueDoesNotExistException.class);

        c.sqs.createQueue(r -> r.queueName("once").attributesWithStrings(Map.of("MessageRetentionPeriod", "300")));
        c.sqs.createQueue(r -> r.queueName("once").attributesWithStrings(Map.of("MessageRetentionPeriod", "300")));
        assertThatThrownBy(() -> c.sqs.createQueue(
                        r -> r.queueName("once").attributesWithStrings(Map.of("MessageRetentionPeriod", "600"))))
                .isInstanceOf(QueueNameExistsException.class)
                .hasMessageContaining("different value for attribute MessageRetentionPeriod");
    }

    @Test
    void aLongPollReturnsAsSoonAsAMessageArrives() throws Exception {
        String url = create("long-poll");
        CompletableFuture<List<Message>> poll = CompletableFuture.supplyAsync(() -> c.sqs.receiveMessage(
                        r -> r.queueUrl(url).waitTimeSeconds(20).maxNumberOfMessages(10))
                .messages());
        // send only once the poll is held, so that the answer can only come from the arrival
        org.awaitility.Awaitility.await("the long poll is held")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> lab.sqsReceivesInFlight() == 1);
        long sent = System.nanoTime();
        c.sqs.sendMessage(r -> r.queueUrl(url).messageBody("{\"hello\":1}"));
        List<Message> got = poll.get(25, java.util.concurrent.TimeUnit.SECONDS);
        long lagMillis = (System.nanoTime() - sent) / 1_000_000;

        assertThat(got).singleElement().satisfies(m -> assertThat(m.body()).isEqualTo("{\"hello\":1}"));
        assertThat(lagMillis)
                .as("long poll answered %d ms after the send", lagMillis)
                .isLessThan(3_000);

        var deleted = c.sqs.deleteMessageBatch(r -> r.queueUrl(url)
                .entries(DeleteMessageBatchRequestEntry.builder()
                        .id("0")
                        .receiptHandle(got.get(0).receiptHandle())
                        .build()));
        assertThat(deleted.successful()).hasSize(1);
        assertThat(deleted.failed()).isEmpty();
        assertThat(lab.callLog().calls("sqs", "ReceiveMessage"))
                .filteredOn(call -> call.resource().equals("long-poll"))
                .isNotEmpty();
    }

    @Test
    void deleteQueueRemovesItAndListQueuesFiltersByPrefix() {
        create("listed-a");
        String b = create("listed-b");
        create("unlisted");
        assertThat(c.sqs.listQueues(r -> r.queueNamePrefix("listed-")).queueUrls())
                .hasSize(2)
                .allSatisfy(u -> assertThat(u).contains("/123456789012/listed-"));

        c.sqs.deleteQueue(r -> r.queueUrl(b));
        assertThat(c.sqs.listQueues(r -> r.queueNamePrefix("listed-")).queueUrls())
                .singleElement()
                .satisfies(u -> assertThat(u).endsWith("/listed-a"));
        assertThatThrownBy(() -> c.sqs.getQueueUrl(r -> r.queueName("listed-b")))
                .isInstanceOf(QueueDoesNotExistException.class);
        assertThat(lab.callLog().calls("sqs", "DeleteQueue"))
                .filteredOn(call -> call.resource().equals("listed-b"))
                .singleElement()
                .satisfies(call -> assertThat(call.status()).isEqualTo(200));
    }

    @Test
    void throttlingIsAnsweredAsSqsDoesAndTheSdkRetriesIt() {
        String url = create("throttled");
        lab.faults().set("sqs.throttle=2");
        try {
            assertThat(c.sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                            .attributesAsStrings())
                    .containsKey("QueueArn");
            List<ApiCall> calls = lab.callLog().calls("sqs", "GetQueueAttributes").stream()
                    .filter(call -> call.resource().equals("throttled"))
                    .toList();
            assertThat(calls)
                    .extracting(ApiCall::status, ApiCall::errorCode)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(400, "RequestThrottled"),
                            org.assertj.core.groups.Tuple.tuple(400, "RequestThrottled"),
                            org.assertj.core.groups.Tuple.tuple(200, ""));

            lab.faults().set("sqs.throttle=20");
            assertThatThrownBy(() -> c.sqs.getQueueUrl(r -> r.queueName("throttled")))
                    .isInstanceOf(SqsException.class)
                    .hasMessageContaining("Request is throttled. (lab fault sqs.throttle)")
                    .satisfies(e -> {
                        assertThat(((SqsException) e).statusCode()).isEqualTo(400);
                        assertThat(((SqsException) e).awsErrorDetails().errorCode())
                                .isEqualTo("RequestThrottled");
                    });
        } finally {
            lab.faults().clear("sqs.throttle");
        }
    }

    @Test
    void foreignCredentialsAreRefused() {
        var foreign = software.amazon.awssdk.services.sqs.SqsClient.builder()
                .httpClient(c.http)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("AKIAOTHER", "x")))
                .endpointOverride(
                        lab.world().endpoint(dev.spotdrill.core.AwsService.SQS).orElseThrow())
                .build();
        assertThatThrownBy(() -> foreign.listQueues(r -> r.queueNamePrefix("x")))
                .isInstanceOf(SqsException.class)
                .hasMessageContaining("The security token included in the request is invalid.");
    }
}
