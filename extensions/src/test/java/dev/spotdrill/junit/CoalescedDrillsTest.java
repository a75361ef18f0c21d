package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import software.amazon.awssdk.services.fis.FisClient;
import software.amazon.awssdk.services.fis.model.Experiment;

/**
 * Coalesced drills ({@code spotdrill.fis.coalesce=PT2S}) on a lab that allows 5 active experiments: drills running at
 * once share FIS experiments, each with its own action and target, and keep their own verdicts, reports and cleanup.
 */
class CoalescedDrillsTest {
    static final Map<String, Set<String>> TARGETS_BY_TEST = new ConcurrentHashMap<>();

    private static Map<String, String> params() {
        return params("PT2S");
    }

    private static Map<String, String> params(String window) {
        return Map.of(
                "spotdrill.fis.coalesce", window, "junit.jupiter.execution.parallel.config.fixed.parallelism", "16");
    }

    private static SpotLab lab() {
        return SpotLab.start(LabOptions.builder()
                .scenario("coalesce.yaml")
                .pace(60)
                .faults(List.of("fis.quota=5"))
                .build());
    }

    @SpotDrill
    static class CoalescedTwelve {
        @RepeatedTest(12)
        @SpotInterruption(tags = "fleet=coalesce")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill(InterruptionRun run) {
            TARGETS_BY_TEST.put(
                    run.runId(), run.targets().stream().map(Target::instanceId).collect(Collectors.toSet()));
        }
    }

    @Test
    void twelveDrillsShareAtMostThreeExperimentsAndEachReportNamesItsOwnTargets() {
        try (SpotLab lab = lab()) {
            EngineExecutionResults results = EngineRuns.run(lab, params(), CoalescedTwelve.class);

            EngineRuns.assertAllPassed(results, 12);
            assertThat(lab.callLog().calls("fis", "CreateExperimentTemplate"))
                    .filteredOn(c -> c.status() == 200)
                    .hasSizeBetween(2, 3);
            List<String> experiments = lab.callLog().calls("fis", "StartExperiment").stream()
                    .filter(c -> c.status() == 200)
                    .map(c -> c.resource())
                    .distinct()
                    .toList();
            assertThat(experiments).hasSizeBetween(2, 3);
            FisClient fis = AwsClients.of(lab.world()).fis();
            int actions = 0;
            for (String id : experiments) {
                Experiment e = fis.getExperiment(r -> r.id(id)).experiment();
                assertThat(e.targets().values())
                        .allSatisfy(t -> assertThat(t.resourceArns()).hasSizeBetween(1, 5));
                assertThat(e.actions()).hasSizeLessThanOrEqualTo(10);
                actions += e.actions().size();
            }
            assertThat(actions).isEqualTo(12);
            // every template was deleted once its last drill was done
            assertThat(fis.listExperimentTemplates(r -> r.maxResults(100)).experimentTemplates())
                    .isEmpty();

            Map<String, DrillReport> reports = reportsOf("CoalescedTwelve");
            assertThat(reports).hasSize(12);
            Set<String> all = reports.values().stream()
                    .flatMap(r -> r.targets().stream())
                    .map(Target::instanceId)
                    .collect(Collectors.toSet());
            assertThat(all).hasSize(12);
            reports.forEach((runId, report) -> {
                Set<String> own =
                        report.targets().stream().map(Target::instanceId).collect(Collectors.toSet());
                assertThat(own).isEqualTo(TARGETS_BY_TEST.get(runId)).hasSize(1);
                assertThat(report.verdicts()).hasSize(2).allSatisfy(v -> assertThat(v.met())
                        .isTrue());
                String json = report.experimentJson().orElseThrow()
                        + report.templateJson().orElseThrow();
                for (String other : all) {
                    if (own.contains(other)) {
                        assertThat(json).contains(other);
                    } else {
                        assertThat(json)
                                .as("report of %s names %s", runId, other)
                                .doesNotContain(other);
                    }
                }
                assertThat(report.experimentJson().orElseThrow()).contains("\"" + runId + "-1\"");
            });
        }
    }

    @SpotDrill
    static class CoalescedOneThrows {
        @RepeatedTest(6)
        @SpotInterruption(tags = "fleet=coalesce")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill(InterruptionRun run, RepetitionInfo rep) {
            TARGETS_BY_TEST.put(
                    run.runId(), run.targets().stream().map(Target::instanceId).collect(Collectors.toSet()));
            if (rep.getCurrentRepetition() == 3) {
                throw new IllegalStateException("checkout broke in repetition 3");
            }
            run.await().until(() -> run.noticeTime().isPresent());
        }
    }

    @Test
    void oneDrillsBodyThrowsItsFailureIsReportedTheOthersPassAndEveryTemplateIsDeleted() {
        try (SpotLab lab = lab()) {
            // a window of 10 s (wall): the six must share one experiment even when a loaded machine spreads their
            // setups over more than 2 s, or the one that throws could be alone in its own and rightly stop it
            EngineExecutionResults results = EngineRuns.run(lab, params("PT10S"), CoalescedOneThrows.class);

            Map<String, Throwable> failures = EngineRuns.failures(results);
            assertThat(failures).hasSize(1);
            Throwable failure = failures.values().iterator().next();
            assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessage("checkout broke in repetition 3");
            // the drill left the shared experiment running for the others, and says its targets are still interrupted
            assertThat(failure.getSuppressed()).anySatisfy(s -> assertThat(s.getMessage())
                    .contains("spotdrill left coalesced FIS experiment")
                    .contains("running after the test aborted, for the other drills that share it")
                    .contains("will still be interrupted at"));
            results.testEvents().assertStatistics(s -> s.started(6).succeeded(5).failed(1));

            Map<String, DrillReport> reports = reportsOf("CoalescedOneThrows");
            assertThat(reports).hasSize(6);
            List<DrillReport> failed = reports.values().stream()
                    .filter(r -> r.failure().isPresent())
                    .toList();
            assertThat(failed)
                    .singleElement()
                    .satisfies(r -> assertThat(r.failure().orElseThrow()).hasMessage("checkout broke in repetition 3"));
            assertThat(reports.values())
                    .filteredOn(r -> r.failure().isEmpty())
                    .hasSize(5)
                    .allSatisfy(r -> assertThat(r.verdicts()).hasSize(2).allMatch(Verdict::met));
            // the others kept their experiment: no StopExperiment was needed, and nothing is left
            assertThat(lab.callLog().calls("fis", "StopExperiment")).isEmpty();
            FisClient fis = AwsClients.of(lab.world()).fis();
            assertThat(fis.listExperimentTemplates(r -> r.maxResults(100)).experimentTemplates())
                    .isEmpty();
            assertThat(lab.callLog().count("fis", "DeleteExperimentTemplate"))
                    .isEqualTo(lab.callLog().count("fis", "CreateExperimentTemplate"));
        }
    }

    private static Map<String, DrillReport> reportsOf(String fixture) {
        return ReportCapture.REPORTS.entrySet().stream()
                .filter(e -> ReportCapture.TESTS.get(e.getKey()).startsWith(fixture + "."))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
