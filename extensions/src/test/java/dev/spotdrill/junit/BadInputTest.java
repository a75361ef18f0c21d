package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * Every bad input fails before any mutating AWS call, quoting the attribute and the value and giving the fix.
 */
class BadInputTest {
    static SpotLab lab;
    static EngineExecutionResults results;
    static Map<String, Throwable> failures;

    @SpotDrill
    static class BadDrills {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "PT1M")
        void leadTimeTooShort() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "2 minutes")
        void leadTimeNotIso() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "")
        void leadTimeEmpty() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption
        void noSelector() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", tags = "workload=checkout")
        void twoSelectors() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=checkout", count = -1)
        void negativeCount() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000b01")
        void onDemandInstance() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000c01")
        void stoppedInstance() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000d01")
        void instanceWithoutOptInTag() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "spotdrill/allowed=true", count = 0)
        void moreTargetsThanMaxTargets() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0deadbeef00000000")
        void unknownInstance() {}

        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01")
        @ExpectImdsNotice(within = "30 seconds")
        void badWindow() {}
    }

    @BeforeAll
    static void runTheBadDrills() {
        lab = SpotLab.start(LabOptions.builder().scenario("shop").pace(60).build());
        results = EngineRuns.run(lab, Map.of("spotdrill.guard.maxTargets", "2"), BadDrills.class);
        failures = EngineRuns.failures(results);
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    @Test
    void everyBadDrillFailsAndNothingWasCreatedInAws() {
        results.testEvents().assertStatistics(s -> s.started(12).failed(12));
        assertThat(lab.callLog().count("fis", "CreateExperimentTemplate")).isZero();
        assertThat(lab.callLog().mutatingCalls()).isEmpty();
    }

    @Test
    void leadTimes() {
        assertThat(failures.get("leadTimeTooShort"))
                .hasMessage("@SpotInterruption(leadTime=\"PT1M\"): FIS needs a lead time of at least PT2M; use PT2M or"
                        + " more");
        assertThat(failures.get("leadTimeNotIso"))
                .hasMessage("@SpotInterruption(leadTime=\"2 minutes\"): not an ISO-8601 duration; FIS needs one of at"
                        + " least PT2M; write it like \"PT2M\" or \"PT150S\"");
        assertThat(failures.get("leadTimeEmpty"))
                .hasMessage("@SpotInterruption(leadTime=\"\"): the lead time is empty; FIS needs an ISO-8601 duration"
                        + " of at least PT2M; use leadTime = \"PT2M\" or more");
    }

    @Test
    void selectors() {
        assertThat(failures.get("noSelector"))
                .hasMessage("@SpotInterruption: no targets given; set exactly one of instances = {\"i-...\"}, tags ="
                        + " {\"key=value\"} or nodes = \"label=value\"");
        assertThat(failures.get("twoSelectors"))
                .hasMessage("@SpotInterruption: instances=\"i-0c0ffee0000000a01\" and tags=\"workload=checkout\" are"
                        + " both set; targets come from exactly one of instances, tags or nodes; keep one");
        assertThat(failures.get("negativeCount"))
                .hasMessage("@SpotInterruption(count=-1): must be 0 (all matching instances) or more; use count = 1 to"
                        + " interrupt one instance");
        assertThat(failures.get("unknownInstance"))
                .hasMessageStartingWith("@SpotInterruption(instances=\"i-0deadbeef00000000\"): no such instance in"
                        + " us-east-1 (EC2 says: InvalidInstanceID.NotFound")
                .hasMessageEndingWith("check the id and spotdrill.aws.region");
        assertThat(failures.get("badWindow"))
                .hasMessage("@ExpectImdsNotice(within=\"30 seconds\"): not a positive ISO-8601 duration; write it like"
                        + " \"PT30S\", or leave it empty for \"until INTERRUPTION\"");
    }

    @Test
    void guardrails() {
        assertThat(failures.get("onDemandInstance"))
                .isInstanceOf(dev.spotdrill.core.GuardrailException.class)
                .hasMessage("Guardrail refused i-0c0ffee0000000b01 (m5.large, us-east-1a): it is an on-demand"
                        + " instance and FIS interrupts only Spot instances; select Spot instances only");
        assertThat(failures.get("stoppedInstance"))
                .hasMessage("Guardrail refused i-0c0ffee0000000c01 (m5.large, us-east-1b): it is stopped, not running;"
                        + " start it, or select a running instance");
        assertThat(failures.get("instanceWithoutOptInTag"))
                .hasMessageStartingWith("Guardrail refused i-0c0ffee0000000d01 (c5.large, ")
                .hasMessageEndingWith("it does not carry the opt-in tag spotdrill/allowed=true; tag it"
                        + " spotdrill/allowed=true if it may be interrupted (spotdrill.guard.optInTag sets the tag)");
        assertThat(failures.get("moreTargetsThanMaxTargets"))
                .hasMessage("Guardrail refused the drill: 6 targets is more than spotdrill.guard.maxTargets=2; lower"
                        + " count, or raise spotdrill.guard.maxTargets if this blast radius is intended");
    }

    @SpotDrill
    static class OneDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01")
        void drill() {}
    }

    @Test
    void credentialsOfAnotherAccountAreRefused() {
        EngineExecutionResults other =
                EngineRuns.run(lab, Map.of("spotdrill.guard.accounts", "111111111111,222222222222"), OneDrill.class);
        assertThat(EngineRuns.failure(other, "drill").orElseThrow())
                .isInstanceOf(dev.spotdrill.core.GuardrailException.class)
                .hasMessage("Guardrail refused the drill: the credentials belong to account 123456789012, which is not"
                        + " in spotdrill.guard.accounts=111111111111,222222222222; use credentials for an allowed"
                        + " account, or add it if this account is intended");
        assertThat(lab.callLog().mutatingCalls()).isEmpty();
    }

    @SpotDrill
    static class NoticeByInstance {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01")
        @ExpectImdsNotice
        void drill() {}
    }

    @Test
    void aProbePodNeedsNodeTargetsAndSsmIsRefused() {
        assertThat(EngineRuns.failure(
                                EngineRuns.run(lab, Map.of("spotdrill.imds.via", "probe-pod"), NoticeByInstance.class),
                                "drill")
                        .orElseThrow())
                .hasMessage(
                        "@ExpectImdsNotice(action=\"terminate\"): spotdrill.imds.via=\"probe-pod\": a probe pod runs on the target's node, so select"
                                + " targets with @SpotInterruption(nodes = ...) in a world with Kubernetes access; or use"
                                + " spotdrill.imds.via=direct");
        assertThat(EngineRuns.failure(
                                EngineRuns.run(lab, Map.of("spotdrill.imds.via", "ssm"), NoticeByInstance.class),
                                "drill")
                        .orElseThrow())
                .hasMessageStartingWith("spotdrill.imds.via=\"ssm\": the ssm route is not built yet");
        assertThat(lab.callLog().mutatingCalls()).isEmpty();
    }

    @Test
    void anUnknownFaultNameIsAConfigurationError() {
        EngineExecutionResults bad =
                EngineRuns.run(null, Map.of("spotdrill.lab.faults", "imds.no-notice,imds.bogus"), BadDrills.class);
        assertThat(EngineRuns.failures(bad).get("onDemandInstance"))
                .isInstanceOf(dev.spotdrill.core.SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.lab.faults")
                .hasMessageContaining("unknown fault \"imds.bogus\"; known faults: ")
                .hasMessageContaining("imds.no-notice")
                .hasMessageContaining("Write faults comma-separated, e.g. spotdrill.lab.faults=imds.no-notice");
    }
}
