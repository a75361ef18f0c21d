package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.eventbridge.model.DescribeRuleResponse;
import software.amazon.awssdk.services.eventbridge.model.EventBridgeException;
import software.amazon.awssdk.services.eventbridge.model.InvalidEventPatternException;
import software.amazon.awssdk.services.eventbridge.model.LimitExceededException;
import software.amazon.awssdk.services.eventbridge.model.PutTargetsResponse;
import software.amazon.awssdk.services.eventbridge.model.ResourceNotFoundException;
import software.amazon.awssdk.services.eventbridge.model.RuleState;
import software.amazon.awssdk.services.eventbridge.model.Tag;
import software.amazon.awssdk.services.eventbridge.model.Target;

/** The lab's EventBridge on the wire, through the real SDK v2 EventBridgeClient: rules, targets, tags, errors. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventsApiTest {
    private static final String PATTERN =
            "{\"source\":[\"aws.ec2\"],\"detail\":{\"instance-id\":[\"i-0f1ee700000000001\"]}}";
    private static final String QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:q";

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

    @Test
    void putRuleCreatesARuleOnTheDefaultBusThatDescribeRuleShows() {
        String arn = c.events
                .putRule(r -> r.name("describe-me")
                        .eventPattern(PATTERN)
                        .description("spot warnings")
                        .tags(Tag.builder()
                                .key("spotdrill:run-id")
                                .value("sd-1")
                                .build()))
                .ruleArn();
        assertThat(arn).isEqualTo("arn:aws:events:us-east-1:123456789012:rule/describe-me");

        DescribeRuleResponse d = c.events.describeRule(r -> r.name("describe-me"));
        assertThat(d.name()).isEqualTo("describe-me");
        assertThat(d.arn()).isEqualTo(arn);
        assertThat(d.eventPattern()).isEqualTo(PATTERN);
        assertThat(d.state()).isEqualTo(RuleState.ENABLED);
        assertThat(d.description()).isEqualTo("spot warnings");
        assertThat(d.eventBusName()).isEqualTo("default");
        assertThat(d.createdBy()).isEqualTo("123456789012");
        assertThat(c.events.listTagsForResource(r -> r.resourceARN(arn)).tags())
                .containsExactly(
                        Tag.builder().key("spotdrill:run-id").value("sd-1").build());
        assertThat(lab.callLog().calls("events", "PutRule"))
                .filteredOn(call -> call.resource().equals("describe-me"))
                .singleElement()
                .satisfies(call -> {
                    assertThat(call.status()).isEqualTo(200);
                    assertThat(call.caller()).isEqualTo(lab.principalArn());
                });
    }

    @Test
    void putRuleAgainDoesNotKeepOmittedArguments() {
        c.events.putRule(r ->
                r.name("replaced").eventPattern(PATTERN).description("first").state(RuleState.DISABLED));
        c.events.putRule(r -> r.name("replaced").eventPattern("{\"source\":[\"aws.fis\"]}"));

        DescribeRuleResponse d = c.events.describeRule(r -> r.name("replaced"));
        assertThat(d.description()).isNull();
        assertThat(d.state()).isEqualTo(RuleState.ENABLED);
        assertThat(d.eventPattern()).isEqualTo("{\"source\":[\"aws.fis\"]}");
    }

    @Test
    void aMalformedPatternIsRefusedWithEventBridgesReason() {
        assertThatThrownBy(() -> c.events.putRule(r -> r.name("bad-pattern").eventPattern("{\"source\":\"aws.ec2\"}")))
                .isInstanceOf(InvalidEventPatternException.class)
                .hasMessageStartingWith(
                        "Event pattern is not valid. Reason: \"source\" must be an object or an array at [Source:"
                                + " (String)\"{\"source\":\"aws.ec2\"}\"; line: 1, column: ");
        assertThatThrownBy(() -> c.events.putRule(r -> r.name("bad-pattern").eventPattern("{\"detail\":{}}")))
                .isInstanceOf(InvalidEventPatternException.class)
                .hasMessageContaining("Reason: Empty objects are not allowed");
        assertThatThrownBy(() -> c.events.putRule(r -> r.name("bad-pattern").eventPattern("{source:")))
                .isInstanceOf(InvalidEventPatternException.class)
                .hasMessageContaining("Event pattern is not valid. Reason: Unexpected character");
        assertThatThrownBy(() -> c.events.describeRule(r -> r.name("bad-pattern")))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void badNamesStatesAndMissingPatternsAreValidationErrors() {
        assertThatThrownBy(() -> c.events.putRule(r -> r.name("no spaces").eventPattern(PATTERN)))
                .isInstanceOf(EventBridgeException.class)
                .hasMessageContaining("1 validation error detected: Value 'no spaces' at 'name' failed to satisfy"
                        + " constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
                .satisfies(e -> assertThat(
                                ((EventBridgeException) e).awsErrorDetails().errorCode())
                        .isEqualTo("ValidationException"));
        assertThatThrownBy(() -> c.events.putRule(r -> r.name("no-pattern")))
                .isInstanceOf(EventBridgeException.class)
                .hasMessageContaining("Parameter(s) EventPattern or ScheduleExpression must be specified.");
        assertThatThrownBy(() -> c.events.putRule(
                        r -> r.name("bad-state").eventPattern(PATTERN).state("ON")))
                .isInstanceOf(EventBridgeException.class)
                .hasMessageContaining("Value 'ON' at 'state' failed to satisfy constraint");
        assertThatThrownBy(() -> c.events.putRule(
                        r -> r.name("other-bus").eventPattern(PATTERN).eventBusName("ops")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Event bus ops does not exist.");
    }

    @Test
    void anUnknownRuleIsResourceNotFoundWithEventBridgesMessage() {
        assertThatThrownBy(() -> c.events.describeRule(r -> r.name("nowhere")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageStartingWith("Rule nowhere does not exist on EventBus default.");
        assertThatThrownBy(() -> c.events.putTargets(r -> r.rule("nowhere").targets(queue("a"))))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageStartingWith("Rule nowhere does not exist on EventBus default.");
        assertThatThrownBy(() -> c.events.listTargetsByRule(r -> r.rule("nowhere")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> c.events.listTagsForResource(
                        r -> r.resourceARN("arn:aws:events:us-east-1:123456789012:rule/nowhere")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageStartingWith("Rule nowhere does not exist on EventBus default.");
    }

    @Test
    void deleteRuleIsRefusedWhileTargetsRemain() {
        c.events.putRule(r -> r.name("with-targets").eventPattern(PATTERN));
        c.events.putTargets(r -> r.rule("with-targets").targets(queue("q1")));

        assertThatThrownBy(() -> c.events.deleteRule(r -> r.name("with-targets")))
                .isInstanceOf(EventBridgeException.class)
                .hasMessageStartingWith("Rule can't be deleted since it has targets.")
                .satisfies(e -> assertThat(
                                ((EventBridgeException) e).awsErrorDetails().errorCode())
                        .isEqualTo("ValidationException"));
        assertThat(c.events.describeRule(r -> r.name("with-targets")).name()).isEqualTo("with-targets");

        c.events.removeTargets(r -> r.rule("with-targets").ids("q1"));
        c.events.deleteRule(r -> r.name("with-targets"));
        assertThatThrownBy(() -> c.events.describeRule(r -> r.name("with-targets")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThat(lab.callLog().calls("events", "DeleteRule"))
                .extracting(ApiCall::status, ApiCall::errorCode)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(400, "ValidationException"),
                        org.assertj.core.groups.Tuple.tuple(200, ""));
    }

    @Test
    void putTargetsKeepsAtMostFivePerRuleAndTenPerCall() {
        c.events.putRule(r -> r.name("crowded").eventPattern(PATTERN));
        c.events.putTargets(r -> r.rule("crowded")
                .targets(IntStream.range(0, 5).mapToObj(i -> queue("t" + i)).toList()));
        assertThat(c.events.listTargetsByRule(r -> r.rule("crowded")).targets())
                .extracting(Target::id)
                .containsExactly("t0", "t1", "t2", "t3", "t4");
        // replacing an existing id is not a new target
        c.events.putTargets(r -> r.rule("crowded").targets(queue("t0")));

        assertThatThrownBy(() -> c.events.putTargets(r -> r.rule("crowded").targets(queue("t5"))))
                .isInstanceOf(LimitExceededException.class)
                .hasMessageStartingWith("The requested resource exceeds the maximum number allowed.");
        assertThatThrownBy(() -> c.events.putTargets(r -> r.rule("crowded")
                        .targets(IntStream.range(0, 11)
                                .mapToObj(i -> queue("u" + i))
                                .toList())))
                .isInstanceOf(EventBridgeException.class)
                .hasMessageContaining("at 'targets' failed to satisfy constraint: Member must have length less than"
                        + " or equal to 10");
    }

    @Test
    void targetsTheLabCannotServeComeBackAsFailedEntries() {
        c.events.putRule(r -> r.name("mixed").eventPattern(PATTERN));
        PutTargetsResponse r = c.events.putTargets(p -> p.rule("mixed")
                .targets(
                        queue("ok"),
                        Target.builder()
                                .id("lambda")
                                .arn("arn:aws:lambda:us-east-1:123456789012:function:f")
                                .build(),
                        Target.builder()
                                .id("with-role")
                                .arn(QUEUE_ARN)
                                .roleArn("arn:aws:iam::123456789012:role/r")
                                .build()));

        assertThat(r.failedEntryCount()).isEqualTo(2);
        assertThat(r.failedEntries())
                .satisfiesExactly(
                        f -> {
                            assertThat(f.targetId()).isEqualTo("lambda");
                            assertThat(f.errorCode()).isEqualTo("ValidationException");
                            assertThat(f.errorMessage()).contains("delivers only to SQS queues");
                        },
                        f -> {
                            assertThat(f.targetId()).isEqualTo("with-role");
                            assertThat(f.errorMessage())
                                    .isEqualTo("RoleArn is not supported for target " + QUEUE_ARN + ".");
                        });
        assertThat(c.events.listTargetsByRule(l -> l.rule("mixed")).targets())
                .extracting(Target::id)
                .containsExactly("ok");
    }

    @Test
    void tagsAreAddedListedAndRemoved() {
        String arn =
                c.events.putRule(r -> r.name("tagged").eventPattern(PATTERN)).ruleArn();
        c.events.tagResource(r -> r.resourceARN(arn)
                .tags(
                        Tag.builder().key("a").value("1").build(),
                        Tag.builder().key("b").value("2").build()));
        c.events.untagResource(r -> r.resourceARN(arn).tagKeys("a"));
        assertThat(c.events.listTagsForResource(r -> r.resourceARN(arn)).tags())
                .containsExactly(Tag.builder().key("b").value("2").build());
        assertThatThrownBy(() -> c.events.tagResource(r -> r.resourceARN(arn)
                        .tags(Tag.builder().key("aws:x").value("1").build())))
                .isInstanceOf(EventBridgeException.class)
                .hasMessageContaining("the aws: prefix is reserved");
    }

    @Test
    void listRulesFiltersByPrefixAndPages() {
        for (String n : List.of("page-a", "page-b", "page-c", "other-page")) {
            c.events.putRule(r -> r.name(n).eventPattern(PATTERN));
        }
        var first = c.events.listRules(r -> r.namePrefix("page-").limit(2));
        assertThat(first.rules())
                .extracting(software.amazon.awssdk.services.eventbridge.model.Rule::name)
                .containsExactly("page-a", "page-b");
        var second = c.events.listRules(r -> r.namePrefix("page-").limit(2).nextToken(first.nextToken()));
        assertThat(second.rules())
                .extracting(software.amazon.awssdk.services.eventbridge.model.Rule::name)
                .containsExactly("page-c");
        assertThat(second.nextToken()).isNull();
    }

    @Test
    void unsignedAndForeignCallersAreRefused() {
        var foreign = software.amazon.awssdk.services.eventbridge.EventBridgeClient.builder()
                .httpClient(c.http)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("AKIAOTHER", "x")))
                .endpointOverride(lab.world()
                        .endpoint(dev.spotdrill.core.AwsService.EVENTBRIDGE)
                        .orElseThrow())
                .build();
        assertThatThrownBy(() -> foreign.listRules(r -> r.namePrefix("x")))
                .isInstanceOf(EventBridgeException.class)
                .hasMessageContaining("The security token included in the request is invalid.");
    }

    private static Target queue(String id) {
        return Target.builder().id(id).arn(QUEUE_ARN).build();
    }
}
