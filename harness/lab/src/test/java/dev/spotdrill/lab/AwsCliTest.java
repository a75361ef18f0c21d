package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever {@code aws} is on the PATH, with the profile {@link LabClientFiles} writes, through the flow of a FIS
 * Spot-interrupt shell script: who am I, find the instance, create the FIS role, a refused PT1M template, a good
 * template, start, poll until completed, delete; and list-actions. Meanwhile curl reads the instance's IMDSv2.
 */
class AwsCliTest {
    private static final String A01 = "i-0c0ffee0000000a01";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private SpotLab lab;
    private LabClientFiles files;

    @BeforeEach
    void start() {
        Cli.require("aws", "install the AWS CLI (Debian: apt-get install awscli)");
        Cli.require("curl", "install curl");
        // pace 30: the two-minute notice shows for 4 s wall, and the experiment completes about 5 s after it starts
        lab = SpotLab.start(LabOptions.builder().pace(30).build());
        files = LabClientFiles.write(lab, dir.resolve("client"));
    }

    @AfterEach
    void close() {
        if (lab != null) {
            lab.close();
        }
    }

    private Cli.Result aws(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("aws", "--profile", LabClientFiles.PROFILE, "--output", "json"));
        cmd.addAll(List.of(args));
        return Cli.run(
                Map.of(
                        "AWS_CONFIG_FILE", files.awsConfig().toString(),
                        "AWS_SHARED_CREDENTIALS_FILE", files.awsCredentials().toString(),
                        "HOME", dir.toString()),
                dir,
                Duration.ofSeconds(60),
                cmd.toArray(String[]::new));
    }

    private static JsonNode json(Cli.Result r) throws Exception {
        assertThat(r.exit()).as("%s", r).isZero();
        return JSON.readTree(r.out());
    }

    private Cli.Result curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "--max-time", "5"));
        cmd.addAll(List.of(args));
        return Cli.run(Map.of(), dir, Duration.ofSeconds(30), cmd.toArray(String[]::new));
    }

    private Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    private static String template(String lead, String roleArn) {
        return """
                {
                  "description": "Interrupt one checkout Spot instance",
                  "targets": {
                    "SpotInstances": {
                      "resourceType": "aws:ec2:spot-instance",
                      "resourceArns": ["arn:aws:ec2:us-east-1:123456789012:instance/%s"],
                      "selectionMode": "ALL"
                    }
                  },
                  "actions": {
                    "interrupt": {
                      "actionId": "aws:ec2:send-spot-instance-interruptions",
                      "parameters": {"durationBeforeInterruption": "%s"},
                      "targets": {"SpotInstances": "SpotInstances"}
                    }
                  },
                  "stopConditions": [{"source": "none"}],
                  "roleArn": "%s",
                  "tags": {"Name": "spot-interrupt-script"}
                }
                """.formatted(A01, lead, roleArn);
    }

    @Test
    void theFisSpotInterruptScriptFlowRunsUnchangedAgainstTheLab() throws Exception {
        JsonNode me = json(aws("sts", "get-caller-identity"));
        assertThat(me.path("Account").asText()).isEqualTo("123456789012");
        assertThat(me.path("Arn").asText()).isEqualTo("arn:aws:iam::123456789012:user/spotdrill-lab");

        JsonNode described = json(aws(
                "ec2",
                "describe-instances",
                "--filters",
                "Name=tag:workload,Values=checkout",
                "Name=instance-state-name,Values=running"));
        List<String> ids = new ArrayList<>();
        described.path("Reservations").forEach(r -> r.path("Instances")
                .forEach(i -> ids.add(i.path("InstanceId").asText())));
        assertThat(ids).containsExactlyInAnyOrder(A01, "i-0c0ffee0000000a02", "i-0c0ffee0000000a03");

        Path trust = file(
                "trust.json",
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                        + "\"Principal\":{\"Service\":\"fis.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}");
        JsonNode role = json(aws(
                "iam",
                "create-role",
                "--role-name",
                "fis-spot-interrupt",
                "--assume-role-policy-document",
                "file://" + trust));
        String roleArn = role.at("/Role/Arn").asText();
        assertThat(roleArn).isEqualTo("arn:aws:iam::123456789012:role/fis-spot-interrupt");
        Path policy = file(
                "policy.json",
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                        + "[\"ec2:SendSpotInstanceInterruptions\",\"ec2:DescribeInstances\"],\"Resource\":\"*\"}]}");
        Cli.Result put = aws(
                "iam",
                "put-role-policy",
                "--role-name",
                "fis-spot-interrupt",
                "--policy-name",
                "spot-interrupt",
                "--policy-document",
                "file://" + policy);
        assertThat(put.exit()).as("%s", put).isZero();

        Cli.Result tooShort = aws(
                "fis",
                "create-experiment-template",
                "--cli-input-json",
                "file://" + file("pt1m.json", template("PT1M", roleArn)));
        assertThat(tooShort.exit()).as("%s", tooShort).isNotZero();
        assertThat(tooShort.err())
                .contains("An error occurred (ValidationException) when calling the CreateExperimentTemplate operation")
                .contains("durationBeforeInterruption 'PT1M' is out of range; it must be from PT2M to PT15M");

        Path good = file("pt2m.json", template("PT2M", roleArn));
        // IAM takes a moment to propagate a new role, as on AWS: a script retries until FIS accepts it
        JsonNode created = json(await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> aws("fis", "create-experiment-template", "--cli-input-json", "file://" + good),
                        r -> r.exit() == 0));
        String templateId = created.at("/experimentTemplate/id").asText();
        assertThat(templateId).startsWith("EXT");

        URI imds = URI.create(lab.world().imdsEndpoint(A01).toString().replaceAll("/+$", ""));
        String token = curl(
                        "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 21600", imds + "/latest/api/token")
                .out();
        assertThat(token).startsWith("AQAE");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", imds + "/latest/meta-data/instance-id")
                        .out())
                .isEqualTo("401");
        assertThat(curl(
                                "-w",
                                "\n%{http_code}",
                                "-H",
                                "X-aws-ec2-metadata-token: " + token,
                                imds + "/latest/meta-data/spot/instance-action")
                        .out())
                .endsWith("\n404");

        // curl polls from before the start, so a slow CLI exit on a busy machine cannot make it miss the notice
        CompletableFuture<Cli.Result> start = CompletableFuture.supplyAsync(() -> {
            try {
                return aws("fis", "start-experiment", "--experiment-template-id", templateId);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(curl(
                                        "-w",
                                        "\n%{http_code}",
                                        "-H",
                                        "X-aws-ec2-metadata-token: " + token,
                                        imds + "/latest/meta-data/spot/instance-action")
                                .out())
                        .matches("(?s)\\{\"action\":\"terminate\",\"time\":\"[0-9TZ:-]+\"}\n200"));
        String experimentId =
                json(start.get(60, TimeUnit.SECONDS)).at("/experiment/id").asText();
        assertThat(experimentId).startsWith("EXP");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(json(aws("fis", "get-experiment", "--id", experimentId))
                                .at("/experiment/state/status")
                                .asText())
                        .isEqualTo("completed"));
        assertThat(lab.instance(A01).orElseThrow().state()).isIn("shutting-down", "terminated");

        JsonNode deleted = json(aws("fis", "delete-experiment-template", "--id", templateId));
        assertThat(deleted.at("/experimentTemplate/id").asText()).isEqualTo(templateId);

        JsonNode actions = json(aws("fis", "list-actions"));
        assertThat(actions.path("actions").findValuesAsText("id"))
                .containsExactly("aws:ec2:send-spot-instance-interruptions");
        assertThat(actions.at("/actions/0/targets/SpotInstances/resourceType").asText())
                .isEqualTo("aws:ec2:spot-instance");
    }

    @Test
    void theEnvFileAloneAlsoReachesTheLab() throws Exception {
        Map<String, String> env = new HashMap<>(Cli.envFile(files.env()));
        env.put("AWS_CONFIG_FILE", dir.resolve("no-such-config").toString());
        env.put(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.resolve("no-such-credentials").toString());
        env.remove("AWS_PROFILE");
        env.put("HOME", dir.toString());

        Cli.Result me =
                Cli.run(env, dir, Duration.ofSeconds(60), "aws", "sts", "get-caller-identity", "--output", "json");
        Cli.Result fis = Cli.run(env, dir, Duration.ofSeconds(60), "aws", "fis", "list-actions", "--output", "json");

        assertThat(me.exit()).as("%s", me).isZero();
        assertThat(me.out()).contains("arn:aws:iam::123456789012:user/spotdrill-lab");
        assertThat(fis.exit()).as("%s", fis).isZero();
        assertThat(fis.out()).contains("aws:ec2:send-spot-instance-interruptions");
    }
}
