package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.SpotDrillConfigurationException;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The shop scenario's reference Spot→Fargate orchestrator, driven by real FIS experiments: it reads the warning
 * from its own queue, moves cart to Fargate with its annotations, moves it back after the cooldown, and with
 * {@code recovery-fails} rolls back and backs off; with {@code ignore-warnings} it consumes the warning and does
 * nothing. The harness-side tests (extensions) check every fault through the annotations.
 */
class FargateOrchestratorTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Runs a cart pod in the shop (cart's first pod goes to the first cart node by name). */
    private static final String CART_INSTANCE = "i-0c0ffee0000000a04";

    /** Recovery after 5 minutes; 10 minutes (10 s of wall time) for a rollout, so a loaded machine does not time out. */
    private static final String QUICK_RECOVERY = """
            extends: shop
            name: shop-quick-recovery
            responders:
              fargateOrchestrator:
                recovery: { interval: 1m, cooldown: 5m, timeout: 10m, backoff_base: 2m, max_backoff: 8m }
            """;

    private static void interrupt(SpotLab lab, String instanceId) {
        try (LabClients c = new LabClients(lab.world())) {
            String template = c.fis.createExperimentTemplate(
                            LabClients.spotTemplate("PT2M", instanceId).build())
                    .experimentTemplate()
                    .id();
            c.fis.startExperiment(r -> r.experimentTemplateId(template));
        }
    }

    private static KubernetesClient kube(SpotLab lab) {
        return lab.cluster().orElseThrow().client();
    }

    private static Deployment cart(SpotLab lab) {
        return kube(lab)
                .apps()
                .deployments()
                .inNamespace("shop")
                .withName("cart")
                .get();
    }

    private static Map<String, String> annotations(SpotLab lab) {
        Map<String, String> a = cart(lab).getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    private static List<Pod> readyCartPods(SpotLab lab) {
        return kube(lab).pods().inNamespace("shop").withLabel("app", "cart").list().getItems().stream()
                .filter(p -> p.getStatus().getConditions().stream()
                        .anyMatch(c ->
                                c.getType().equals("Ready") && c.getStatus().equals("True")))
                .toList();
    }

    private static boolean onFargate(SpotLab lab, Pod p) {
        Node n = kube(lab).nodes().withName(p.getSpec().getNodeName()).get();
        return n != null && "fargate".equals(n.getMetadata().getLabels().get("eks.amazonaws.com/compute-type"));
    }

    @Test
    void aWarningForACartNodeMovesCartToFargateThenRecoveryMovesItBack() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario(Scenario.parse(QUICK_RECOVERY, "quick"))
                .build())) {
            Instant start = lab.clock().now();
            interrupt(lab, CART_INSTANCE);

            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(readyCartPods(lab)).hasSize(2).allMatch(p -> onFargate(lab, p));
                assertThat(cart(lab).getSpec().getTemplate().getSpec().getNodeSelector())
                        .containsEntry("compute-type", "fargate");
            });
            Map<String, String> migrated = annotations(lab);
            assertThat(migrated)
                    .containsEntry("spot-orchestrator/state", "fargate")
                    .containsEntry("spot-orchestrator/reason", "spot-interruption")
                    .containsKey("spot-orchestrator/migrated-at");
            // the warning comes at once with a PT2M lead time: the orchestrator acted on it, before the interruption
            Instant migratedAt = Instant.parse(migrated.get("spot-orchestrator/migrated-at"));
            assertThat(migratedAt)
                    .isAfterOrEqualTo(start.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                    .isBefore(lab.instance(CART_INSTANCE)
                            .orElseThrow()
                            .interruptionTime()
                            .orElseThrow());
            assertThat(cart(lab).getSpec().getTemplate().getMetadata().getLabels())
                    .containsEntry("compute-type", "fargate");

            // its calls are the responders': nothing of them counts as the harness's mutating calls
            assertThat(lab.callLog().calls("sqs", "DeleteMessageBatch"))
                    .isNotEmpty()
                    .allSatisfy(c -> assertThat(c.caller()).isEqualTo(lab.responderPrincipalArn()));
            assertThat(lab.callLog().mutatingCalls()).noneMatch(c -> c.service().equals("sqs"));

            // after the 5 min cooldown (checked every minute, world time) cart goes back to Spot
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(annotations(lab))
                        .containsEntry("spot-orchestrator/state", "spot")
                        .containsEntry("spot-orchestrator.io/recovery-reason", "successful-recovery")
                        .containsKey("spot-orchestrator.io/last-recovered-at")
                        .doesNotContainKey("spot-orchestrator/migrated-at")
                        .doesNotContainKey("spot-orchestrator.io/failed-recovery-attempts");
                assertThat(readyCartPods(lab)).hasSize(2).noneMatch(p -> onFargate(lab, p));
            });
            Instant recovered = Instant.parse(annotations(lab).get("spot-orchestrator.io/last-recovered-at"));
            assertThat(Duration.between(migratedAt, recovered)).isGreaterThanOrEqualTo(Duration.ofMinutes(5));
            // its log says so too (written just after its last update)
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                            lab.cluster().orElseThrow().fargateOrchestratorLog())
                    .anyMatch(l -> l.contains("migrated cart off node ip-10-0-1-14.ec2.internal: compute-type=fargate"))
                    .anyMatch(l -> l.contains("recovered cart to Spot")));
        }
    }

    @Test
    void aFailingRecoveryRollsBackToFargateAndBacksOff() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario(Scenario.parse(QUICK_RECOVERY, "quick"))
                .faults(List.of("fargateOrchestrator.recovery-fails"))
                .build())) {
            interrupt(lab, CART_INSTANCE);

            await().atMost(WAIT)
                    .until(() -> "1".equals(annotations(lab).get("spot-orchestrator.io/failed-recovery-attempts")));
            await().atMost(WAIT)
                    .untilAsserted(
                            () -> assertThat(readyCartPods(lab)).hasSize(2).allMatch(p -> onFargate(lab, p)));
            assertThat(annotations(lab))
                    .containsEntry("spot-orchestrator/state", "fargate")
                    .containsEntry("spot-orchestrator/reason", "rollback")
                    .containsEntry(
                            "spot-orchestrator.io/recovery-reason",
                            "health check failed (fault fargateOrchestrator.recovery-fails)");
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                            lab.cluster().orElseThrow().fargateOrchestratorLog())
                    .anyMatch(l -> l.contains("recovery attempt 1 failed") && l.endsWith("next attempt after PT2M")));
        }
    }

    @Test
    void withIgnoreWarningsTheWarningIsConsumedAndNothingMoves() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                        .faults(List.of("fargateOrchestrator.ignore-warnings"))
                        .build());
                LabClients c = new LabClients(lab.world())) {
            interrupt(lab, CART_INSTANCE);

            await().atMost(WAIT).until(() -> lab.cluster().orElseThrow().fargateOrchestratorLog().stream()
                    .anyMatch(l -> l.contains("warning for " + CART_INSTANCE + " received and ignored")));
            String queue = lab.responderQueues().get("fargate-orchestrator");
            assertThat(c.sqs.getQueueAttributes(r ->
                                    r.queueUrl(queue).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                            .attributesAsStrings())
                    .containsEntry("ApproximateNumberOfMessages", "0");
            assertThat(annotations(lab)).doesNotContainKey("spot-orchestrator/state");
            assertThat(cart(lab).getSpec().getTemplate().getSpec().getNodeSelector())
                    .containsEntry("compute-type", "spot");
        }
    }

    @Test
    void theOrchestratorsQueueMustBeOneOfTheScenariosRules() {
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario(Scenario.parse(
                                "extends: shop\nresponders: { fargateOrchestrator: { sqs_queue: elsewhere } }\n"))
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("scenario shop: responders.fargateOrchestrator.sqs_queue 'elsewhere' is not a queue of the"
                        + " scenario's eventRules [fargate-orchestrator]; add an eventRules entry with queue:"
                        + " elsewhere (pattern: the Spot interruption warning), or name one of those");
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario(
                                Scenario.parse(
                                        "extends: shop\nresponders: { fargateOrchestrator: { recovery: { cooldown: soon } } }\n"))
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("scenario shop: responders.fargateOrchestrator.recovery.cooldown 'soon' is not a duration;"
                        + " write it as the orchestrator does (120s, 45m, 4h, 1h30m) or in ISO-8601 (PT45M)");
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .faults(List.of("fargateOrchestrator.wrong-selector=not a label"))
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage(
                        "fault fargateOrchestrator.wrong-selector=not a label: not a Kubernetes label value; use"
                                + " at most 63 letters, digits, '-', '_' or '.', e.g. fargateOrchestrator.wrong-selector=fargte");
    }
}
