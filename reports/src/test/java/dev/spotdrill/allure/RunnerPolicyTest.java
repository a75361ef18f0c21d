package dev.spotdrill.allure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectInterruptionWarning;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.ExpectTermination;
import dev.spotdrill.junit.SpotDrill;
import dev.spotdrill.junit.SpotInterruption;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * The nightly runner's IAM policy, {@code ci/iam/spotdrill-runner-policy.json}, allows exactly what a drill calls.
 *
 * <p>The actions come from the lab's API-call log after a passing drill and an aborted one (whose experiment is
 * stopped), as {@code SpotLab.callLog().leastPrivilegePolicy()} gives them; {@code iam:PassRole} is scoped to the FIS
 * role. The committed file is {@code spotdrill policy}'s output (harness/cli's {@code PolicyCommandTest}); this test
 * checks that it allows every call these drills make through the JUnit extension, and that its statements have the
 * shape {@link #runnerPolicy} gives.
 */
class RunnerPolicyTest {
    static final Path POLICY = Path.of("..", "ci", "iam", "spotdrill-runner-policy.json");
    static final String FIS_ROLE = "arn:aws:iam::<ACCOUNT_ID>:role/<FIS_ROLE_NAME>";
    /** Actions granted by statements of their own, with narrower resources or conditions. */
    static final java.util.Set<String> SCOPED = java.util.Set.of("iam:PassRole", "ec2:CreateTags", "ec2:DeleteTags");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @SpotDrill
    static class Drills {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        @ExpectTermination
        @ExpectInterruptionWarning // the EventBridge source: its rule and queue (pace 20: an event may lag on a busy
        // machine)
        void passes() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a02", leadTime = "PT10M")
        @ExpectImdsNotice
        void aborts() {
            throw new IllegalStateException("aborted on purpose: the experiment must be stopped");
        }
    }

    @Test
    void theCommittedRunnerPolicyAllowsExactlyTheActionsADrillCalls() throws Exception {
        String observed;
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(20).build())) {
            EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                    .configurationParameters(Map.of("spotdrill.lab.attach", lab.id()))
                    .selectors(selectClass(Drills.class))
                    .execute();
            results.testEvents().assertStatistics(s -> s.started(2).succeeded(1).failed(1));
            observed = lab.callLog().leastPrivilegePolicy();
        }
        TreeSet<String> actions = actions(JSON.readTree(observed));
        assertThat(actions)
                .contains(
                        "fis:CreateExperimentTemplate",
                        "fis:StartExperiment",
                        "fis:StopExperiment",
                        "fis:DeleteExperimentTemplate",
                        "ec2:DescribeInstances",
                        "events:PutRule",
                        "events:DeleteRule",
                        "sqs:CreateQueue",
                        "sqs:ReceiveMessage",
                        "sqs:DeleteQueue",
                        "iam:PassRole",
                        "fis:ListActions",
                        "iam:GetRole",
                        "iam:SimulatePrincipalPolicy",
                        "ec2:CreateTags",
                        "ec2:DeleteTags",
                        "ec2:DescribeTags");

        // the committed file is `spotdrill policy`'s output (harness/cli's PolicyCommandTest holds it to that); it
        // must allow at least what these drills, run through the JUnit extension, call
        TreeSet<String> committed = actions(JSON.readTree(Files.readString(POLICY)));
        assertThat(committed)
                .as(
                        "%s does not allow every call of these drills; regenerate it with ./spotdrill policy (see"
                                + " harness/cli's PolicyCommandTest)",
                        POLICY.normalize())
                .containsAll(actions);
        assertThat(JSON.readTree(Files.readString(POLICY)).path("Statement").toString())
                .isEqualTo(JSON.readTree(runnerPolicy(observed()))
                        .path("Statement")
                        .toString());
    }

    /** The committed file's first statement: the actions its generator observed. */
    private static TreeSet<String> observed() throws Exception {
        JsonNode first =
                JSON.readTree(Files.readString(POLICY)).path("Statement").get(0);
        TreeSet<String> out = new TreeSet<>();
        first.path("Action").forEach(a -> out.add(a.asText()));
        out.add("iam:PassRole");
        return out;
    }

    @Test
    void thePolicyScopesPassRoleToTheFisRoleAndFis() throws Exception {
        JsonNode doc = JSON.readTree(
                runnerPolicy(new TreeSet<>(List.of("fis:StartExperiment", "iam:PassRole", "iam:GetRole"))));
        JsonNode statements = doc.path("Statement");
        assertThat(statements).hasSize(6);
        assertThat(statements.get(0).path("Action").toString()).isEqualTo("[\"fis:StartExperiment\",\"iam:GetRole\"]");
        assertThat(statements.get(1).path("Action").toString()).isEqualTo("[\"ec2:CreateTags\",\"ec2:DeleteTags\"]");
        assertThat(statements.get(1).path("Resource").asText()).isEqualTo("arn:aws:ec2:*:*:instance/*");
        assertThat(statements.get(1).path("Condition").toString())
                .isEqualTo("{\"ForAllValues:StringLike\":{\"aws:TagKeys\":[\"spotdrill:claim:*\"]}}");
        assertThat(statements.get(5).path("Action").asText()).isEqualTo("iam:PassRole");
        assertThat(statements.get(5).path("Resource").asText()).isEqualTo(FIS_ROLE);
        assertThat(statements
                        .get(5)
                        .path("Condition")
                        .path("StringEquals")
                        .path("iam:PassedToService")
                        .asText())
                .isEqualTo("fis.amazonaws.com");
    }

    /** The observed actions on any resource, and iam:PassRole only for the FIS role and only to FIS. */
    static String runnerPolicy(TreeSet<String> observed) throws Exception {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("Version", "2012-10-17");
        ArrayNode statements = doc.putArray("Statement");
        ObjectNode calls = statements.addObject();
        calls.put("Sid", "SpotDrillObservedCalls");
        calls.put("Effect", "Allow");
        ArrayNode a = calls.putArray("Action");
        observed.stream().filter(x -> !SCOPED.contains(x)).forEach(a::add);
        calls.put("Resource", "*");
        // the claims on instances: only tags whose keys are spotdrill:claim:<run id>, only on instances
        ObjectNode claims = statements.addObject();
        claims.put("Sid", "SpotDrillClaimInstances");
        claims.put("Effect", "Allow");
        claims.putArray("Action").add("ec2:CreateTags").add("ec2:DeleteTags");
        claims.put("Resource", "arn:aws:ec2:*:*:instance/*");
        claims.putObject("Condition")
                .putObject("ForAllValues:StringLike")
                .putArray("aws:TagKeys")
                .add("spotdrill:claim:*");
        // what the claims check reads when another run's experiment is active (not observable with one run)
        ObjectNode others = statements.addObject();
        others.put("Sid", "SpotDrillOtherRunsExperiments");
        others.put("Effect", "Allow");
        others.putArray("Action").add("fis:GetExperiment").add("fis:ListExperimentResolvedTargets");
        others.put("Resource", "*");
        // tags on create: FIS may check fis:TagResource for the tags every template and experiment carries
        // (not observable in the lab; unverified on AWS, so granted rather than risked)
        ObjectNode tag = statements.addObject();
        tag.put("Sid", "SpotDrillTagOnCreate");
        tag.put("Effect", "Allow");
        // the same for the EventBridge rule (PutRule with Tags) and the SQS queue (CreateQueue with tags)
        tag.putArray("Action").add("events:TagResource").add("fis:TagResource").add("sqs:TagQueue");
        tag.put("Resource", "*");
        // the Leftovers sweeper (dev.spotdrill.core.drill.Leftovers) lists what killed JVMs left
        ObjectNode sweep = statements.addObject();
        sweep.put("Sid", "SpotDrillSweepLeftovers");
        sweep.put("Effect", "Allow");
        sweep.putArray("Action")
                .add("events:ListRules")
                .add("events:ListTagsForResource")
                .add("events:ListTargetsByRule")
                .add("fis:ListExperimentTemplates")
                .add("fis:ListExperiments")
                .add("sqs:ListQueueTags")
                .add("sqs:ListQueues")
                .add("ec2:DescribeTags");
        sweep.put("Resource", "*");
        ObjectNode pass = statements.addObject();
        pass.put("Sid", "SpotDrillPassFisRole");
        pass.put("Effect", "Allow");
        pass.put("Action", "iam:PassRole");
        pass.put("Resource", FIS_ROLE);
        pass.putObject("Condition").putObject("StringEquals").put("iam:PassedToService", "fis.amazonaws.com");
        return JSON.writeValueAsString(doc) + "\n";
    }

    private static TreeSet<String> actions(JsonNode policy) {
        TreeSet<String> out = new TreeSet<>();
        for (JsonNode s : policy.path("Statement")) {
            List<JsonNode> list = new ArrayList<>();
            if (s.path("Action").isArray()) {
                s.path("Action").forEach(list::add);
            } else {
                list.add(s.path("Action"));
            }
            list.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
