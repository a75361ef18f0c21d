package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** Bad node selectors and Kubernetes expectation attributes fail before anything is created in AWS. */
class KubeBadInputTest {
    static SpotLab lab;

    @BeforeAll
    static void startLab() {
        lab = SpotLab.start(LabOptions.builder().scenario("shop").pace(30).build());
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @SpotDrill
    static class BadSelectors {
        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=nothing")
        @ExpectCordon
        void matchesNothing() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=system")
        @ExpectCordon
        void onlyOnDemand() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload in (checkout,cart")
        @ExpectCordon
        void badSyntax() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout")
        @ExpectTaint(effect = "noschedule")
        void badTaintEffect() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout")
        @ExpectAvailability(deployment = "shop/nope", minReady = 1)
        void unknownDeployment() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart", count = 1)
        @ExpectAvailability(deployment = "shop/nope", minReady = 1)
        void unknownDeploymentOnATagSelectedDrill() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(nodes = "workload=checkout")
        @ExpectAvailability(deployment = "Shop Checkout")
        void badDeploymentName() {}
    }

    @Test
    void badSelectorsAndAttributesFailBeforeAnyMutatingCall() {
        EngineExecutionResults results = EngineRuns.run(lab, Map.of(), BadSelectors.class);

        results.testEvents().assertStatistics(s -> s.started(7).failed(7));
        Map<String, Throwable> f = EngineRuns.failures(results);
        assertThat(f.get("matchesNothing"))
                .hasMessageStartingWith("@SpotInterruption(nodes=\"workload=nothing\"): matches no node in the cluster")
                .hasMessageContaining("kubectl get nodes -l 'workload=nothing'");
        assertThat(f.get("onlyOnDemand"))
                .hasMessageStartingWith("@SpotInterruption(nodes=\"workload=system\"): matches only on-demand nodes"
                        + " (ip-10-0-1-21.ec2.internal -> i-0c0ffee0000000b01, on-demand)")
                .hasMessageContaining("FIS interrupts only Spot instances")
                .hasMessageContaining("add eks.amazonaws.com/capacityType=SPOT");
        assertThat(f.get("badSyntax"))
                .hasMessageStartingWith(
                        "@SpotInterruption(nodes=\"workload in (checkout,cart\"): not a Kubernetes label"
                                + " selector: a '(' is not closed")
                .hasMessageContaining("write it as kubectl -l takes it");
        assertThat(f.get("badTaintEffect"))
                .hasMessageStartingWith("@ExpectTaint(effect=\"noschedule\"): a taint effect is one of NoSchedule,"
                        + " PreferNoSchedule or NoExecute");
        assertThat(f.get("unknownDeployment"))
                .hasMessageStartingWith("@ExpectAvailability(deployment=\"shop/nope\"): no such Deployment");
        assertThat(f.get("unknownDeploymentOnATagSelectedDrill"))
                .hasMessageStartingWith("@ExpectAvailability(deployment=\"shop/nope\"): no such Deployment")
                .hasMessageContaining("kubectl get deployment -n shop nope");
        assertThat(f.get("badDeploymentName"))
                .hasMessageStartingWith("@ExpectAvailability(deployment=\"Shop Checkout\"): not a Deployment name");
        assertThat(lab.callLog().mutatingCalls()).isEmpty();
        assertThat(lab.callLog().count("fis", "CreateExperimentTemplate")).isZero();
    }
}
