package dev.spotdrill.cli.account;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The runner's least-privilege IAM policy, shaped from the actions a lab observed ({@code CallLog.iamActions()}): the
 * observed actions on any resource; the claim tags only with {@code spotdrill:claim:*} keys on instances;
 * {@code iam:PassRole} only for the FIS role and only to FIS; and the actions no single run shows (another run's
 * experiments, tags on create, the sweep's listings) granted by statements of their own.
 */
public final class RunnerPolicy {
    /** The FIS role's ARN in the policy: edit the placeholders (and the partition outside {@code aws}). */
    public static final String FIS_ROLE = "arn:aws:iam::<ACCOUNT_ID>:role/<FIS_ROLE_NAME>";

    private static final Set<String> SCOPED = Set.of("iam:PassRole", "ec2:CreateTags", "ec2:DeleteTags");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunnerPolicy() {}

    /** The policy document for these observed actions, as {@code spotdrill policy} prints it (ends with a newline). */
    public static String of(SortedSet<String> observed) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("Version", "2012-10-17");
        ArrayNode statements = doc.putArray("Statement");
        ObjectNode calls = statements.addObject();
        calls.put("Sid", "SpotDrillObservedCalls");
        calls.put("Effect", "Allow");
        ArrayNode a = calls.putArray("Action");
        new TreeSet<>(observed).stream().filter(x -> !SCOPED.contains(x)).forEach(a::add);
        calls.put("Resource", "*");
        // the claims on instances: only tags whose keys are spotdrill:claim:<run id>, only on instances
        ObjectNode claims =
                statement(statements, "SpotDrillClaimInstances", List.of("ec2:CreateTags", "ec2:DeleteTags"));
        claims.put("Resource", "arn:aws:ec2:*:*:instance/*");
        claims.putObject("Condition")
                .putObject("ForAllValues:StringLike")
                .putArray("aws:TagKeys")
                .add("spotdrill:claim:*");
        // what the claims check reads when another run's experiment is active (one run alone does not show it)
        statement(
                        statements,
                        "SpotDrillOtherRunsExperiments",
                        List.of("fis:GetExperiment", "fis:ListExperimentResolvedTargets"))
                .put("Resource", "*");
        // tags on create: FIS may check fis:TagResource for the tags every template and experiment carries, and so
        // may EventBridge (PutRule with Tags) and SQS (CreateQueue with tags); not observable in the lab, so granted
        statement(statements, "SpotDrillTagOnCreate", List.of("events:TagResource", "fis:TagResource", "sqs:TagQueue"))
                .put("Resource", "*");
        // spotdrill sweep lists what killed JVMs left, and removes it with the calls a drill's cleanup makes
        statement(
                        statements,
                        "SpotDrillSweepLeftovers",
                        List.of(
                                "events:ListRules",
                                "events:ListTagsForResource",
                                "events:ListTargetsByRule",
                                "fis:ListExperimentTemplates",
                                "fis:ListExperiments",
                                "sqs:ListQueueTags",
                                "sqs:ListQueues",
                                "ec2:DescribeTags"))
                .put("Resource", "*");
        ObjectNode pass = statements.addObject();
        pass.put("Sid", "SpotDrillPassFisRole");
        pass.put("Effect", "Allow");
        pass.put("Action", "iam:PassRole");
        pass.put("Resource", FIS_ROLE);
        pass.putObject("Condition").putObject("StringEquals").put("iam:PassedToService", "fis.amazonaws.com");
        try {
            return JSON.writeValueAsString(doc) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode statement(ArrayNode statements, String sid, List<String> actions) {
        ObjectNode s = statements.addObject();
        s.put("Sid", sid);
        s.put("Effect", "Allow");
        ArrayNode a = s.putArray("Action");
        actions.forEach(a::add);
        return s;
    }
}
