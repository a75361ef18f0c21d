package dev.spotdrill.allure;

import static dev.spotdrill.allure.Drills.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Phase;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.report.ConsoleProgress;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.model.Attachment;
import io.qameta.allure.model.Label;
import io.qameta.allure.model.Parameter;
import io.qameta.allure.model.Status;
import io.qameta.allure.model.StepResult;
import io.qameta.allure.model.TestResult;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllureDrillListenerTest {
    @TempDir
    Path results;

    private final Drills.MemoryWriter writer = new Drills.MemoryWriter();
    private final AllureLifecycle allure = new AllureLifecycle(writer);
    private final String testCase = UUID.randomUUID().toString();
    private ExecutorService probes;

    private AllureDrillListener listener() {
        return new AllureDrillListener(allure, results);
    }

    private void startTestCase() {
        allure.scheduleTestCase(new TestResult().setUuid(testCase).setName("checkoutKeepsServing"));
        allure.startTestCase(testCase);
    }

    private TestResult finishTestCase() {
        allure.stopTestCase(testCase);
        allure.writeTestCase(testCase);
        assertThat(writer.results).hasSize(1);
        return writer.results.get(0);
    }

    @AfterEach
    void stopProbes() throws InterruptedException {
        if (probes != null) {
            probes.shutdownNow();
            assertThat(probes.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Runs a whole passing-and-missing drill through the listener, as the engine would. */
    private DrillReport runDrill(DrillListener l, DrillInfo drill, Map<String, String> attachments) {
        Timeline tl = Drills.timeline();
        l.drillStarted(drill);
        l.phaseStarted(drill, Phase.RESOLVE);
        l.targetsResolved(drill, List.of(Drills.TARGET), 42);
        l.phaseFinished(drill, Phase.RESOLVE, null);
        l.phaseStarted(drill, Phase.GUARDRAILS);
        l.phaseFinished(drill, Phase.GUARDRAILS, null);
        l.phaseStarted(drill, Phase.TEMPLATE);
        l.templateCreated(drill, "EXT123", "{\"description\":\"spotdrill run-1\",\"actions\":{}}");
        l.phaseFinished(drill, Phase.TEMPLATE, null);
        l.phaseStarted(drill, Phase.START);
        l.experimentStarted(drill, "EXP456");
        l.momentReached(drill, Moment.START, "", at(0));
        l.phaseFinished(drill, Phase.START, null);
        l.phaseStarted(drill, Phase.OBSERVE);
        for (Observation o : tl.observations()) {
            l.observed(drill, o);
        }
        l.momentReached(drill, Moment.NOTICE, "i-0abc", at(0.4));
        l.progress(drill, "waiting for 2 expectations until +120s");
        l.phaseFinished(drill, Phase.OBSERVE, null);
        l.phaseStarted(drill, Phase.VERDICTS);
        l.verdict(drill, Drills.met());
        l.verdict(drill, Drills.missed());
        l.phaseFinished(drill, Phase.VERDICTS, null);
        l.phaseStarted(drill, Phase.CLEANUP);
        l.phaseFinished(drill, Phase.CLEANUP, null);
        DrillReport report = Drills.report(tl, List.of(Drills.met(), Drills.missed()), null, attachments);
        l.drillFinished(drill, report);
        return report;
    }

    private String content(Attachment a) {
        assertThat(writer.attachments).containsKey(a.getSource());
        return writer.attachments.get(a.getSource());
    }

    private static Attachment attachment(List<Attachment> list, String name) {
        return list.stream()
                .filter(a -> a.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no attachment " + name + " in "
                        + list.stream().map(Attachment::getName).toList()));
    }

    private static Map<String, String> params(StepResult s) {
        return s.getParameters().stream().collect(Collectors.toMap(Parameter::getName, Parameter::getValue));
    }

    @Test
    void mapsEachDrillEventToStepsAttachmentsAndLabels() throws Exception {
        startTestCase();
        runDrill(
                listener(),
                Drills.info(Drills.lab(), "run-1"),
                Map.of("lab-call-log", "[{\"op\":\"StartExperiment\"}]"));
        TestResult tr = finishTestCase();

        assertThat(tr.getSteps())
                .extracting(StepResult::getName)
                .containsExactly(
                        "Resolve targets: 1 by nodes [workload=checkout]",
                        "Check guardrails",
                        "Create the FIS experiment template EXT123",
                        "Start the FIS experiment EXP456, lead time PT2M",
                        "Observe",
                        "Decide verdicts: 1 of 2 met",
                        "Clean up");
        assertThat(tr.getSteps())
                .extracting(StepResult::getStatus)
                .containsExactly(
                        Status.PASSED,
                        Status.PASSED,
                        Status.PASSED,
                        Status.PASSED,
                        Status.PASSED,
                        Status.FAILED,
                        Status.PASSED);
        assertThat(tr.getSteps()).allSatisfy(s -> assertThat(s.getStop()).isGreaterThanOrEqualTo(s.getStart()));
        assertThat(params(tr.getSteps().get(0)))
                .containsEntry("i-0abc", "m5.large · us-east-1a · node ip-10-0-1-1")
                .containsEntry("seed", "42");
        assertThat(params(tr.getSteps().get(3)))
                .containsEntry("experiment", "EXP456")
                .containsEntry("status", "completed");

        List<StepResult> verdicts = tr.getSteps().get(5).getSteps();
        assertThat(verdicts)
                .extracting(StepResult::getName)
                .containsExactly(
                        Drills.TAINT + " · i-0abc: met +2.1s (deadline +30.4s)",
                        "@ExpectDrain · i-0abc: missed (deadline +120.0s)");
        assertThat(verdicts).extracting(StepResult::getStatus).containsExactly(Status.PASSED, Status.FAILED);
        assertThat(params(verdicts.get(0)))
                .containsEntry("window", "NOTICE+PT30S")
                .containsEntry("window start", "+0.4s")
                .containsEntry("deadline", "+30.4s")
                .containsEntry("met at", "+2.1s");
        assertThat(params(verdicts.get(1)))
                .containsEntry("last seen", "2 pods left on ip-10-0-1-1")
                .doesNotContainKey("met at");
        assertThat(verdicts.get(1).getStatusDetails().getMessage()).startsWith("@ExpectDrain missed for i-0abc");

        Attachment template = attachment(tr.getSteps().get(2).getAttachments(), "FIS experiment template");
        assertThat(template.getType()).isEqualTo("application/json");
        assertThat(content(template)).isEqualTo("{\"description\":\"spotdrill run-1\",\"actions\":{}}");

        List<Attachment> att = tr.getAttachments();
        assertThat(att)
                .extracting(Attachment::getName)
                .containsExactly(
                        "FIS experiment (last state)",
                        "Timeline",
                        "Timeline (text)",
                        "Observations: fis",
                        "Observations: imds",
                        "Observations: kube",
                        "Lab API-call log",
                        "Drill progress");
        assertThat(content(attachment(att, "FIS experiment (last state)"))).contains("\"completed\"");
        Attachment svg = attachment(att, "Timeline");
        assertThat(svg.getType()).isEqualTo("image/svg+xml");
        assertThat(svg.getSource()).endsWith("-attachment.svg");
        DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new ByteArrayInputStream(content(svg).getBytes(StandardCharsets.UTF_8)));
        assertThat(content(svg)).contains(Drills.TAINT.replace("\"", "&quot;"), "✓", "✗");
        assertThat(content(attachment(att, "Observations: imds")))
                .contains("\"kind\" : \"NOTICE\"", "\\\"action\\\":\\\"terminate\\\"", "\"offset\" : \"+0.4s\"")
                .doesNotContain("TAINT_ADDED");
        assertThat(content(attachment(att, "Observations: kube")))
                .contains("TAINT_ADDED")
                .doesNotContain("REBALANCE");
        Attachment callLog = attachment(att, "Lab API-call log");
        assertThat(callLog.getType()).isEqualTo("application/json");
        assertThat(content(callLog)).isEqualTo("[{\"op\":\"StartExperiment\"}]");
        assertThat(content(attachment(att, "Drill progress")))
                .contains("[spotdrill] i-0abc NOTICE +0.4s · " + Drills.TAINT + " ✓ +2.1s (deadline +30.4s)")
                .contains("[spotdrill] waiting for 2 expectations until +120s");

        assertThat(tr.getLabels())
                .extracting(Label::getName, Label::getValue)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("feature", "Spot interruption"),
                        org.assertj.core.groups.Tuple.tuple("story", Drills.TAINT),
                        org.assertj.core.groups.Tuple.tuple("story", "@ExpectDrain"),
                        org.assertj.core.groups.Tuple.tuple("target", "i-0abc"),
                        org.assertj.core.groups.Tuple.tuple("instanceType", "m5.large"),
                        org.assertj.core.groups.Tuple.tuple("zone", "us-east-1a"),
                        org.assertj.core.groups.Tuple.tuple("node", "ip-10-0-1-1"),
                        org.assertj.core.groups.Tuple.tuple("world", "lab"));
        assertThat(tr.getLabels().stream().filter(l -> l.getName().equals("story")))
                .hasSize(2);
        assertThat(tr.getLinks()).as("no console link in the lab").isEmpty();
        assertThat(results.resolve("environment.properties")).exists();
    }

    @Test
    void linksTheFisConsoleOnAws() {
        startTestCase();
        World aws = World.builder("aws")
                .region("eu-west-1")
                .clock(WorldClock.system())
                .build();
        runDrill(listener(), Drills.info(aws, "run-aws"), Map.of());
        TestResult tr = finishTestCase();

        assertThat(tr.getLinks()).singleElement().satisfies(l -> {
            assertThat(l.getName()).isEqualTo("FIS experiment EXP456");
            assertThat(l.getUrl())
                    .isEqualTo("https://eu-west-1.console.aws.amazon.com/fis/home?region=eu-west-1"
                            + "#ExperimentDetails:ExperimentId=EXP456");
        });
        assertThat(tr.getLabels())
                .extracting(Label::getName, Label::getValue)
                .contains(org.assertj.core.groups.Tuple.tuple("world", "aws"));
        assertThat(tr.getAttachments()).extracting(Attachment::getName).doesNotContain("Lab API-call log");
    }

    @Test
    void marksFailedAndUnfinishedPhases() {
        startTestCase();
        AllureDrillListener l = listener();
        DrillInfo drill = Drills.info(Drills.lab(), "run-fail");
        l.drillStarted(drill);
        l.phaseStarted(drill, Phase.RESOLVE);
        l.phaseFinished(drill, Phase.RESOLVE, null);
        l.phaseStarted(drill, Phase.GUARDRAILS);
        GuardrailException refused = new GuardrailException("Guardrail refused i-0abc: it is on-demand, not Spot");
        l.phaseFinished(drill, Phase.GUARDRAILS, refused);
        l.phaseStarted(drill, Phase.CLEANUP);
        l.phaseFinished(drill, Phase.CLEANUP, new IllegalStateException("could not delete template EXT123"));
        l.phaseStarted(drill, Phase.OBSERVE); // never finished
        l.drillFinished(
                drill,
                new DrillReport(
                        List.of(Drills.TARGET),
                        42,
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        new Timeline(),
                        List.of(),
                        Optional.of(refused),
                        Map.of()));
        TestResult tr = finishTestCase();

        assertThat(tr.getSteps())
                .extracting(StepResult::getName, StepResult::getStatus)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "Resolve targets: 1 by nodes [workload=checkout]", Status.PASSED),
                        org.assertj.core.groups.Tuple.tuple("Check guardrails", Status.FAILED),
                        org.assertj.core.groups.Tuple.tuple("Clean up", Status.BROKEN),
                        org.assertj.core.groups.Tuple.tuple("Observe", Status.BROKEN));
        assertThat(tr.getSteps().get(1).getStatusDetails().getMessage())
                .isEqualTo("Guardrail refused i-0abc: it is on-demand, not Spot");
        assertThat(tr.getSteps().get(1).getStatusDetails().getTrace()).contains("GuardrailException");
        assertThat(tr.getSteps().get(2).getStatusDetails().getMessage()).isEqualTo("could not delete template EXT123");
        assertThat(tr.getSteps().get(3).getStatusDetails().getMessage()).isEqualTo("OBSERVE did not finish");
        assertThat(tr.getAttachments())
                .extracting(Attachment::getName)
                .contains("Timeline")
                .doesNotContain("Observations: imds");
        assertThat(content(attachment(tr.getAttachments(), "Drill progress")))
                .contains(
                        "[spotdrill] GUARDRAILS failed: Guardrail refused i-0abc",
                        "FAILED: 0/0 met; Guardrail refused");
    }

    @Test
    void takesCallbacksFromProbeThreadsWithoutTouchingTheirAllureContext() throws Exception {
        startTestCase();
        AllureDrillListener l = listener();
        DrillInfo drill = Drills.info(Drills.lab(), "run-threads");
        l.drillStarted(drill);
        l.phaseStarted(drill, Phase.OBSERVE);
        probes = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "spotdrill-test-probe");
            t.setDaemon(true);
            return t;
        });
        List<java.util.concurrent.Future<?>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            futures.add(probes.submit(() -> {
                l.observed(drill, new Observation(at(n * 0.1), "kube", "i-0abc", "POD_EVICTED", "pod " + n, Map.of()));
                l.progress(drill, "probe line " + n);
            }));
        }
        for (var f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        probes.submit(() -> l.verdict(drill, Drills.met())).get(60, TimeUnit.SECONDS);
        l.phaseFinished(drill, Phase.OBSERVE, null);
        l.drillFinished(drill, Drills.report(Drills.timeline(), List.of(Drills.met()), null, Map.of()));

        assertThat(allure.getCurrentTestCaseOrStep())
                .as("the test thread's context is as it was")
                .contains(testCase);
        TestResult tr = finishTestCase();
        assertThat(tr.getSteps())
                .extracting(StepResult::getName)
                .containsExactly("Observe", "Decide verdicts: 1 of 1 met");
        assertThat(tr.getSteps().get(1).getSteps()).hasSize(1);
        String progress = content(attachment(tr.getAttachments(), "Drill progress"));
        assertThat(progress.lines().filter(s -> s.startsWith("[spotdrill] probe line ")))
                .hasSize(200);
    }

    @Test
    void doesNothingWhenNoAllureTestCaseRuns() {
        AllureDrillListener l = listener();
        runDrill(l, Drills.info(Drills.lab(), "run-none"), Map.of("lab-call-log", "[]"));
        assertThat(writer.results).isEmpty();
        assertThat(writer.attachments).isEmpty();
        assertThat(results.resolve("environment.properties")).doesNotExist();
    }

    @Test
    void ignoresEventsOfADrillItNeverSawStart() {
        startTestCase();
        AllureDrillListener l = listener();
        DrillInfo drill = Drills.info(Drills.lab(), "run-unknown");
        l.phaseStarted(drill, Phase.RESOLVE);
        l.verdict(drill, Drills.met());
        l.drillFinished(drill, Drills.report(Drills.timeline(), List.of(Drills.met()), null, Map.of()));
        TestResult tr = finishTestCase();
        assertThat(tr.getSteps()).isEmpty();
        assertThat(writer.attachments).isEmpty();
    }

    @Test
    void isFoundByServiceLoaderNextToTheConsole() {
        assertThat(DrillListener.load())
                .hasAtLeastOneElementOfType(AllureDrillListener.class)
                .hasAtLeastOneElementOfType(ConsoleProgress.class);
    }

    @Test
    void writesReportFilesIntoTheResultsDirectoryOnce() throws Exception {
        startTestCase();
        runDrill(listener(), Drills.info(Drills.lab(), "run-files"), Map.of());
        finishTestCase();
        Path env = results.resolve("environment.properties");
        assertThat(Files.readString(env))
                .contains("world=lab\n", "region=us-east-1\n", "pace=60\n", "spotdrill.version=");
        assertThat(results.resolve("categories.json")).exists();
        Files.delete(env);
        allure.scheduleTestCase(new TestResult().setUuid("second").setName("again"));
        allure.startTestCase("second");
        runDrill(listener(), Drills.info(Drills.lab(), "run-files-2"), Map.of());
        assertThat(env).as("written once per JVM and directory").doesNotExist();
    }
}
