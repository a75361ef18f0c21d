package dev.spotdrill.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.kube.FargateObservations;
import dev.spotdrill.junit.ExpectAvailability;
import dev.spotdrill.junit.ExpectFargateMigration;
import dev.spotdrill.junit.ExpectRecovery;
import dev.spotdrill.junit.InterruptionRun;
import dev.spotdrill.junit.SpotDrill;
import dev.spotdrill.junit.SpotInterruption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Sample drill for a Spot→Fargate orchestrator: when a Spot node of the cart service is about to be interrupted,
 * cart moves to Fargate before the node dies, never with fewer than one Ready pod, and comes back to Spot after the
 * orchestrator's cooldown.
 *
 * <p>By default it runs on the embedded lab, whose {@code shop} cluster runs the reference orchestrator
 * (reference/domain.md) for {@code shop/cart}, on its own EventBridge rule and SQS queue. <b>The sample suite's lab
 * shortens that orchestrator's recovery cooldown to 10 minutes</b> (the scenario
 * {@code scenarios/shop-quick-recovery.yaml}; the orchestrator's default is 45 minutes) and gives its rollout back to
 * Spot 10 minutes instead of 3 (for a busy CI machine), so the drill ends after about 25 s of wall time at the
 * suite's pace; against an orchestrator with the default cooldown, drop
 * {@code within} and {@link ExpectRecovery} waits up to its default hour. On a real EKS cluster
 * ({@code -Dspotdrill.world=aws}, {@code spotdrill.kube.context}) the same test checks your own orchestrator; pick
 * the interrupted instance among the nodes that run your Deployment.
 */
@SpotDrill
@DisplayName("A Spot→Fargate orchestrator moves cart off an interrupted Spot node, and back")
class FargateFallbackDrillsTest {

    @Test
    @DisplayName("cart moves to Fargate before its Spot node is interrupted, without dropping below 1 Ready pod, and"
            + " returns to Spot after the cooldown")
    // a node that runs a cart pod in the lab's shop (cart's first pod goes to the first cart node by name)
    @SpotInterruption(instances = "i-0c0ffee0000000a04", leadTime = "PT2M")
    @ExpectFargateMigration(deployment = "shop/cart") // from NOTICE until INTERRUPTION
    @ExpectAvailability(deployment = "shop/cart", minReady = 1) // held from START for PT5M, through the move
    @ExpectRecovery(deployment = "shop/cart", within = "PT15M") // the lab's 10-minute cooldown, and some
    void cartMovesToFargateAndBack(InterruptionRun run) {
        // the body runs while the drill is live: the orchestrator's annotation lands on the timeline first
        run.await().until(() -> run.timeline()
                .first(o -> o.kind().equals(FargateObservations.ANNOTATIONS_CHANGED)
                        && o.detail().contains("spot-orchestrator/state=fargate"))
                .isPresent());
        assertThat(run.timeline().first(o -> o.kind().equals(FargateObservations.ANNOTATIONS_CHANGED)))
                .hasValueSatisfying(o -> assertThat(o.detail()).startsWith("shop/cart annotations: "));
    }
}
