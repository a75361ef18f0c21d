package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.lab.kube.ClusterSpec;
import dev.spotdrill.lab.kube.TerminationHandlerSpec;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The reference termination handler in queue mode: the lab sets up its EventBridge rules and SQS queue as NTH's
 * queue processor is set up, and the handler drains a node from what comes off its queue, with IMDS silent. A
 * scenario's {@code eventRules:} get their rule and queue too.
 */
class QueueModeTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String NODE = "ip-10-0-1-11.ec2.internal";
    private static final String INSTANCE = "i-0c0ffee0000000a01";
    private static final String IMDS_HANDLER =
            "terminationHandler: { enabled: true, rebalanceMonitoring: false, taintEffect: NoSchedule, pollInterval: PT2S }";

    static String shopYaml() {
        try (InputStream in = QueueModeTest.class.getResourceAsStream("/dev/spotdrill/lab/scenarios/shop.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The shop scenario with its handler in queue mode and one more consumer's rule (besides the shop's own
     * fargate-orchestrator rule, whose queue the shop's Fargate orchestrator reads).
     */
    static Scenario queueShop() {
        String shop = shopYaml();
        assertThat(shop).contains(IMDS_HANDLER);
        return Scenario.parse("extends: shop\n"
                + "responders:\n  " + IMDS_HANDLER.replace("enabled: true,", "enabled: true, mode: queue,") + "\n"
                + "eventRules:\n"
                + "  - name: fargate-orchestrator\n"
                + "    pattern: { source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning] }\n"
                + "  - name: another-consumer\n"
                + "    pattern: { source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning] }\n");
    }

    private static String interrupt(LabClients c, String instanceId) {
        String template = c.fis.createExperimentTemplate(
                        LabClients.spotTemplate("PT2M", instanceId).build())
                .experimentTemplate()
                .id();
        return c.fis.startExperiment(r -> r.experimentTemplateId(template))
                .experiment()
                .id();
    }

    private static List<Pod> evictablePodsOn(KubernetesClient k, String node) {
        return k.pods().inAnyNamespace().list().getItems().stream()
                .filter(p -> node.equals(p.getSpec().getNodeName()))
                .filter(p -> p.getMetadata().getOwnerReferences().stream()
                        .noneMatch(o -> o.getKind().equals("DaemonSet")))
                .toList();
    }

    private static boolean handlerEvent(KubernetesClient k, String reason) {
        return k.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals(reason)
                        && e.getInvolvedObject().getName().equals(NODE));
    }

    @Test
    void theShopScenarioKeepsImdsMode() {
        assertThat(ClusterSpec.fromYaml(Scenario.shop().raw())
                        .terminationHandler()
                        .mode())
                .isEqualTo(TerminationHandlerSpec.Mode.IMDS);
        assertThat(ClusterSpec.fromYaml(queueShop().raw()).terminationHandler().mode())
                .isEqualTo(TerminationHandlerSpec.Mode.QUEUE);
    }

    @Test
    void inQueueModeTheHandlerDrainsANodeWhileImdsIsSilent() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                        .scenario(queueShop())
                        .faults("imds.no-notice")
                        .build());
                LabClients c = new LabClients(lab.world())) {
            KubernetesClient k = lab.cluster().orElseThrow().client();
            String handlerQueue = lab.responderQueues().get("aws-node-termination-handler");
            assertThat(handlerQueue).isNotNull();
            assertThat(evictablePodsOn(k, NODE)).isNotEmpty();

            interrupt(c, INSTANCE);

            await("node " + NODE + " tainted, cordoned and drained from the queue")
                    .atMost(WAIT)
                    .untilAsserted(() -> {
                        Node n = k.nodes().withName(NODE).get();
                        assertThat(n).isNotNull();
                        assertThat(n.getSpec().getTaints()).anySatisfy(t -> {
                            assertThat(t.getKey()).isEqualTo("aws-node-termination-handler/spot-itn");
                            assertThat(t.getEffect()).isEqualTo("NoSchedule");
                            assertThat(t.getValue()).startsWith("spot-itn-");
                        });
                        assertThat(n.getSpec().getUnschedulable()).isTrue();
                        assertThat(evictablePodsOn(k, NODE)).isEmpty();
                    });
            assertThat(handlerEvent(k, "SpotInterruption")).isTrue();
            // IMDS stayed silent, and the handler never asked it: it learned from its queue
            assertThat(lab.callLog().calls())
                    .filteredOn(call -> call.service().equals("imds"))
                    .noneMatch(call -> call.operation().contains("instance-action") && call.status() == 200);
            assertThat(lab.callLog().calls("sqs", "ReceiveMessage"))
                    .filteredOn(call -> call.resource().equals("aws-node-termination-handler"))
                    .isNotEmpty()
                    .allSatisfy(call -> assertThat(call.caller()).isEqualTo(lab.responderPrincipalArn()));
            await("the handler deleted what it handled")
                    .atMost(WAIT)
                    .until(() -> lab.callLog().calls("sqs", "DeleteMessageBatch").stream()
                            .anyMatch(call -> call.resource().equals("aws-node-termination-handler")));
            // the responders' own calls are not the harness's: they stay out of the least-privilege policy
            assertThat(lab.callLog().leastPrivilegePolicy())
                    .doesNotContain("sqs:ReceiveMessage")
                    .doesNotContain("events:PutRule");
        }
    }

    @Test
    void aDownHandlerInQueueModeDoesNothing() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                        .scenario(queueShop())
                        .faults("imds.no-notice", "terminationHandler.down")
                        .build());
                LabClients c = new LabClients(lab.world())) {
            KubernetesClient k = lab.cluster().orElseThrow().client();
            interrupt(c, INSTANCE);
            await().atMost(WAIT)
                    .until(() -> lab.instance(INSTANCE).orElseThrow().state().equals("terminated"));
            assertThat(handlerEvent(k, "SpotInterruption")).isFalse();
            assertThat(handlerEvent(k, "PreDrain")).isFalse();
            // its queue holds the events it did not take
            await().atMost(WAIT)
                    .until(() -> Integer.parseInt(c.sqs.getQueueAttributes(r -> r.queueUrl(
                                                    lab.responderQueues().get("aws-node-termination-handler"))
                                            .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                                    .attributesAsStrings()
                                    .get("ApproximateNumberOfMessages"))
                            >= 3);
        }
    }

    @Test
    void aScenarioRuleGetsItsQueueAndItsEvents() throws Exception {
        try (SpotLab lab =
                        SpotLab.start(LabOptions.builder().scenario(queueShop()).build());
                LabClients c = new LabClients(lab.world())) {
            String url = lab.responderQueues().get("another-consumer");
            assertThat(url).endsWith("/123456789012/another-consumer");
            assertThat(c.events.describeRule(r -> r.name("another-consumer")).eventPattern())
                    .isEqualTo(
                            "{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Spot Instance Interruption Warning\"]}");
            assertThat(c.sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.ALL))
                            .attributesAsStrings())
                    .containsEntry("MessageRetentionPeriod", "300")
                    .containsEntry("SqsManagedSseEnabled", "true");
            interrupt(c, "i-0c0ffee0000000a04");
            var got = new java.util.ArrayList<String>();
            await().atMost(WAIT).until(() -> {
                c.sqs.receiveMessage(r -> r.queueUrl(url).waitTimeSeconds(1))
                        .messages()
                        .forEach(m -> got.add(m.body()));
                return !got.isEmpty();
            });
            assertThat(got).singleElement().satisfies(b -> assertThat(b)
                    .contains("\"detail-type\":\"EC2 Spot Instance Interruption Warning\"")
                    .contains("i-0c0ffee0000000a04"));
        }
    }

    @Test
    void badEventRulesAndModesAreRefusedWithTheFix() {
        String shop = shopYaml();
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario(Scenario.parse(
                                shop + "eventRules:\n  - name: spotdrill-mine\n    pattern: {source: [x]}\n"))
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("scenario shop, eventRules[0].name 'spotdrill-mine' starts with spotdrill-, the prefix of"
                        + " the harness's own rules (which its leftovers sweep removes); use another name");
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario(Scenario.parse(shop + "eventRules:\n  - name: r1\n    pattern: {source: x}\n"))
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("scenario shop, eventRules[0].pattern is not a valid event pattern: \"source\""
                        + " must be an object or an array");
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario(Scenario.parse(shop + "eventRules:\n  - name: r1\n    patern: {source: [x]}\n"))
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("scenario shop, eventRules[0] has the unknown key 'patern'; use only name, queue and"
                        + " pattern");
        assertThatThrownBy(() -> ClusterSpec.fromYaml(Scenario.parse(shop.replace(
                                IMDS_HANDLER, IMDS_HANDLER.replace("enabled: true,", "enabled: true, mode: sqs,")))
                        .raw()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("responders.terminationHandler.mode 'sqs' is not a handler mode; use imds (the default: it"
                        + " polls IMDS) or queue (it consumes its EventBridge rules' SQS queue)");
    }
}
