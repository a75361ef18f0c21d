package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the lab decides whether a queue's policy lets an EventBridge rule deliver into it. */
class QueuePolicyTest {
    private static final String QUEUE = "arn:aws:sqs:us-east-1:123456789012:spotdrill-sd-1";
    private static final String RULE = "arn:aws:events:us-east-1:123456789012:rule/spotdrill-sd-1";
    private static final String ACCOUNT = "123456789012";

    private static String statement(String effect, String principal, String action, String resource, String condition) {
        return "{\"Effect\":\"" + effect + "\",\"Principal\":" + principal + ",\"Action\":\"" + action
                + "\",\"Resource\":\"" + resource + "\"" + (condition == null ? "" : ",\"Condition\":" + condition)
                + "}";
    }

    private static String policy(String... statements) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
    }

    private static final String EVENTS = "{\"Service\":\"events.amazonaws.com\"}";
    private static final String SOURCE_IS_RULE = "{\"ArnEquals\":{\"aws:SourceArn\":\"" + RULE + "\"}}";

    private static QueuePolicy.Decision decide(String policy) {
        return QueuePolicy.evaluate(policy, QUEUE, RULE, ACCOUNT);
    }

    @Test
    void theHarnessPolicyAdmitsItsOwnRuleOnly() {
        String p = policy(statement("Allow", EVENTS, "sqs:SendMessage", QUEUE, SOURCE_IS_RULE));
        assertThat(decide(p).allowed()).isTrue();
        QueuePolicy.Decision other =
                QueuePolicy.evaluate(p, QUEUE, "arn:aws:events:us-east-1:123456789012:rule/someone-else", ACCOUNT);
        assertThat(other.allowed()).isFalse();
        assertThat(other.reason())
                .isEqualTo("no statement of the queue's Policy allows events.amazonaws.com sqs:SendMessage on " + QUEUE
                        + " from arn:aws:events:us-east-1:123456789012:rule/someone-else");
    }

    @Test
    void wildcardsInActionsResourcesAndArnLikeApply() {
        assertThat(decide(
                                policy(
                                        statement(
                                                "Allow",
                                                EVENTS,
                                                "SQS:*",
                                                "arn:aws:sqs:us-east-1:123456789012:spotdrill-*",
                                                "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:events:us-east-1:123456789012:rule/spotdrill-*\"}}")))
                        .allowed())
                .isTrue();
        assertThat(decide(policy(statement(
                                "Allow",
                                "\"*\"",
                                "*",
                                "*",
                                "{\"StringEquals\":{\"aws:SourceAccount\":\"" + ACCOUNT + "\"}}")))
                        .allowed())
                .isTrue();
        // a single statement object instead of a list, as IAM also accepts
        assertThat(decide("{\"Statement\":" + statement("Allow", EVENTS, "sqs:SendMessage", QUEUE, null) + "}")
                        .allowed())
                .isTrue();
    }

    @Test
    void theWrongPrincipalActionResourceOrConditionAdmitsNothing() {
        assertThat(decide(policy(statement(
                                "Allow", "{\"Service\":\"sns.amazonaws.com\"}", "sqs:SendMessage", QUEUE, null)))
                        .allowed())
                .isFalse();
        assertThat(decide(policy(statement("Allow", EVENTS, "sqs:ReceiveMessage", QUEUE, null)))
                        .allowed())
                .isFalse();
        assertThat(decide(policy(statement(
                                "Allow", EVENTS, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:other", null)))
                        .allowed())
                .isFalse();
        assertThat(decide(policy(statement(
                                "Allow",
                                EVENTS,
                                "sqs:SendMessage",
                                QUEUE,
                                "{\"StringEquals\":{\"aws:SourceAccount\":\"999999999999\"}}")))
                        .allowed())
                .isFalse();
        assertThat(decide(policy(statement(
                                "Allow",
                                EVENTS,
                                "sqs:SendMessage",
                                QUEUE,
                                "{\"IpAddress\":{\"aws:SourceIp\":\"1.2.3.4\"}}")))
                        .allowed())
                .isFalse();
    }

    @Test
    void anExplicitDenyWins() {
        QueuePolicy.Decision d = decide(policy(
                statement("Allow", EVENTS, "sqs:SendMessage", QUEUE, SOURCE_IS_RULE),
                statement("Deny", "\"*\"", "sqs:*", QUEUE, null)));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).isEqualTo("a Deny statement of the queue's Policy applies to " + RULE);
    }

    @Test
    void noPolicyOrABrokenOneAdmitsNothing() {
        assertThat(decide(null).reason())
                .isEqualTo("the queue has no Policy, so events.amazonaws.com may not send to it");
        assertThat(decide("{not json").reason()).isEqualTo("the queue's Policy is not JSON");
        assertThat(decide("{not json").allowed()).isFalse();
    }
}
