package dev.spotdrill.junit;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.Scenario;
import dev.spotdrill.lab.SpotLab;
import org.junit.jupiter.api.Test;

/**
 * The README's "Fargate fallback" example, exactly as printed (annotations and defaults), passes on the shop lab with
 * two scenario settings (not annotations): the orchestrator recovers after 5 minutes instead of 45, and Fargate starts
 * a pod in 20 s instead of 60, so that on a loaded machine the rolling move of cart's two pods (one after the other)
 * still completes before INTERRUPTION at pace 15.
 */
class FargateReadmeExampleTest {

    @SpotDrill
    static class ReadmeExample {
        @Test
        @SpotInterruption(instances = "i-0c0ffee0000000a04") // a node that runs a cart pod
        @ExpectFargateMigration(deployment = "shop/cart") // NOTICE..INTERRUPTION
        @ExpectAvailability(deployment = "shop/cart", minReady = 1) // zero downtime through the move
        @ExpectRecovery(deployment = "shop/cart") // INTERRUPTION+PT1H: back on Spot after the cooldown
        void cartMovesToFargateAndBack(InterruptionRun run) {}
    }

    @Test
    void theFargateExampleAsPrintedPassesOnTheHealthyLab() {
        try (SpotLab lab = SpotLab.start(
                LabOptions.builder().scenario(Scenario.parse("""
                        extends: shop
                        name: shop-readme-fargate
                        fargate: { startupDelay: PT20S }
                        responders:
                          fargateOrchestrator:
                            recovery: { interval: 1m, cooldown: 5m, timeout: 10m }
                        """)).pace(15).build())) {
            EngineRuns.assertAllPassed(EngineRuns.run(lab, ReadmeExample.class), 1);
        }
    }
}
