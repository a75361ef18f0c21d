package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.FargateObservations;
import dev.spotdrill.lab.EventDelivery;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.opentest4j.MultipleFailuresError;

/**
 * {@code @ExpectFargateMigration} against the shop's reference orchestrator: met on the healthy lab with cart never
 * below one Ready pod, and each orchestrator or Fargate fault caught with what was seen. Each test runs its own lab:
 * a migration changes cart, and the drill's node, for the rest of a lab's life.
 */
class FargateMigrationDrillTest {
    /** Runs a cart pod in the shop: cart's first pod goes to the first cart node by name. */
    static final String CART_NODE_INSTANCE = "i-0c0ffee0000000a04";

    static final String MIGRATION = "@ExpectFargateMigration(deployment=\"shop/cart\")";
    static final Map<String, Timeline> TIMELINES = new ConcurrentHashMap<>();

    /**
     * A lab of its own at pace 15, where a migration (65 s of Fargate startup and readiness, plus the reactions) must
     * beat INTERRUPTION, two minutes after NOTICE: on a loaded machine every wall second of reaction costs 15 s of
     * world time here (60 at pace 60), and about 50 s of world time is all the margin there is.
     */
    static SpotLab lab(String... faults) {
        return lab(15, faults);
    }

    /** A lab at another pace, for drills whose outcome does not hang on a margin (60). */
    static SpotLab lab(double pace, String... faults) {
        return SpotLab.start(
                LabOptions.builder().scenario("shop").pace(pace).faults(faults).build());
    }

    /** The messages of the drill's misses, one per missed expectation. */
    static List<String> misses(SpotLab lab, Class<?> fixture) {
        Throwable t = EngineRuns.failure(EngineRuns.run(lab, fixture), "drill").orElse(null);
        if (t == null) {
            return List.of();
        }
        if (t instanceof MultipleFailuresError m) {
            return m.getFailures().stream().map(Throwable::getMessage).toList();
        }
        return List.of(t.getMessage());
    }

    @SpotDrill
    static class Migrates {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectInterruptionWarning
        @ExpectFargateMigration(deployment = "shop/cart")
        @ExpectAvailability(
                deployment = "shop/cart",
                minReady = 1,
                within = "PT3M") // through the move and INTERRUPTION
        void drill(InterruptionRun run) {
            TIMELINES.put("migrates", run.timeline());
        }
    }

    @SpotDrill
    static class Migration {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectFargateMigration(deployment = "shop/cart")
        void drill() {}
    }

    @SpotDrill
    static class LateMigration {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectFargateMigration(deployment = "shop/cart")
        @ExpectAvailability(deployment = "shop/cart", minReady = 1, within = "PT8M") // keeps the drill open
        void drill(InterruptionRun run) {
            // the body outlives INTERRUPTION: wait until the late migration has rolled out
            run.await().until(() -> run.timeline()
                    .first(o -> o.kind().equals(FargateObservations.ROLLOUT_COMPLETE)
                            && o.at().isAfter(run.interruptionTime()))
                    .isPresent());
        }
    }

    @SpotDrill
    static class SlowFargate {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectFargateMigration(deployment = "shop/cart")
        @ExpectAvailability(deployment = "shop/cart", minReady = 2)
        void drill() {}
    }

    @SpotDrill
    static class BadInput {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectFargateMigration(deployment = "shop/nope")
        void unknownDeployment() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectFargateMigration(deployment = "shop/checkout")
        void noComputeLabel() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectFargateMigration(deployment = "shop/cart", fargateNodeLabel = "fargate")
        void badNodeLabel() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = CART_NODE_INSTANCE)
        @ExpectRecovery(deployment = "shop/cart", stateAnnotation = "spot orchestrator/state")
        void badAnnotationKey() {}
    }

    @Test
    void cartMovesToFargateBeforeTheInterruptionWithoutDroppingBelowOneReadyPod() {
        try (SpotLab lab = lab()) {
            EngineExecutionResults results = EngineRuns.run(lab, Migrates.class);

            assertThat(EngineRuns.failures(results)).isEmpty();
            EngineRuns.assertAllPassed(results, 1);
            Timeline t = TIMELINES.get("migrates");
            List<Observation> fargate = t.observations().stream()
                    .filter(o -> o.source().equals(FargateObservations.SOURCE))
                    .toList();
            assertThat(fargate)
                    .anySatisfy(o -> {
                        assertThat(o.kind()).isEqualTo(FargateObservations.ANNOTATIONS_CHANGED);
                        assertThat(o.detail())
                                .startsWith("shop/cart annotations: ")
                                .contains("spot-orchestrator/state=fargate")
                                .contains("spot-orchestrator/reason=spot-interruption")
                                .contains("spot-orchestrator/migrated-at=");
                    })
                    .anySatisfy(o -> {
                        assertThat(o.kind()).isEqualTo(FargateObservations.POD_PENDING);
                        assertThat(o.detail()).contains("Pending, not scheduled yet (scheduler fargate-scheduler)");
                    })
                    .anySatisfy(o -> {
                        assertThat(o.kind()).isEqualTo(FargateObservations.POD_READY);
                        assertThat(o.detail())
                                .matches("pod shop/cart-\\S+ Ready on node fargate-ip-10-0-\\d+-\\d+\\.ec2\\.internal"
                                        + " \\(eks\\.amazonaws\\.com/compute-type=fargate\\)");
                    })
                    .anySatisfy(o -> assertThat(o.kind()).isEqualTo(FargateObservations.ROLLOUT_COMPLETE));
            assertThat(t.render())
                    .contains("fargate ANNOTATIONS_CHANGED  shop/cart annotations: ")
                    .contains("fargate TEMPLATE_CHANGED  shop/cart pod template (generation 2): labels"
                            + " {compute-type=fargate}, nodeSelector {compute-type=fargate}")
                    .contains("fargate ROLLOUT_COMPLETE  shop/cart rollout complete: generation 2 (observed 2): 2"
                            + " desired, 2 updated, 2 available, 2 pods");
            // the orchestrator read the warning from its own queue while the harness read it from its own
            List<EventDelivery> warnings = lab.eventDeliveries().stream()
                    .filter(d -> d.detailType().equals("EC2 Spot Instance Interruption Warning") && d.delivered())
                    .toList();
            assertThat(warnings).extracting(EventDelivery::rule).contains("fargate-orchestrator");
            assertThat(warnings).extracting(EventDelivery::rule).anyMatch(r -> r.startsWith("spotdrill-sd-"));
            assertThat(lab.callLog().calls("sqs", "DeleteMessageBatch")).anySatisfy(c -> {
                assertThat(c.caller()).isEqualTo(lab.responderPrincipalArn());
                assertThat(c.resource()).contains("fargate-orchestrator");
            });
        }
    }

    @Test
    void anOrchestratorThatIsDownLeavesTheAnnotationsAndThePodsOnEc2() {
        try (SpotLab lab = lab(60, "fargateOrchestrator.down")) {
            List<String> misses = misses(lab, Migration.class);

            assertThat(misses).singleElement().satisfies(m -> assertThat(m)
                    .startsWith(MIGRATION + " missed for the drill\n  window: NOTICE..INTERRUPTION, from +")
                    .containsPattern("last seen: shop/cart at [+-]\\d")
                    .contains(": not migrated (the annotations, the pods' nodes); annotations"
                            + " spot-orchestrator/state=(unset), spot-orchestrator/reason=(unset),"
                            + " spot-orchestrator/migrated-at=(unset); rollout complete: generation 1 (observed 1)")
                    .containsPattern("pods on EC2 nodes: cart-\\S+ on ip-10-0-\\d+-\\d+\\.ec2\\.internal"));
            assertThat(lab.cluster().orElseThrow().fargateOrchestratorLog()).noneMatch(l -> l.contains("warning for"));
        }
    }

    @Test
    void anOrchestratorThatIgnoresWarningsLeavesTheAnnotationsAndThePodsOnEc2() {
        try (SpotLab lab = lab(60, "fargateOrchestrator.ignore-warnings")) {
            List<String> misses = misses(lab, Migration.class);

            assertThat(misses).singleElement().satisfies(m -> assertThat(m)
                    .startsWith(MIGRATION + " missed for the drill")
                    .contains("annotations spot-orchestrator/state=(unset), spot-orchestrator/reason=(unset),"
                            + " spot-orchestrator/migrated-at=(unset)")
                    .containsPattern("pods on EC2 nodes: cart-\\S+ on ip-10-0-"));
            assertThat(lab.cluster().orElseThrow().fargateOrchestratorLog())
                    .anyMatch(l -> l.contains("warning for " + CART_NODE_INSTANCE + " received and ignored"));
        }
    }

    @Test
    void aMigrationWithoutAnnotationsIsCaughtThoughThePodsAreOnFargate() {
        try (SpotLab lab = lab("fargateOrchestrator.no-annotations")) {
            List<String> misses = misses(lab, Migration.class);

            assertThat(misses).singleElement().satisfies(m -> assertThat(m)
                    .startsWith(MIGRATION + " missed for the drill")
                    .contains(": not migrated (the annotations); annotations spot-orchestrator/state=(unset),"
                            + " spot-orchestrator/reason=(unset), spot-orchestrator/migrated-at=(unset); rollout"
                            + " complete")
                    .containsPattern("pods on Fargate \\(eks.amazonaws.com/compute-type=fargate\\): cart-\\S+ on"
                            + " fargate-ip-\\S+ \\(Ready\\), cart-\\S+ on fargate-ip-\\S+ \\(Ready\\)")
                    .doesNotContain("pods on EC2 nodes"));
        }
    }

    @Test
    void aSelectorNoProfileMatchesLeavesThePodsPendingWithTheirReason() {
        try (SpotLab lab = lab(60, "fargateOrchestrator.wrong-selector=fargte")) {
            List<String> misses = misses(lab, Migration.class);

            assertThat(misses).singleElement().satisfies(m -> assertThat(m)
                    .startsWith(MIGRATION + " missed for the drill")
                    .contains(": not migrated (the rollout, the pods' nodes); annotations"
                            + " spot-orchestrator/state=fargate, spot-orchestrator/reason=spot-interruption,"
                            + " spot-orchestrator/migrated-at=20")
                    // 1 available when the template changed before the handler drained the node (the drained pod's
                    // replacement is one of the new, Pending ones), 2 when after (its replacement is an old one)
                    .containsPattern("rollout not complete: generation 2 \\(observed 2\\): 2 desired, 2 updated, [12]"
                            + " available")
                    .containsPattern("Pending pods: cart-\\S+ \\(Unschedulable: 0/\\d+ nodes are available: .*\\d+"
                            + " node\\(s\\) didn't match Pod's node affinity/selector")
                    .containsPattern("pods on EC2 nodes: cart-\\S+ on ip-10-0-"));
        }
    }

    @Test
    void aSlowOrchestratorMigratesAfterTheInterruption() {
        try (SpotLab lab = lab(60, "fargateOrchestrator.slow=PT3M")) {
            List<String> misses = misses(lab, LateMigration.class);

            assertThat(misses).singleElement().satisfies(m -> assertThat(m)
                    .startsWith(MIGRATION + " missed for the drill")
                    .containsPattern("last seen: seen at \\+\\d{3}\\.\\ds, after the deadline: shop/cart at"
                            + " \\+\\d{3}\\.\\ds: migrated; annotations spot-orchestrator/state=fargate"));
        }
    }

    @Test
    void slowFargatePodsMissTheMigrationAndCartDropsBelowTwoReadyPods() {
        try (SpotLab lab = lab(60, "fargate.startup-delay=PT5M")) {
            List<String> misses = misses(lab, SlowFargate.class);

            assertThat(misses).hasSize(2);
            assertThat(misses)
                    .anySatisfy(m -> assertThat(m)
                            .startsWith(MIGRATION + " missed for the drill")
                            .contains(": not migrated (the rollout, the pods' nodes); annotations"
                                    + " spot-orchestrator/state=fargate")
                            .containsPattern("Pending pods: cart-\\S+ \\(not scheduled yet by fargate-scheduler\\),"
                                    + " cart-\\S+ \\(not scheduled yet by fargate-scheduler\\)"))
                    .anySatisfy(m -> assertThat(m)
                            .startsWith("@ExpectAvailability(deployment=\"shop/cart\", minReady=2) missed")
                            .containsPattern("fell to 1 Ready \\(below minReady 2\\) at \\+\\d+\\.\\ds"));
        }
    }

    @Test
    void anUnknownDeploymentOrOneWithoutTheComputeLabelIsRefusedBeforeAnythingIsCreated() {
        try (SpotLab lab = lab(60)) {
            EngineExecutionResults results = EngineRuns.run(lab, BadInput.class);

            results.testEvents().assertStatistics(s -> s.started(4).failed(4));
            Map<String, Throwable> f = EngineRuns.failures(results);
            assertThat(f.get("unknownDeployment"))
                    .isInstanceOf(SpotDrillConfigurationException.class)
                    .hasMessage(MIGRATION.replace("cart", "nope") + ": no Deployment shop/nope in the cluster; check"
                            + " the namespace and the name (kubectl get deployment -n shop nope)");
            assertThat(f.get("noComputeLabel"))
                    .isInstanceOf(SpotDrillConfigurationException.class)
                    .hasMessage(MIGRATION.replace("cart", "checkout") + ": Deployment shop/checkout has no"
                            + " compute-type label in its pod template (its labels: app=checkout), so a Spot→Fargate"
                            + " orchestrator cannot move it; label the template (and its nodeSelector) compute-type:"
                            + " spot, or set computeLabel to the key your orchestrator switches");
            assertThat(f.get("badNodeLabel"))
                    .hasMessage("@ExpectFargateMigration(fargateNodeLabel=\"fargate\"): not a node label key=value;"
                            + " write it as EKS labels Fargate nodes, \"eks.amazonaws.com/compute-type=fargate\"");
            assertThat(f.get("badAnnotationKey"))
                    .hasMessage("@ExpectRecovery(stateAnnotation=\"spot orchestrator/state\"): not a Kubernetes"
                            + " annotation or label key; write [prefix/]name, e.g. \"spot-orchestrator/state\"");
            assertThat(lab.callLog().mutatingCalls()).isEmpty();
        }
    }
}
