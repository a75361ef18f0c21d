package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.kube.FargateObservations;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.Scenario;
import dev.spotdrill.lab.SpotLab;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * {@code @ExpectRecovery} against the shop's reference orchestrator, at pace 60: with the orchestrator's own 45-minute
 * cooldown cart comes back to Spot inside the default hour (the one long drill of the suite, about a wall minute);
 * with {@code no-recovery} and {@code recovery-fails} (on a shop whose orchestrator has a 5-minute cooldown) the miss
 * says how many attempts failed and how it backed off. Each test has a lab of its own, so they run side by side: their
 * time is world time, not CPU.
 */
@Execution(ExecutionMode.CONCURRENT)
class FargateRecoveryDrillTest {
    static final String RECOVERY = "@ExpectRecovery(deployment=\"shop/cart\")";
    static final Map<String, Timeline> TIMELINES = new ConcurrentHashMap<>();

    /**
     * The shop with its orchestrator recovering after 5 minutes (checked every minute), backoff from 2 minutes, and
     * 10 minutes for a rollout to Spot (10 s of wall time) so that a loaded machine does not turn the test's failed
     * health check into a rollout timeout.
     */
    static Scenario quickRecovery() {
        return Scenario.parse("""
                extends: shop
                name: shop-quick-recovery
                responders:
                  fargateOrchestrator:
                    recovery: { interval: 1m, cooldown: 5m, timeout: 10m, backoff_base: 2m, max_backoff: 8m }
                """);
    }

    @SpotDrill
    static class ComesBack {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = FargateMigrationDrillTest.CART_NODE_INSTANCE)
        @ExpectRecovery(deployment = "shop/cart")
        void drill(InterruptionRun run) {
            TIMELINES.put("comesBack", run.timeline());
        }
    }

    @SpotDrill
    static class ComesBackSoon {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = FargateMigrationDrillTest.CART_NODE_INSTANCE)
        @ExpectRecovery(deployment = "shop/cart", within = "PT18M")
        void drill() {}
    }

    @Test
    void cartComesBackToSpotAfterTheCooldown() {
        // the orchestrator's own 45-minute cooldown; 10 minutes for the rollout to Spot (10 s of wall time, for a
        // loaded machine) instead of its 3, which would roll back and wait out another cooldown
        Scenario shop =
                Scenario.parse("extends: shop\nresponders: { fargateOrchestrator: { recovery: { timeout: 10m } } }\n");
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario(shop).pace(60).build())) {
            long t0 = System.nanoTime();
            EngineExecutionResults results = EngineRuns.run(lab, ComesBack.class);
            long wallMillis = (System.nanoTime() - t0) / 1_000_000;

            assertThat(EngineRuns.failures(results)).isEmpty();
            EngineRuns.assertAllPassed(results, 1);
            Timeline t = TIMELINES.get("comesBack");
            assertThat(t.observations())
                    .anySatisfy(o -> {
                        assertThat(o.kind()).isEqualTo(FargateObservations.RECOVERY_ATTEMPT);
                        assertThat(o.detail())
                                .isEqualTo(
                                        "recovery attempt: shop/cart pod template compute-type" + " fargate -> spot");
                        // not before the orchestrator's 45-minute cooldown
                        assertThat(Duration.between(t.startTime().orElseThrow(), o.at()))
                                .isGreaterThanOrEqualTo(Duration.ofMinutes(45));
                    })
                    .anySatisfy(o ->
                            assertThat(o.detail()).contains("spot-orchestrator.io/recovery-reason=successful-recovery"))
                    .anySatisfy(o -> assertThat(o.detail())
                            .matches("pod shop/cart-\\S+ Ready on node ip-10-0-\\d+-\\d+\\.ec2\\.internal"
                                    + " \\(eks\\.amazonaws\\.com/compute-type unset\\)"));
            // the figure for the note: one drill with @ExpectRecovery at pace 60, lab start excluded
            System.out.println("[figure] a drill with @ExpectRecovery at pace 60 took " + wallMillis + " ms wall");
            assertThat(wallMillis).isLessThan(120_000);
        }
    }

    @Test
    void anOrchestratorThatNeverRecoversIsCaughtWithNoAttempt() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario(quickRecovery())
                .pace(60)
                .faults("fargateOrchestrator.no-recovery")
                .build())) {
            List<String> misses = FargateMigrationDrillTest.misses(lab, ComesBackSoon.class);

            assertThat(misses).singleElement().satisfies(m -> assertThat(m)
                    .startsWith(RECOVERY + " missed for the drill\n  window: INTERRUPTION+PT18M, from +120.0s to"
                            + " deadline +1200.0s")
                    .contains(": not back on Spot (the state, the recovery annotations, the pods' nodes); 0 failed"
                            + " recovery attempts (spot-orchestrator.io/failed-recovery-attempts=(unset)); no recovery"
                            + " attempt seen; annotations spot-orchestrator/state=fargate")
                    .containsPattern("pods on Fargate \\(eks.amazonaws.com/compute-type=fargate\\): cart-\\S+ on"
                            + " fargate-ip-"));
        }
    }

    @Test
    void anOrchestratorThatKeepsRollingBackIsCaughtWithItsAttemptsAndBackoff() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario(quickRecovery())
                .pace(60)
                .faults("fargateOrchestrator.recovery-fails")
                .build())) {
            List<String> misses = FargateMigrationDrillTest.misses(lab, ComesBackSoon.class);

            assertThat(misses).singleElement().satisfies(m -> assertThat(m)
                    .startsWith(RECOVERY + " missed for the drill")
                    .containsPattern(": not back on Spot \\((the state, )?the recovery annotations")
                    // two attempts at least came (the last may still be under way at the deadline on a busy machine)
                    .containsPattern(
                            "; (\\d) failed recovery attempts? \\(spot-orchestrator.io/failed-recovery-attempts=\\1\\);"
                                    + " recovery attempts at \\+\\d+\\.\\ds, \\+\\d+\\.\\ds.* \\(backing off PT\\d+M(\\d+S)?")
                    .contains("spot-orchestrator.io/recovery-reason=health check failed (fault"
                            + " fargateOrchestrator.recovery-fails)"));
        }
    }
}
