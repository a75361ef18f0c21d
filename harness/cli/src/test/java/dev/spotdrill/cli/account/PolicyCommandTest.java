package dev.spotdrill.cli.account;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.cli.CliRun;
import dev.spotdrill.cli.ExitCodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spotdrill policy}: the committed {@code ci/iam/spotdrill-runner-policy.json} is its output, so a new AWS call
 * cannot slip in without the policy; {@code --from} reads a call log.
 *
 * <p>After the calls change, rerun with {@code -Dspotdrill.iam.write=true} (or {@code ./spotdrill policy >
 * ci/iam/spotdrill-runner-policy.json}) and commit the file.
 */
class PolicyCommandTest {
    static final Path POLICY = Path.of("..", "..", "ci", "iam", "spotdrill-runner-policy.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static List<String> actions(JsonNode statement) {
        List<String> out = new ArrayList<>();
        if (statement.path("Action").isArray()) {
            statement.path("Action").forEach(a -> out.add(a.asText()));
        } else {
            out.add(statement.path("Action").asText());
        }
        return out;
    }

    @Test
    void theCommittedRunnerPolicyIsTheCommandsOutput() throws Exception {
        CliRun run = CliRun.of("policy");
        assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.OK);
        Path written = Path.of("target", "spotdrill-runner-policy.json");
        Files.writeString(written, run.out(), StandardCharsets.UTF_8);
        if (Boolean.getBoolean("spotdrill.iam.write")) {
            Files.writeString(POLICY, run.out(), StandardCharsets.UTF_8);
        }
        JsonNode doc = JSON.readTree(run.out());
        JsonNode observed = doc.path("Statement").get(0);
        assertThat(observed.path("Sid").asText()).isEqualTo("SpotDrillObservedCalls");
        // the drills' calls, doctor's (a missing rule and queue: allowed, not found) and the sweep's listings
        assertThat(actions(observed))
                .contains(
                        "fis:CreateExperimentTemplate",
                        "fis:StartExperiment",
                        "fis:StopExperiment",
                        "fis:DeleteExperimentTemplate",
                        "fis:ListActions",
                        "ec2:DescribeInstances",
                        "events:PutRule",
                        "events:DeleteRule",
                        "events:DescribeRule",
                        "sqs:CreateQueue",
                        "sqs:GetQueueUrl",
                        "sqs:DeleteQueue",
                        "iam:GetRole",
                        "iam:SimulatePrincipalPolicy",
                        "ec2:DescribeTags")
                .doesNotContain("sts:GetCallerIdentity", "iam:PassRole", "ec2:CreateTags");
        assertThat(POLICY)
                .as(
                        "%s is out of date with the calls spotdrill makes; compare it with %s, or rerun this test with"
                                + " -Dspotdrill.iam.write=true and commit the file",
                        POLICY.normalize(), written)
                .hasContent(run.out());
    }

    @Test
    void fromACallLogItAllowsWhatSucceededOrFoundNothingAndScopesPassRole() throws Exception {
        Path log = dir.resolve("calls.json");
        Files.writeString(log, """
                [ {"worldTime":"2026-01-15T10:00:00Z","service":"fis","operation":"CreateExperimentTemplate",
                   "caller":"arn:aws:iam::123456789012:user/ci","status":200,"errorCode":"","resource":"EXT1"},
                  {"worldTime":"2026-01-15T10:00:01Z","service":"fis","operation":"StartExperiment",
                   "caller":"arn:aws:iam::123456789012:user/ci","status":400,"errorCode":"ValidationException"},
                  {"worldTime":"2026-01-15T10:00:02Z","service":"events","operation":"DescribeRule",
                   "caller":"arn:aws:iam::123456789012:user/ci","status":400,"errorCode":"ResourceNotFoundException"},
                  {"worldTime":"2026-01-15T10:00:03Z","service":"sts","operation":"GetCallerIdentity","status":200},
                  {"worldTime":"2026-01-15T10:00:04Z","service":"imds","operation":"PUT token","status":200},
                  {"worldTime":"2026-01-15T10:00:05Z","service":"ec2","operation":"CreateTags","status":200} ]
                """);
        CliRun run = CliRun.of("policy", "--from", log.toString());
        assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.OK);
        JsonNode statements = JSON.readTree(run.out()).path("Statement");
        assertThat(actions(statements.get(0))).containsExactly("events:DescribeRule", "fis:CreateExperimentTemplate");
        assertThat(statements.get(1).path("Sid").asText()).isEqualTo("SpotDrillClaimInstances");
        assertThat(statements.get(1).path("Condition").toString())
                .isEqualTo("{\"ForAllValues:StringLike\":{\"aws:TagKeys\":[\"spotdrill:claim:*\"]}}");
        JsonNode pass = statements.get(statements.size() - 1);
        assertThat(pass.path("Action").asText()).isEqualTo("iam:PassRole");
        assertThat(pass.path("Resource").asText()).isEqualTo("arn:aws:iam::<ACCOUNT_ID>:role/<FIS_ROLE_NAME>");
        assertThat(pass.path("Condition")
                        .path("StringEquals")
                        .path("iam:PassedToService")
                        .asText())
                .isEqualTo("fis.amazonaws.com");
    }

    @Test
    void aFileThatIsNotACallLogIsUsage() throws Exception {
        Path notLog = dir.resolve("report.json");
        Files.writeString(notLog, "{\"name\":\"a report\"}");
        CliRun run = CliRun.of("policy", "--from", notLog.toString());
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err())
                .contains("spotdrill policy: --from " + notLog + ": not a call log: expected a JSON array of calls");

        Path missing = dir.resolve("nope.json");
        CliRun none = CliRun.of("policy", "--from", missing.toString());
        assertThat(none.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("--from " + missing + ": cannot read it (NoSuchFileException");

        Path failedOnly = dir.resolve("failed.json");
        Files.writeString(
                failedOnly,
                "[{\"worldTime\":\"2026-01-15T10:00:00Z\",\"service\":\"fis\",\"operation\":\"StartExperiment\","
                        + "\"status\":403,\"errorCode\":\"AccessDeniedException\"}]");
        CliRun nothing = CliRun.of("policy", "--from", failedOnly.toString());
        assertThat(nothing.exit()).isEqualTo(ExitCodes.FINDINGS);
        assertThat(nothing.err()).contains("the log has no successful AWS call, so there is nothing to allow");
    }
}
