package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.lab.ApiCall;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.Scenario;
import dev.spotdrill.lab.SpotLab;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * EventBridge through the harness's own rule and queue, on a lab whose scenario also gives another consumer (an
 * orchestrator) its own rule and queue for the same warnings: NOTICE comes from whichever source sees it, the
 * EventBridge expectations pass and fail as they must, and the drill's rule and queue are always removed.
 */
class EventBridgeDrillTest {
    static final String ORCHESTRATOR_RULE = "orchestrator-warnings";
    static final String ORCHESTRATOR_QUEUE = "orchestrator-events";
    /** What each fixture run saw, by test method: its run id, targets and timeline. */
    static final Map<String, Seen> SEEN = new ConcurrentHashMap<>();

    record Seen(String runId, List<String> targets, Timeline timeline) {}

    static SpotLab lab;

    @BeforeAll
    static void startLab() throws IOException {
        // the shop's own rule for its Fargate orchestrator stays; this consumer's rule comes besides it
        String withOrchestrator = "extends: shop\n"
                + "eventRules:\n"
                + "  - name: fargate-orchestrator\n"
                + "    pattern: { source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning] }\n"
                + "  - name: " + ORCHESTRATOR_RULE + "\n"
                + "    queue: " + ORCHESTRATOR_QUEUE + "\n"
                + "    pattern: { source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning] }\n";
        lab = SpotLab.start(LabOptions.builder()
                .scenario(Scenario.parse(withOrchestrator, "shop+orchestrator"))
                .pace(30)
                .build());
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @AfterEach
    void clearFaults() {
        lab.faults().clearAll();
    }

    static void keep(String method, InterruptionRun run) {
        SEEN.put(
                method,
                new Seen(
                        run.runId(),
                        run.targets().stream().map(t -> t.instanceId()).toList(),
                        run.timeline()));
    }

    @SpotDrill
    static class Warned {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @ExpectInterruptionWarning
        @ExpectRebalanceEvent
        void warned(InterruptionRun run) {
            keep("warned", run);
        }
    }

    @SpotDrill
    static class TerminatedAfterNotice {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @ExpectTermination(from = Moment.NOTICE, within = "PT3M")
        void terminatedAfterNotice(InterruptionRun run) {
            keep("terminatedAfterNotice", run);
        }
    }

    @SpotDrill
    static class WarnedWithinAMinute {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @ExpectInterruptionWarning(within = "PT1M")
        void warnedWithinAMinute(InterruptionRun run) {
            keep("warnedWithinAMinute", run);
        }
    }

    @SpotDrill
    static class Aborted {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart")
        @ExpectInterruptionWarning
        void aborted(InterruptionRun run) {
            keep("aborted", run);
            throw new IllegalStateException("the body failed");
        }
    }

    @SpotDrill
    static class TwoAtOnce {
        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=cart", leadTime = "PT3M")
        @ExpectInterruptionWarning
        void first(InterruptionRun run) {
            keep("first", run);
        }

        @org.junit.jupiter.api.Test
        @SpotInterruption(tags = "workload=checkout", leadTime = "PT3M")
        @ExpectInterruptionWarning
        void second(InterruptionRun run) {
            keep("second", run);
        }
    }

    private static List<ApiCall> calls(String service, String operation, String resource) {
        return lab.callLog().calls(service, operation).stream()
                .filter(c -> c.resource().contains(resource))
                .toList();
    }

    /** The drill's rule and queue were created, then removed: nothing of it is left. */
    private static void assertCleanedUp(String runId) {
        String name = "spotdrill-" + runId;
        assertThat(calls("sqs", "CreateQueue", name))
                .as(
                        "CreateQueue %s among every CreateQueue the lab served: %s",
                        name, lab.callLog().calls("sqs", "CreateQueue"))
                .hasSize(1);
        assertThat(calls("events", "PutRule", name)).hasSize(1);
        assertThat(calls("events", "RemoveTargets", name)).singleElement().satisfies(c -> assertThat(c.succeeded())
                .isTrue());
        assertThat(calls("events", "DeleteRule", name)).singleElement().satisfies(c -> assertThat(c.succeeded())
                .isTrue());
        assertThat(calls("sqs", "DeleteQueue", name)).singleElement().satisfies(c -> assertThat(c.succeeded())
                .isTrue());
        var clients = dev.spotdrill.core.aws.AwsClients.of(lab.world());
        assertThat(clients.eventBridge().listRules(r -> r.namePrefix(name)).rules())
                .isEmpty();
        assertThat(clients.sqs().listQueues(r -> r.queueNamePrefix(name)).queueUrls())
                .isEmpty();
    }

    @Test
    void warningAndRebalanceEventsArriveOnTheDrillsOwnQueueWhileTheOrchestratorsQueueStillGetsEveryWarning() {
        EngineExecutionResults results = EngineRuns.run(lab, Warned.class);

        EngineRuns.assertAllPassed(results, 1);
        Seen seen = SEEN.get("warned");
        String target = seen.targets().get(0);
        assertThat(seen.timeline().observations())
                .filteredOn(o -> o.source().equals(EventExpectations.EVENTS) && o.isAbout(target))
                .extracting(Observation::kind)
                .contains(EventExpectations.INTERRUPTION_WARNING, EventExpectations.REBALANCE_EVENT);
        assertCleanedUp(seen.runId());
        // the harness long-polled its own queue only; the orchestrator's queue got the warning all the same
        assertThat(lab.callLog().calls("sqs", "ReceiveMessage"))
                .filteredOn(c -> !c.caller().contains("spotdrill-lab-responder"))
                .allSatisfy(c -> assertThat(c.resource()).startsWith("spotdrill-"));
        String warning = lab.emittedEvents().stream()
                .filter(e -> e.detailType().equals("EC2 Spot Instance Interruption Warning")
                        && e.json().contains("\"instance-id\":\"" + target + "\""))
                .findFirst()
                .orElseThrow()
                .id();
        assertThat(lab.eventDeliveries())
                .filteredOn(d -> d.eventId().equals(warning) && d.delivered())
                .extracting(d -> d.rule())
                .containsExactlyInAnyOrder(ORCHESTRATOR_RULE, "fargate-orchestrator", "spotdrill-" + seen.runId());
    }

    @Test
    void withImdsSilentNoticeComesFromTheWarningEvent() {
        lab.faults().set("imds.no-notice");
        EngineExecutionResults results = EngineRuns.run(lab, TerminatedAfterNotice.class);

        EngineRuns.assertAllPassed(results, 1);
        Seen seen = SEEN.get("terminatedAfterNotice");
        String target = seen.targets().get(0);
        assertThat(seen.timeline().momentSource(dev.spotdrill.core.drill.Moment.NOTICE, target))
                .contains("events");
        assertThat(seen.timeline().render()).contains(target + "  NOTICE  (first seen by events)");
    }

    @Test
    void withNeitherSourceSeeingNoticeTheMissNamesBoth() {
        lab.faults().set("imds.no-notice");
        lab.faults().set("events.no-warning");
        EngineExecutionResults results = EngineRuns.run(lab, TerminatedAfterNotice.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        assertThat(EngineRuns.failure(results, "terminatedAfterNotice").orElseThrow())
                .hasMessageStartingWith("@ExpectTermination missed for i-")
                .hasMessageContaining("window: NOTICE+PT3M, which never opened: NOTICE never came")
                .hasMessageContaining("last seen: NOTICE never came: no source saw it (watched by imds, events)");
    }

    @Test
    void aMissingWarningIsCaughtAndNamesTheTarget() {
        lab.faults().set("events.no-warning");
        EngineExecutionResults results = EngineRuns.run(lab, Warned.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        Seen seen = SEEN.get("warned");
        assertThat(EngineRuns.failure(results, "warned").orElseThrow())
                .hasMessageStartingWith("@ExpectInterruptionWarning(action=\"terminate\") missed for "
                        + seen.targets().get(0))
                .hasMessageContaining("last seen: no warning event yet on queue spotdrill-" + seen.runId());
        assertCleanedUp(seen.runId());
    }

    @Test
    void aWarningThreeMinutesLateMissesAOneMinuteWindow() {
        lab.faults().set("events.delay=PT3M");
        EngineExecutionResults results = EngineRuns.run(lab, WarnedWithinAMinute.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        assertThat(EngineRuns.failure(results, "warnedWithinAMinute").orElseThrow())
                .hasMessageContaining("@ExpectInterruptionWarning(action=\"terminate\") missed for i-")
                .hasMessageContaining("window: START+PT1M, from +0.0s to deadline +60.0s");
    }

    @Test
    void duplicatedEventsAreRecordedOnce() {
        lab.faults().set("events.duplicate");
        EngineExecutionResults results = EngineRuns.run(lab, Warned.class);

        EngineRuns.assertAllPassed(results, 1);
        Seen seen = SEEN.get("warned");
        String target = seen.targets().get(0);
        assertThat(lab.eventDeliveries())
                .filteredOn(d -> d.rule().equals("spotdrill-" + seen.runId())
                        && d.delivered()
                        && d.detailType().equals("EC2 Spot Instance Interruption Warning"))
                .hasSize(2);
        assertThat(seen.timeline().observations())
                .filteredOn(o -> o.isAbout(target) && o.kind().equals(EventExpectations.INTERRUPTION_WARNING))
                .hasSize(1);
        assertThat(seen.timeline().observations())
                .filteredOn(o -> o.isAbout(target) && o.kind().equals(EventExpectations.REBALANCE_EVENT))
                .hasSize(1);
    }

    @Test
    void anAbortedBodyStillRemovesTheRuleAndTheQueue() {
        EngineExecutionResults results = EngineRuns.run(lab, Aborted.class);

        results.testEvents().assertStatistics(s -> s.started(1).failed(1));
        assertThat(EngineRuns.failure(results, "aborted").orElseThrow()).hasMessage("the body failed");
        assertCleanedUp(SEEN.get("aborted").runId());
    }

    @Test
    void twoParallelDrillsEachSeeOnlyTheirOwnInstancesEvents() {
        EngineExecutionResults results = EngineRuns.run(lab, TwoAtOnce.class);

        EngineRuns.assertAllPassed(results, 2);
        for (String method : List.of("first", "second")) {
            Seen seen = SEEN.get(method);
            assertThat(seen.timeline().observations())
                    .filteredOn(o -> o.source().equals(EventExpectations.EVENTS)
                            && !o.targetId().isEmpty())
                    .isNotEmpty()
                    .allSatisfy(o -> assertThat(seen.targets()).contains(o.targetId()));
            assertCleanedUp(seen.runId());
        }
        assertThat(SEEN.get("first").targets())
                .doesNotContainAnyElementsOf(SEEN.get("second").targets());
    }
}
