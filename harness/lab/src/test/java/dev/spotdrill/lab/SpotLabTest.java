package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.fis.model.ExperimentStatus;

@org.junit.jupiter.api.parallel.Isolated("checks the JVM's live threads")
class SpotLabTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static List<Thread> labThreads(String labId) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .filter(t -> t.getName().contains(labId))
                .toList();
    }

    @Test
    void worldCarriesEndpointsCredentialsClockAndFacts() {
        try (SpotLab lab = SpotLab.start()) {
            World w = lab.world();
            assertThat(w.name()).isEqualTo("lab");
            assertThat(w.region()).isEqualTo("us-east-1");
            assertThat(w.clock().pace()).isEqualTo(60);
            for (AwsService s : List.of(
                    AwsService.FIS,
                    AwsService.EC2,
                    AwsService.STS,
                    AwsService.IAM,
                    AwsService.EVENTBRIDGE,
                    AwsService.SQS)) {
                assertThat(w.endpoint(s))
                        .hasValueSatisfying(u -> assertThat(u.getHost()).isEqualTo("127.0.0.1"));
            }
            assertThat(w.credentials().orElseThrow().accessKeyId()).matches("AKIA[A-Z2-7]{16}");
            assertThat(w.credentials().orElseThrow().toString())
                    .doesNotContain(
                            w.credentials().orElseThrow().secretAccessKey().reveal());
            assertThat(w.facts())
                    .containsEntry("pace", "60.0")
                    .containsEntry("scenario", "shop")
                    .containsEntry("account", "123456789012");
            assertThat(w.imdsEndpoint("i-0c0ffee0000000a01").getHost()).isEqualTo("127.0.0.1");
            assertThat(lab.clock().now()).isAfter(Instant.now().minusSeconds(5));
            assertThat(lab.startupMillis()).isPositive();
            assertThat(lab.instances()).hasSize(9);
            assertThat(lab.toString())
                    .doesNotContain(
                            w.credentials().orElseThrow().secretAccessKey().reveal());
        }
    }

    @Test
    void closeStopsEveryThreadAndServer() {
        SpotLab lab = SpotLab.start();
        String id = lab.id();
        try (LabClients c = new LabClients(lab.world())) {
            c.sts.getCallerIdentity();
            c.imds("i-0c0ffee0000000a01").get("/latest/meta-data/instance-id");
            assertThat(labThreads(id)).isNotEmpty().allSatisfy(t -> assertThat(t.isDaemon())
                    .isTrue());
            assertThat(SpotLab.attached(id)).containsSame(lab);
            lab.close();
            lab.close();
            await("lab threads gone").atMost(WAIT).until(() -> labThreads(id).isEmpty());
            assertThat(SpotLab.attached(id)).isEmpty();
            assertThatThrownBy(c.sts::getCallerIdentity)
                    .isInstanceOf(software.amazon.awssdk.core.exception.SdkClientException.class);
        }
    }

    @Test
    void badFaultsRefuseToStart() {
        assertThatThrownBy(() ->
                        SpotLab.start(LabOptions.builder().faults("fis.explode").build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.lab.faults=\"fis.explode\"");
        int before = SpotLab.runningIds().size();
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario("shop")
                        .faults("terminationHandler.taint-effect=Bogus")
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("spotdrill.lab.faults=\"terminationHandler.taint-effect=Bogus\": fault"
                        + " terminationHandler.taint-effect is \"Bogus\", not one of NoSchedule, PreferNoSchedule,"
                        + " NoExecute");
        assertThat(SpotLab.runningIds()).hasSize(before);
        assertThatThrownBy(() -> LabOptions.builder().pace(0).build())
                .hasMessageContaining("pace must be a positive number, was 0.0");
    }

    @Test
    void noTerminationFaultKeepsTheInstanceRunningWhileTheExperimentCompletes() {
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().faults("ec2.no-termination").build());
                LabClients c = new LabClients(lab.world())) {
            String t = c.fis.createExperimentTemplate(LabClients.spotTemplate("PT2M", "i-0c0ffee0000000a02")
                            .build())
                    .experimentTemplate()
                    .id();
            String exp = c.fis.startExperiment(r -> r.experimentTemplateId(t))
                    .experiment()
                    .id();
            await().atMost(WAIT)
                    .until(() -> c.fis.getExperiment(r -> r.id(exp))
                                    .experiment()
                                    .state()
                                    .status()
                            == ExperimentStatus.COMPLETED);
            Instant done = lab.clock().now();
            await().atMost(WAIT).until(() -> lab.clock().now().isAfter(done.plusSeconds(30)));
            assertThat(lab.instance("i-0c0ffee0000000a02").orElseThrow().state())
                    .isEqualTo("running");
        }
    }

    @Test
    void instanceListenersSeeTheLifecycleAndTheReplacement() {
        try (SpotLab lab = SpotLab.start();
                LabClients c = new LabClients(lab.world())) {
            List<String> seen = new CopyOnWriteArrayList<>();
            lab.addInstanceListener(i -> seen.add(i.id() + ":" + i.state()));
            String t = c.fis.createExperimentTemplate(LabClients.spotTemplate("PT2M", "i-0c0ffee0000000a03")
                            .build())
                    .experimentTemplate()
                    .id();
            c.fis.startExperiment(r -> r.experimentTemplateId(t));
            await().atMost(WAIT).until(() -> seen.size() >= 3);
            assertThat(seen.subList(0, 2))
                    .containsExactly("i-0c0ffee0000000a03:shutting-down", "i-0c0ffee0000000a03:terminated");
            assertThat(seen.get(2)).endsWith(":running").doesNotStartWith("i-0c0ffee0000000a03");
        }
    }

    @Test
    void callLogRecordsCallersAndYieldsLeastPrivilegePolicy() throws Exception {
        try (SpotLab lab = SpotLab.start();
                LabClients c = new LabClients(lab.world())) {
            Instant begin = lab.clock().now();
            c.sts.getCallerIdentity();
            c.ec2.describeInstances();
            String t = c.fis.createExperimentTemplate(LabClients.spotTemplate("PT2M", "i-0c0ffee0000000a04")
                            .build())
                    .experimentTemplate()
                    .id();
            assertThatThrownBy(() -> c.fis.createExperimentTemplate(
                    LabClients.spotTemplate("PT1M", "i-0c0ffee0000000a04").build()));
            String exp = c.fis.startExperiment(r -> r.experimentTemplateId(t))
                    .experiment()
                    .id();
            c.fis.getExperiment(r -> r.id(exp));
            c.fis.stopExperiment(r -> r.id(exp));
            c.fis.deleteExperimentTemplate(r -> r.id(t));
            c.imds("i-0c0ffee0000000a05").get("/latest/meta-data/instance-id");

            CallLog log = lab.callLog();
            String key = lab.world().credentials().orElseThrow().accessKeyId();
            String secret =
                    lab.world().credentials().orElseThrow().secretAccessKey().reveal();
            assertThat(log.calls("fis", "CreateExperimentTemplate")).hasSize(2);
            assertThat(log.count("fis", "StartExperiment")).isEqualTo(1);
            assertThat(log.calls("fis", "StartExperiment").get(0).resource()).isEqualTo(exp);
            assertThat(log.calls("fis", "GetExperiment").get(0).caller())
                    .isEqualTo("arn:aws:iam::123456789012:user/spotdrill-lab");
            // before begin: only the lab's own setup of the shop's Fargate orchestrator rule and queue, as the
            // responder
            List<ApiCall> setup = log.calls().stream()
                    .filter(call -> call.worldTime().isBefore(begin))
                    .toList();
            assertThat(setup).allSatisfy(call -> assertThat(call.caller()).isEqualTo(lab.responderPrincipalArn()));
            assertThat(setup).extracting(ApiCall::operation).contains("CreateQueue", "PutRule", "PutTargets");
            assertThat(log.since(begin)).hasSize(log.calls().size() - setup.size());
            assertThat(log.mutatingCalls())
                    .extracting(ApiCall::operation)
                    .containsExactly(
                            "CreateExperimentTemplate",
                            "CreateExperimentTemplate",
                            "StartExperiment",
                            "StopExperiment",
                            "DeleteExperimentTemplate");
            assertThat(log.toJson())
                    .contains("\"operation\" : \"StartExperiment\"")
                    .doesNotContain(key, secret);

            JsonNode policy = new ObjectMapper().readTree(log.leastPrivilegePolicy());
            assertThat(policy.get("Version").asText()).isEqualTo("2012-10-17");
            assertThat(policy.get("Statement").get(0).get("Action"))
                    .extracting(JsonNode::asText)
                    .containsExactly(
                            "ec2:DescribeInstances",
                            "fis:CreateExperimentTemplate",
                            "fis:DeleteExperimentTemplate",
                            "fis:GetExperiment",
                            "fis:StartExperiment",
                            "fis:StopExperiment",
                            "iam:PassRole");
        }
    }

    @Test
    void providerAttachesToARunningLabWithoutClosingIt() {
        WorldProvider provider = ServiceLoader.load(WorldProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("lab"))
                .findFirst()
                .orElseThrow();
        try (SpotLab lab = SpotLab.start()) {
            var handle = provider.open(SpotDrillConfig.of(Map.of(SpotDrillConfig.LAB_ATTACH, lab.id())));
            assertThat(handle.world()).isSameAs(lab.world());
            handle.close();
            assertThat(SpotLab.attached(lab.id())).isPresent();
        }
        assertThatThrownBy(() -> provider.open(SpotDrillConfig.of(Map.of(SpotDrillConfig.LAB_ATTACH, "lab-gone"))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.lab.attach=\"lab-gone\": no lab with this id runs in this JVM");
    }

    @Test
    void providerStartsALabFromConfigurationAndClosesIt() {
        var handle = new LabWorldProvider()
                .open(SpotDrillConfig.of(Map.of(
                        SpotDrillConfig.LAB_SCENARIO, "fleet",
                        SpotDrillConfig.LAB_PACE, "120",
                        SpotDrillConfig.LAB_FAULTS, "imds.no-notice, fis.quota=2")));
        String id = handle.world().facts().get("lab");
        SpotLab lab = SpotLab.attached(id).orElseThrow();
        assertThat(lab.scenario().name()).isEqualTo("fleet");
        assertThat(lab.clock().pace()).isEqualTo(120);
        assertThat(lab.faults().snapshot()).containsOnlyKeys("imds.no-notice", "fis.quota");
        handle.close();
        assertThat(SpotLab.attached(id)).isEmpty();
    }

    @Test
    void providerRefusesBadConfigurationBeforeStarting() {
        LabWorldProvider provider = new LabWorldProvider();
        int before = SpotLab.runningIds().size();
        assertThatThrownBy(() -> provider.open(SpotDrillConfig.of(Map.of(SpotDrillConfig.LAB_PACE, "fast"))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.lab.pace=\"fast\": must be a positive number");
        assertThatThrownBy(() -> provider.open(SpotDrillConfig.of(Map.of(SpotDrillConfig.LAB_SCENARIO, "nowhere"))))
                .hasMessageContaining("spotdrill.lab.scenario=\"nowhere\": scenario \"nowhere\" not found");
        assertThatThrownBy(() -> provider.open(SpotDrillConfig.of(Map.of(SpotDrillConfig.LAB_FAULTS, "imds.nope"))))
                .hasMessageContaining("spotdrill.lab.faults=\"imds.nope\": unknown fault");
        assertThat(SpotLab.runningIds()).hasSize(before);
    }

    /** Prints the figures the brief asks for; asserts only that they were measured. */
    @Test
    void measureStartupAndOneExperimentLifecycle() {
        long startup;
        long lifecycle;
        long first;
        long firstSqs;
        long nextSqs;
        try (SpotLab warm = SpotLab.start()) {
            first = warm.startupMillis();
            await().atMost(WAIT).until(() -> warm.sqsStartupMillis() >= 0);
            firstSqs = warm.sqsStartupMillis();
        }
        try (SpotLab lab = SpotLab.start();
                LabClients c = new LabClients(lab.world())) {
            startup = lab.startupMillis();
            await().atMost(WAIT).until(() -> lab.sqsStartupMillis() >= 0);
            nextSqs = lab.sqsStartupMillis();
            long t0 = System.nanoTime();
            String t = c.fis.createExperimentTemplate(LabClients.spotTemplate("PT2M", "i-0c0ffee0000000a06")
                            .build())
                    .experimentTemplate()
                    .id();
            String exp = c.fis.startExperiment(r -> r.experimentTemplateId(t))
                    .experiment()
                    .id();
            await().atMost(WAIT)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> c.fis.getExperiment(r -> r.id(exp))
                                    .experiment()
                                    .state()
                                    .status()
                            == ExperimentStatus.COMPLETED);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> lab.instance("i-0c0ffee0000000a06")
                    .orElseThrow()
                    .state()
                    .equals("terminated"));
            lifecycle = (System.nanoTime() - t0) / 1_000_000;
        }
        System.out.println("MEASURE lab startup (shop) first-in-test ms=" + first + ", next ms=" + startup
                + "; PT2M experiment at pace 60, create..terminated ms=" + lifecycle
                + "; SQS (ElasticMQ, in the background) first ms=" + firstSqs + ", next ms=" + nextSqs);
        assertThat(lifecycle).isPositive();
    }
}
