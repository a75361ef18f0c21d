package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.AwsService;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real AWS CLI against the lab's EventBridge and SQS, unchanged but for {@code --endpoint-url}: a rule, its queue
 * target, the queue, and the Spot warning read back with {@code aws sqs receive-message}. The lab's credentials go
 * through the environment only. Skipped, with the reason, when {@code aws} is not on the PATH.
 */
class AwsCliEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INSTANCE = "i-0f1ee700000000005";

    /** One CLI run's outcome. */
    record Run(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    private static Run aws(SpotLab lab, Path tmp, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("aws");
        cmd.addAll(args);
        cmd.add("--output");
        cmd.add("json");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        var creds = lab.world().credentials().orElseThrow();
        env.put("AWS_ACCESS_KEY_ID", creds.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", creds.secretAccessKey().reveal());
        env.put("AWS_DEFAULT_REGION", lab.world().region());
        // no profile, config or instance metadata of the machine may leak in
        env.put("AWS_CONFIG_FILE", tmp.resolve("config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("credentials").toString());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_PAGER", "");
        File out = tmp.resolve("out.txt").toFile();
        File err = tmp.resolve("err.txt").toFile();
        pb.redirectOutput(out).redirectError(err);
        Process p = pb.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("aws " + args + " did not end within 90 s");
        }
        return new Run(
                p.exitValue(),
                Files.readString(out.toPath(), StandardCharsets.UTF_8),
                Files.readString(err.toPath(), StandardCharsets.UTF_8));
    }

    @Test
    void theAwsCliCreatesARuleAndQueueAndReadsTheSpotWarning(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Cli.require("aws", "install Debian's awscli (.ci/run does) to run this test");
        try (SpotLab lab = SpotLab.start(LabOptions.builder().scenario("fleet").build());
                LabClients c = new LabClients(lab.world())) {
            String events =
                    lab.world().endpoint(AwsService.EVENTBRIDGE).orElseThrow().toString();
            String sqs = lab.world().endpoint(AwsService.SQS).orElseThrow().toString();
            String queueArn = "arn:aws:sqs:us-east-1:123456789012:cli-queue";
            String ruleArn = "arn:aws:events:us-east-1:123456789012:rule/cli-rule";

            Run version = aws(lab, tmp, List.of("--version"));
            Run created = aws(
                    lab,
                    tmp,
                    List.of(
                            "sqs",
                            "create-queue",
                            "--endpoint-url",
                            sqs,
                            "--queue-name",
                            "cli-queue",
                            "--attributes",
                            JSON.writeValueAsString(Map.of(
                                    "MessageRetentionPeriod",
                                    "300",
                                    "SqsManagedSseEnabled",
                                    "true",
                                    "Policy",
                                    EventDeliveryTest.policy(queueArn, ruleArn)))));
            assertThat(created.exit()).as("create-queue: %s", created.err()).isZero();
            String url = created.json().path("QueueUrl").asText();
            assertThat(url).endsWith("/123456789012/cli-queue");

            Run rule = aws(
                    lab,
                    tmp,
                    List.of(
                            "events",
                            "put-rule",
                            "--endpoint-url",
                            events,
                            "--name",
                            "cli-rule",
                            "--event-pattern",
                            EventDeliveryTest.instancePattern(INSTANCE)));
            assertThat(rule.exit()).as("put-rule: %s", rule.err()).isZero();
            assertThat(rule.json().path("RuleArn").asText()).isEqualTo(ruleArn);

            Run targets = aws(
                    lab,
                    tmp,
                    List.of(
                            "events",
                            "put-targets",
                            "--endpoint-url",
                            events,
                            "--rule",
                            "cli-rule",
                            "--targets",
                            "Id=q,Arn=" + queueArn));
            assertThat(targets.exit()).as("put-targets: %s", targets.err()).isZero();
            assertThat(targets.json().path("FailedEntryCount").asInt()).isZero();

            String template = c.fis.createExperimentTemplate(
                            LabClients.spotTemplate("PT2M", INSTANCE).build())
                    .experimentTemplate()
                    .id();
            c.fis.startExperiment(r -> r.experimentTemplateId(template));

            List<JsonNode> got = new ArrayList<>();
            await("the Spot warning through aws sqs receive-message")
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> {
                        Run r = aws(
                                lab,
                                tmp,
                                List.of(
                                        "sqs",
                                        "receive-message",
                                        "--endpoint-url",
                                        sqs,
                                        "--queue-url",
                                        url,
                                        "--wait-time-seconds",
                                        "20",
                                        "--max-number-of-messages",
                                        "10"));
                        assertThat(r.exit()).as("receive-message: %s", r.err()).isZero();
                        if (!r.out().isBlank()) {
                            for (JsonNode m : r.json().path("Messages")) {
                                got.add(JSON.readTree(m.path("Body").asText()));
                            }
                        }
                        return got.stream().anyMatch(e -> e.path("detail-type")
                                .asText()
                                .equals("EC2 Spot Instance Interruption Warning"));
                    });
            assertThat(got)
                    .filteredOn(e -> e.path("detail-type").asText().equals("EC2 Spot Instance Interruption Warning"))
                    .first()
                    .satisfies(
                            e -> assertThat(e.path("detail").path("instance-id").asText())
                                    .isEqualTo(INSTANCE));
            assertThat(lab.callLog().calls())
                    .filteredOn(call -> call.caller().equals(lab.principalArn()))
                    .extracting(call -> call.service() + ":" + call.operation())
                    .contains("sqs:CreateQueue", "events:PutRule", "events:PutTargets", "sqs:ReceiveMessage");
            // the secret went through the environment only: it is in no call, output or error
            String secret =
                    lab.world().credentials().orElseThrow().secretAccessKey().reveal();
            assertThat(created.out() + created.err() + rule.out() + targets.out() + version.out() + version.err())
                    .doesNotContain(secret);
            System.out.println(
                    "MEASURE aws CLI: " + version.out().trim() + version.err().trim());
        }
    }
}
