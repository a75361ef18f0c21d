package dev.spotdrill.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.kube.KubeObservations;
import dev.spotdrill.junit.ExpectAvailability;
import dev.spotdrill.junit.ExpectCordon;
import dev.spotdrill.junit.ExpectDrain;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectNodeRemoved;
import dev.spotdrill.junit.ExpectTaint;
import dev.spotdrill.junit.InterruptionRun;
import dev.spotdrill.junit.Moment;
import dev.spotdrill.junit.SpotDrill;
import dev.spotdrill.junit.SpotInterruption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Sample drill for aws-node-termination-handler (IMDS mode): a Spot node of the checkout service is interrupted,
 * and the handler must taint, cordon and drain it before the interruption while checkout keeps two Ready pods.
 *
 * <p>By default it runs on the embedded lab, whose {@code shop} cluster runs a reference handler on every Spot
 * node. On a real EKS cluster ({@code -Dspotdrill.world=aws}, {@code spotdrill.kube.context}) the same test checks
 * your own handler.
 */
@SpotDrill
@DisplayName("aws-node-termination-handler drains a Spot node in time")
class NodeTerminationHandlerDrillsTest {

    @Test
    @DisplayName("A checkout node is tainted, cordoned and drained before the interruption; checkout keeps serving")
    @SpotInterruption(nodes = "workload=checkout", count = 1, leadTime = "PT2M")
    @ExpectImdsNotice
    @ExpectTaint(
            key = "aws-node-termination-handler/spot-itn",
            effect = "NoSchedule",
            from = Moment.NOTICE,
            within = "PT1M")
    @ExpectCordon(from = Moment.NOTICE, within = "PT1M")
    @ExpectDrain(rescheduled = true) // the checkout pod is Ready on another node before the interruption
    @ExpectAvailability(deployment = "shop/checkout", minReady = 2) // held from START for PT5M
    @ExpectNodeRemoved // the node object goes away after the instance does
    void checkoutNodeIsDrainedBeforeTheInterruption(InterruptionRun run) {
        Target target = run.targets().get(0);
        // the target was found through its node: the node's providerID named the instance
        assertThat(target.node()).hasValueSatisfying(node -> assertThat(node).endsWith(".ec2.internal"));
        // the body runs while the drill is live: wait for the handler to empty the node
        run.await().until(() -> run.timeline()
                .first(o -> o.isAbout(target.instanceId()) && o.kind().equals(KubeObservations.NODE_DRAINED))
                .isPresent());
    }
}
