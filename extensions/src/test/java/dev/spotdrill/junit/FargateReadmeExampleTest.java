package dev.spotdrill.junit;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import org.junit.jupiter.api.Test;

/**
 * The README's "Fargate fallback" example, exactly as printed (annotations and defaults), passes on the shop lab whose
 * orchestrator recovers after 5 minutes instead of 45 (a scenario setting, not an annotation), at pace 15 so that the
 * migration beats INTERRUPTION on a loaded machine.
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
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario(FargateRecoveryDrillTest.quickRecovery())
                .pace(15)
                .build())) {
            EngineRuns.assertAllPassed(EngineRuns.run(lab, ReadmeExample.class), 1);
        }
    }
}
