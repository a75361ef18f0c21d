package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataClientException;
import software.amazon.awssdk.services.fis.model.ConflictException;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateActionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateRequest;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateStopConditionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateTargetInput;
import software.amazon.awssdk.services.fis.model.Experiment;
import software.amazon.awssdk.services.fis.model.ExperimentActionStatus;
import software.amazon.awssdk.services.fis.model.ExperimentStatus;
import software.amazon.awssdk.services.fis.model.FisException;
import software.amazon.awssdk.services.fis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.fis.model.ServiceQuotaExceededException;
import software.amazon.awssdk.services.fis.model.ValidationException;

class FisApiTest {
    private static final String A01 = "i-0c0ffee0000000a01";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private SpotLab lab;
    private LabClients c;

    private void start(LabOptions.Builder options) {
        lab = SpotLab.start(options.build());
        c = new LabClients(lab.world());
    }

    @AfterEach
    void close() {
        if (c != null) {
            c.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private String template(String lead, String... ids) {
        return c.fis.createExperimentTemplate(LabClients.spotTemplate(lead, ids).build())
                .experimentTemplate()
                .id();
    }

    private String startExperiment(String templateId) {
        return c.fis.startExperiment(r -> r.experimentTemplateId(templateId))
                .experiment()
                .id();
    }

    private Experiment get(String id) {
        return c.fis.getExperiment(r -> r.id(id)).experiment();
    }

    private void awaitStatus(String id, ExperimentStatus status) {
        await("experiment " + id + " " + status)
                .atMost(WAIT)
                .until(() -> get(id).state().status() == status);
    }

    @Test
    void fullLifecycleShowsRebalanceThenFixedNoticeThenTerminatesAndReplaces() {
        start(LabOptions.builder().pace(60));
        Experiment started = c.fis.startExperiment(r -> r.experimentTemplateId(template("PT5M", A01)))
                .experiment();
        assertThat(started.state().status()).isEqualTo(ExperimentStatus.PENDING);
        String exp = started.id();
        awaitStatus(exp, ExperimentStatus.RUNNING);
        Instant actionStart = get(exp).actions().get("interrupt").startTime();
        assertThat(actionStart).isNotNull();
        Instant interruption = actionStart.plus(Duration.ofMinutes(5));

        Ec2MetadataClient imds = c.imds(A01);
        assertThat(imds.get("/latest/meta-data/events/recommendations/rebalance")
                        .asString())
                .isEqualTo("{\"noticeTime\":\"" + actionStart + "\"}");
        Instant before = lab.clock().now();
        assertThatThrownBy(() -> imds.get("/latest/meta-data/spot/instance-action"))
                .isInstanceOf(Ec2MetadataClientException.class)
                .satisfies(e -> assertThat(((Ec2MetadataClientException) e).statusCode())
                        .isEqualTo(404));
        assertThat(before).isBefore(interruption.minus(Duration.ofMinutes(2)));

        String notice = await("notice")
                .atMost(WAIT)
                .ignoreExceptions()
                .until(() -> imds.get("/latest/meta-data/spot/instance-action").asString(), b -> true);
        assertThat(notice).isEqualTo("{\"action\":\"terminate\",\"time\":\"" + interruption + "\"}");
        assertThat(imds.get("/latest/meta-data/spot/termination-time").asString())
                .isEqualTo(interruption.toString());
        LabInstance seen = lab.instance(A01).orElseThrow();
        assertThat(seen.noticeTime()).contains(interruption.minus(Duration.ofMinutes(2)));
        assertThat(seen.rebalanceTime()).contains(actionStart);
        assertThat(seen.interruptionTime()).contains(interruption);
        await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> true);
        assertThat(imds.get("/latest/meta-data/spot/instance-action").asString())
                .isEqualTo(notice);

        await("terminated").atMost(WAIT).until(() -> c.ec2.describeInstances(r -> r.instanceIds(A01))
                .reservations()
                .get(0)
                .instances()
                .get(0)
                .state()
                .nameAsString()
                .equals("terminated"));
        awaitStatus(exp, ExperimentStatus.COMPLETED);
        Experiment done = get(exp);
        assertThat(done.actions().get("interrupt").state().status()).isEqualTo(ExperimentActionStatus.COMPLETED);
        assertThat(done.actions().get("interrupt").endTime()).isEqualTo(interruption);
        assertThat(done.endTime()).isEqualTo(interruption);
        assertThat(c.fis.listExperimentResolvedTargets(r -> r.experimentId(exp)).resolvedTargets())
                .singleElement()
                .satisfies(t -> assertThat(t.targetInformation())
                        .containsEntry("arn", "arn:aws:ec2:us-east-1:123456789012:instance/" + A01));
        // a terminated instance has no IMDS any more: the connection is refused
        assertThatThrownBy(() -> imds.get("/latest/meta-data/instance-id"))
                .isInstanceOf(software.amazon.awssdk.core.exception.SdkClientException.class);

        await("replacement")
                .atMost(WAIT)
                .until(() -> lab.instance(A01).orElseThrow().replacedBy().isPresent());
        LabInstance fresh =
                lab.instance(lab.instance(A01).orElseThrow().replacedBy().get()).orElseThrow();
        assertThat(fresh.state()).isEqualTo("running");
        assertThat(fresh.tags()).isEqualTo(seen.tags());
        assertThat(fresh.nodeLabels()).isEqualTo(seen.nodeLabels());
        assertThat(fresh.nodeName()).isPresent().isNotEqualTo(seen.nodeName());
    }

    @Test
    void stopCancelsPendingNoticeAndInterruption() {
        start(LabOptions.builder().pace(60));
        String exp = startExperiment(template("PT5M", A01));
        awaitStatus(exp, ExperimentStatus.RUNNING);
        Instant interruption = get(exp).actions().get("interrupt").startTime().plus(Duration.ofMinutes(5));
        Experiment stopping = c.fis.stopExperiment(r -> r.id(exp)).experiment();
        assertThat(stopping.state().status()).isEqualTo(ExperimentStatus.STOPPING);
        awaitStatus(exp, ExperimentStatus.STOPPED);
        assertThat(get(exp).actions().get("interrupt").state().status()).isEqualTo(ExperimentActionStatus.STOPPED);
        assertThat(get(exp).endTime()).isNotNull();
        await("past the cancelled interruption")
                .atMost(WAIT)
                .until(() -> lab.clock().now().isAfter(interruption.plusSeconds(30)));
        assertThat(lab.instance(A01).orElseThrow().state()).isEqualTo("running");
        assertThatThrownBy(() -> c.imds(A01).get("/latest/meta-data/spot/instance-action"))
                .isInstanceOf(Ec2MetadataClientException.class);
        assertThatThrownBy(() -> c.fis.stopExperiment(r -> r.id(exp)))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("is stopped and cannot be stopped");
    }

    @Test
    void denyStopFaultRefusesStopExperimentWith403AndTheExperimentRunsOn() {
        start(LabOptions.builder().pace(60).faults("fis.deny-stop"));
        String exp = startExperiment(template("PT5M", A01));
        awaitStatus(exp, ExperimentStatus.RUNNING);
        assertThatThrownBy(() -> c.fis.stopExperiment(r -> r.id(exp)))
                .isInstanceOfSatisfying(FisException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(403);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
                })
                .hasMessageContaining("User: arn:aws:iam::123456789012:user/spotdrill-lab is not authorized to"
                        + " perform: fis:StopExperiment on resource: arn:aws:fis:")
                .hasMessageContaining(":experiment/" + exp);
        assertThat(get(exp).state().status()).isEqualTo(ExperimentStatus.RUNNING);
        assertThat(lab.callLog().count("fis", "StopExperiment")).isEqualTo(1);
        lab.faults().clear("fis.deny-stop");
        assertThat(c.fis.stopExperiment(r -> r.id(exp)).experiment().state().status())
                .isEqualTo(ExperimentStatus.STOPPING);
    }

    @Test
    void failFaultEndsExperimentFailedWithReasonAndErrorAndNoInterruption() {
        start(LabOptions.builder().pace(60).faults("fis.fail-experiment"));
        String exp = startExperiment(template("PT5M", A01));
        awaitStatus(exp, ExperimentStatus.FAILED);
        Experiment e = get(exp);
        assertThat(e.state().reason()).contains("fis.fail-experiment");
        assertThat(e.state().error().code()).isEqualTo("InternalFailure");
        assertThat(e.state().error().location()).isEqualTo("action/interrupt");
        assertThat(e.state().error().accountId()).isEqualTo("123456789012");
        assertThat(e.actions().get("interrupt").state().status()).isEqualTo(ExperimentActionStatus.FAILED);
        assertThat(lab.instance(A01).orElseThrow().interruptionTime()).isEmpty();
    }

    @Test
    void cancelFaultEndsExperimentCancelled() {
        start(LabOptions.builder().pace(60).faults("fis.cancel-experiment"));
        String exp = startExperiment(template("PT5M", A01));
        awaitStatus(exp, ExperimentStatus.CANCELLED);
        assertThat(get(exp).state().reason()).contains("fis.cancel-experiment");
        assertThat(get(exp).state().error().code()).isEqualTo("ExperimentCancelled");
        assertThat(lab.instance(A01).orElseThrow().state()).isEqualTo("running");
    }

    @Test
    void targetsThatAreNotRunningSpotInstancesFailTheExperiment() {
        start(LabOptions.builder().pace(60));
        String stopped = startExperiment(template("PT2M", "i-0c0ffee0000000c01"));
        String onDemand = startExperiment(template("PT2M", "i-0c0ffee0000000b01"));
        String unknown = startExperiment(template("PT2M", "i-0123456789abcdef0"));
        awaitStatus(stopped, ExperimentStatus.FAILED);
        awaitStatus(onDemand, ExperimentStatus.FAILED);
        awaitStatus(unknown, ExperimentStatus.FAILED);
        assertThat(get(stopped).state().reason()).contains("i-0c0ffee0000000c01", "not a running Spot Instance");
        assertThat(get(onDemand).state().reason()).contains("lifecycle on-demand");
        assertThat(get(unknown).state().reason()).contains("could not be found");
        assertThat(get(unknown).state().error().location()).isEqualTo("targets/spot");
    }

    @Test
    void tagTargetsResolveWithFiltersAndSelectionMode() {
        start(LabOptions.builder().pace(60));
        CreateExperimentTemplateRequest req = LabClients.spotTemplate("PT2M", A01)
                .targets(Map.of(
                        "spot",
                        CreateExperimentTemplateTargetInput.builder()
                                .resourceType("aws:ec2:spot-instance")
                                .resourceTags(Map.of("workload", "checkout"))
                                .filters(f -> f.path("State.Name").values("running"))
                                .selectionMode("COUNT(2)")
                                .build()))
                .build();
        String exp = startExperiment(
                c.fis.createExperimentTemplate(req).experimentTemplate().id());
        awaitStatus(exp, ExperimentStatus.RUNNING);
        List<String> arns = c.fis.listExperimentResolvedTargets(r -> r.experimentId(exp)).resolvedTargets().stream()
                .map(t -> t.targetInformation().get("arn"))
                .toList();
        assertThat(arns).hasSize(2).allSatisfy(a -> assertThat(a).matches(".*instance/i-0c0ffee0000000a0[123]"));
        c.fis.stopExperiment(r -> r.id(exp));
    }

    @Test
    void emptyTagResolutionFailsTheExperiment() {
        start(LabOptions.builder().pace(60));
        CreateExperimentTemplateRequest req = LabClients.spotTemplate("PT2M", A01)
                .targets(Map.of(
                        "spot",
                        CreateExperimentTemplateTargetInput.builder()
                                .resourceType("aws:ec2:spot-instance")
                                .resourceTags(Map.of("workload", "nothing-has-this"))
                                .selectionMode("ALL")
                                .build()))
                .build();
        String exp = startExperiment(
                c.fis.createExperimentTemplate(req).experimentTemplate().id());
        awaitStatus(exp, ExperimentStatus.FAILED);
        assertThat(get(exp).state().reason()).contains("empty set for target 'spot'");
    }

    @Test
    void templateValidationNamesTheField() {
        start(LabOptions.builder().pace(60));
        Map<String, UnaryOperator<CreateExperimentTemplateRequest.Builder>> cases = new java.util.LinkedHashMap<>();
        cases.put("'description'", b -> b.description(null));
        cases.put(
                "at 'description' failed to satisfy constraint: Member must have length less than or equal to 512",
                b -> b.description("x".repeat(513)));
        cases.put("'stopConditions'", b -> b.stopConditions((List<CreateExperimentTemplateStopConditionInput>) null));
        cases.put("Invalid stop condition source 'sns'", b -> b.stopConditions(s -> s.source("sns")));
        cases.put("'actions'", b -> b.actions(null));
        cases.put("'roleArn'", b -> b.roleArn(null));
        cases.put(
                "roleArn 'arn:aws:iam::123456789012:user/bob' is not an IAM role ARN",
                b -> b.roleArn("arn:aws:iam::123456789012:user/bob"));
        cases.put(
                "cannot be assumed by fis.amazonaws.com: no such role exists",
                b -> b.roleArn("arn:aws:iam::123456789012:role/missing"));
        cases.put(
                "cannot be assumed by fis.amazonaws.com: it belongs to account 999999999999",
                b -> b.roleArn("arn:aws:iam::999999999999:role/spotdrill-fis"));
        cases.put(
                "actionId 'aws:ec2:stop-instances' is not a supported action",
                b -> b.actions(Map.of("a", action("aws:ec2:stop-instances", "PT2M", "spot"))));
        cases.put(
                "durationBeforeInterruption 'PT1M' is out of range; it must be from PT2M to PT15M",
                b -> b.actions(Map.of("a", action(FisApi.SPOT_ACTION, "PT1M", "spot"))));
        cases.put(
                "durationBeforeInterruption 'PT16M' is out of range",
                b -> b.actions(Map.of("a", action(FisApi.SPOT_ACTION, "PT16M", "spot"))));
        cases.put(
                "durationBeforeInterruption '2 minutes' is not an ISO-8601 duration",
                b -> b.actions(Map.of("a", action(FisApi.SPOT_ACTION, "2 minutes", "spot"))));
        cases.put(
                "refers to target 'nope', which is not defined",
                b -> b.actions(Map.of("a", action(FisApi.SPOT_ACTION, "PT2M", "nope"))));
        cases.put(
                "has resourceType 'aws:ec2:instance'",
                b -> b.targets(Map.of("spot", target(t -> t.resourceType("aws:ec2:instance")))));
        cases.put("'targets.spot.resourceType'", b -> b.targets(Map.of("spot", target(t -> t.resourceType(null)))));
        cases.put(
                "resourceArns and resourceTags cannot be used together",
                b -> b.targets(Map.of("spot", target(t -> t.resourceTags(Map.of("a", "b"))))));
        cases.put(
                "must have either resourceArns or resourceTags",
                b -> b.targets(Map.of("spot", target(t -> t.resourceArns((List<String>) null)))));
        cases.put(
                "has 6 resourceArns; a target can have at most 5",
                b -> b.targets(Map.of(
                        "spot",
                        target(t -> t.resourceArns(java.util.stream.IntStream.range(0, 6)
                                .mapToObj(i -> "arn:aws:ec2:us-east-1:123456789012:instance/i-0c0ffee0000000a0" + i)
                                .toList())))));
        cases.put(
                "is not an EC2 instance ARN",
                b -> b.targets(Map.of("spot", target(t -> t.resourceArns("i-0c0ffee0000000a01")))));
        cases.put("selectionMode 'SOME'", b -> b.targets(Map.of("spot", target(t -> t.selectionMode("SOME")))));
        cases.put(
                "selectionMode 'PERCENT(150)'",
                b -> b.targets(Map.of("spot", target(t -> t.selectionMode("PERCENT(150)")))));
        cases.put("'targets.spot.selectionMode'", b -> b.targets(Map.of("spot", target(t -> t.selectionMode(null)))));
        cases.put(
                "tags has 51 tags; at most 50",
                b -> b.tags(java.util.stream.IntStream.range(0, 51)
                        .boxed()
                        .collect(java.util.stream.Collectors.toMap(i -> "k" + i, i -> "v"))));
        for (Map.Entry<String, UnaryOperator<CreateExperimentTemplateRequest.Builder>> e : cases.entrySet()) {
            CreateExperimentTemplateRequest req =
                    e.getValue().apply(LabClients.spotTemplate("PT2M", A01)).build();
            assertThatThrownBy(() -> c.fis.createExperimentTemplate(req))
                    .as(e.getKey())
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining(e.getKey());
        }
        assertThat(c.fis.listExperimentTemplates(r -> {}).experimentTemplates()).isEmpty();
        assertThat(lab.callLog().calls("fis", "CreateExperimentTemplate"))
                .hasSize(cases.size())
                .allSatisfy(call -> assertThat(call.errorCode()).isEqualTo("ValidationException"));
    }

    private static CreateExperimentTemplateActionInput action(String actionId, String lead, String target) {
        return CreateExperimentTemplateActionInput.builder()
                .actionId(actionId)
                .parameters(Map.of("durationBeforeInterruption", lead))
                .targets(Map.of("SpotInstances", target))
                .build();
    }

    private static CreateExperimentTemplateTargetInput target(
            UnaryOperator<CreateExperimentTemplateTargetInput.Builder> change) {
        return change.apply(CreateExperimentTemplateTargetInput.builder()
                        .resourceType("aws:ec2:spot-instance")
                        .resourceArns("arn:aws:ec2:us-east-1:123456789012:instance/" + A01)
                        .selectionMode("ALL"))
                .build();
    }

    @Test
    void unknownIdsAnswer404() {
        start(LabOptions.builder().pace(60));
        assertThatThrownBy(() -> c.fis.getExperimentTemplate(r -> r.id("EXTdoesnotexist")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Experiment template EXTdoesnotexist not found");
        assertThatThrownBy(() -> c.fis.deleteExperimentTemplate(r -> r.id("EXTdoesnotexist")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> c.fis.getExperiment(r -> r.id("EXPdoesnotexist")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Experiment EXPdoesnotexist not found");
        assertThatThrownBy(() -> c.fis.stopExperiment(r -> r.id("EXPdoesnotexist")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> c.fis.startExperiment(r -> r.experimentTemplateId("EXTdoesnotexist")))
                .isInstanceOf(ResourceNotFoundException.class);
        String t = template("PT2M", A01);
        assertThat(c.fis.deleteExperimentTemplate(r -> r.id(t))
                        .experimentTemplate()
                        .id())
                .isEqualTo(t);
        assertThatThrownBy(() -> c.fis.getExperimentTemplate(r -> r.id(t)))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void sameClientTokenAndBodyReturnTheSameTemplateButADifferentBodyConflicts() {
        start(LabOptions.builder().pace(60));
        CreateExperimentTemplateRequest req =
                LabClients.spotTemplate("PT2M", A01).clientToken("token-1").build();
        String first = c.fis.createExperimentTemplate(req).experimentTemplate().id();
        String again = c.fis.createExperimentTemplate(req).experimentTemplate().id();
        assertThat(again).isEqualTo(first);
        assertThat(c.fis.listExperimentTemplates(r -> {}).experimentTemplates()).hasSize(1);
        assertThatThrownBy(() -> c.fis.createExperimentTemplate(
                        req.toBuilder().description("other").build()))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("token-1");
        String other = c.fis.createExperimentTemplate(
                        req.toBuilder().clientToken("token-2").build())
                .experimentTemplate()
                .id();
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void templateAndExperimentKeepTheirTags() {
        start(LabOptions.builder().pace(60));
        String t = template("PT2M", A01);
        assertThat(c.fis.getExperimentTemplate(r -> r.id(t))
                        .experimentTemplate()
                        .tags())
                .containsEntry("spotdrill", "test");
        String exp = c.fis.startExperiment(r -> r.experimentTemplateId(t).tags(Map.of("drill", "d1")))
                .experiment()
                .id();
        assertThat(get(exp).tags()).containsEntry("drill", "d1");
        String arn = get(exp).arn();
        c.fis.tagResource(r -> r.resourceArn(arn).tags(Map.of("extra", "yes")));
        assertThat(c.fis.listTagsForResource(r -> r.resourceArn(arn)).tags())
                .containsEntry("drill", "d1")
                .containsEntry("extra", "yes");
        assertThat(c.fis.listExperiments(r -> r.experimentTemplateId(t)).experiments())
                .singleElement()
                .satisfies(s -> assertThat(s.id()).isEqualTo(exp));
        assertThat(c.fis.listExperiments(r -> r.experimentTemplateId("EXTother"))
                        .experiments())
                .isEmpty();
        c.fis.stopExperiment(r -> r.id(exp));
    }

    @Test
    void defaultQuotaOfFiveActiveExperimentsAnswers402() {
        start(LabOptions.builder().pace(60));
        String t = template("PT15M", A01);
        List<String> started = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            started.add(startExperiment(t));
        }
        assertThatThrownBy(() -> startExperiment(t))
                .isInstanceOf(ServiceQuotaExceededException.class)
                .hasMessageContaining("maximum number of active experiments (5)");
        started.forEach(id -> c.fis.stopExperiment(r -> r.id(id)));
    }

    @Test
    void quotaFaultLimitsActiveExperimentsUntilOneEnds() {
        start(LabOptions.builder().pace(60).faults("fis.quota=1"));
        String t = template("PT15M", A01);
        String first = startExperiment(t);
        assertThatThrownBy(() -> startExperiment(t))
                .isInstanceOf(ServiceQuotaExceededException.class)
                .hasMessageContaining("(1)");
        c.fis.stopExperiment(r -> r.id(first));
        awaitStatus(first, ExperimentStatus.STOPPED);
        String second = startExperiment(t);
        assertThat(second).isNotEqualTo(first);
        assertThat(lab.activeExperiments()).isEqualTo(1);
    }

    @Test
    void throttlingIsAbsorbedBySdkRetriesUpToItsLimit() {
        start(LabOptions.builder().pace(60).faults("fis.throttle=2"));
        assertThat(c.fis.listExperimentTemplates(r -> {}).experimentTemplates()).isEmpty();
        assertThat(lab.callLog().calls("fis", "ListExperimentTemplates"))
                .extracting(ApiCall::status)
                .containsExactly(429, 429, 200);
        assertThat(lab.faults().active("fis.throttle")).isFalse();

        lab.faults().set("fis.throttle=20");
        assertThatThrownBy(() -> c.fis.listExperimentTemplates(r -> {}))
                .isInstanceOf(FisException.class)
                .satisfies(e -> assertThat(((FisException) e).statusCode()).isEqualTo(429))
                .hasMessageContaining("Rate exceeded");
    }

    @Test
    void newRoleIsRefusedUntilIamHasPropagatedIt() {
        start(LabOptions.builder().pace(2));
        String arn = c.iam.createRole(r -> r.roleName("fresh-fis").assumeRolePolicyDocument(IamApi.FIS_TRUST))
                .role()
                .arn();
        CreateExperimentTemplateRequest req =
                LabClients.spotTemplate("PT2M", A01).roleArn(arn).build();
        assertThatThrownBy(() -> c.fis.createExperimentTemplate(req))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("cannot be assumed")
                .hasMessageContaining("created moments ago");
        String id = await("role propagated")
                .atMost(WAIT)
                .ignoreExceptionsMatching(e -> e instanceof ValidationException)
                .until(
                        () -> c.fis.createExperimentTemplate(req)
                                .experimentTemplate()
                                .id(),
                        x -> true);
        assertThat(id).startsWith("EXT");
    }

    @Test
    void propagationRefusalsAreCountedPerNewRole() {
        start(LabOptions.builder().pace(600).faults("iam.propagation-refusals=2"));
        String arn = c.iam.createRole(r -> r.roleName("counted-fis").assumeRolePolicyDocument(IamApi.FIS_TRUST))
                .role()
                .arn();
        Instant created = lab.clock().now();
        await("role older than 5 world seconds")
                .atMost(WAIT)
                .until(() -> lab.clock().now().isAfter(created.plusSeconds(6)));
        CreateExperimentTemplateRequest req =
                LabClients.spotTemplate("PT2M", A01).roleArn(arn).build();
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> c.fis.createExperimentTemplate(req))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("IAM has not propagated it yet");
        }
        assertThat(c.fis.createExperimentTemplate(req).experimentTemplate().id())
                .startsWith("EXT");
        // the scenario's own role was propagated long ago
        assertThat(c.fis.createExperimentTemplate(
                                LabClients.spotTemplate("PT2M", A01).build())
                        .experimentTemplate()
                        .id())
                .startsWith("EXT");
    }

    @Test
    void roleThatDoesNotTrustFisIsRefused() {
        start(LabOptions.builder().pace(600));
        String arn = c.iam.createRole(r -> r.roleName("ec2-only")
                        .assumeRolePolicyDocument(IamApi.FIS_TRUST.replace("fis.amazonaws.com", "ec2.amazonaws.com")))
                .role()
                .arn();
        Instant created = lab.clock().now();
        await("role older than 5 world seconds")
                .atMost(WAIT)
                .until(() -> lab.clock().now().isAfter(created.plusSeconds(6)));
        assertThatThrownBy(() -> c.fis.createExperimentTemplate(
                        LabClients.spotTemplate("PT2M", A01).roleArn(arn).build()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("trust policy does not allow fis.amazonaws.com");
    }
}
