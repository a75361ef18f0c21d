package dev.spotdrill.allure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.junit.ExpectBlacklistMatchesAdvisor;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.ExpectTermination;
import dev.spotdrill.junit.RunCronJob;
import dev.spotdrill.junit.SpotDrill;
import dev.spotdrill.junit.SpotInterruption;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import io.qameta.allure.Allure;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.FileSystemResultsWriter;
import io.qameta.allure.junitplatform.AllureJunitPlatform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Real drills on a lab, run by the JUnit extension under allure-junit5, end up as Allure results files a reviewer can
 * read: the test's status matches the verdicts, every phase is a step, the evidence is attached.
 *
 * <p>Each test points {@code allure.results.directory} at its own temporary directory and runs the fixture through a
 * JUnit {@link Launcher} with Allure's {@link AllureJunitPlatform} listener, as surefire does.
 */
class AllureEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NOTICE = "@ExpectImdsNotice(action=\"terminate\")";

    @TempDir
    Path results;

    private String previousResultsProperty;
    private AllureLifecycle previousLifecycle;
    private AllureLifecycle lifecycle;

    @SpotDrill
    static class PassingDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        @ExpectTermination
        void checkoutIsWarnedThenTerminated() {}
    }

    @SpotDrill
    static class MissedNoticeDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a04", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void cartIsWarned() {}
    }

    @SpotDrill
    static class NightlyBlacklisterRun {
        @org.junit.jupiter.api.Test
        @RunCronJob(value = "cast-ai/spot-blacklist", within = "PT2M")
        void blacklisterRunsToCompletion() {}
    }

    @SpotDrill
    static class NightlyBlacklistCheck {
        @org.junit.jupiter.api.Test
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        void blacklistMatchesTheAdvisor() {}
    }

    @BeforeEach
    void pointAllureAtATempDirectory() {
        previousResultsProperty = System.getProperty("allure.results.directory");
        previousLifecycle = Allure.getLifecycle();
        System.setProperty("allure.results.directory", results.toString());
        lifecycle = new AllureLifecycle(new FileSystemResultsWriter(results));
        // the drill listener found by ServiceLoader writes through Allure's global lifecycle
        Allure.setLifecycle(lifecycle);
    }

    @AfterEach
    void restoreAllure() {
        Allure.setLifecycle(previousLifecycle);
        if (previousResultsProperty == null) {
            System.clearProperty("allure.results.directory");
        } else {
            System.setProperty("allure.results.directory", previousResultsProperty);
        }
    }

    @Test
    void allureJunit5RegistersItselfAsALauncherListener() {
        // surefire's launcher finds it this way; the runs below add it explicitly with the per-test lifecycle
        assertThat(ServiceLoader.load(TestExecutionListener.class).stream()
                        .map(p -> p.type().getName()))
                .contains(AllureJunitPlatform.class.getName());
    }

    @Test
    void aPassingDrillIsAPassedTestWithEveryPhaseTheVerdictsAndTheEvidence() throws Exception {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(60).build())) {
            TestExecutionSummary summary = run(lab, PassingDrill.class);
            assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
        }
        awaitNoSpotdrillThreads();

        JsonNode result = onlyResult();
        assertThat(result.path("name").asText()).isEqualTo("checkoutIsWarnedThenTerminated()");
        assertThat(result.path("status").asText()).isEqualTo("passed");

        List<String> steps = names(result.path("steps"));
        assertThat(steps).hasSizeGreaterThanOrEqualTo(7);
        assertThat(steps.get(0)).startsWith("Resolve targets: 1 by instances");
        assertThat(steps)
                .anyMatch(s -> s.equals("Check guardrails"))
                .anyMatch(s -> s.startsWith("Create the FIS experiment template EXT"))
                .anyMatch(s -> s.startsWith("Start the FIS experiment EXP") && s.endsWith("lead time PT2M"))
                .anyMatch(s -> s.equals("Observe"))
                .anyMatch(s -> s.equals("Decide verdicts: 3 of 3 met"));
        // the drill's FIS cost comes last, once the experiment has ended
        assertThat(steps.get(steps.size() - 2)).isEqualTo("Clean up");
        assertThat(steps.get(steps.size() - 1)).startsWith("FIS cost $");
        assertThat(statuses(result.path("steps"))).containsOnly("passed");

        JsonNode verdicts = step(result, "Decide verdicts").path("steps");
        assertThat(names(verdicts))
                .hasSize(3)
                .anyMatch(s -> s.startsWith("@ExpectRebalanceRecommendation · i-0c0ffee0000000a01: met +"))
                .anyMatch(s -> s.startsWith(NOTICE + " · i-0c0ffee0000000a01: met +"))
                .anyMatch(s -> s.startsWith("@ExpectTermination") && s.contains(": met +"));
        assertThat(statuses(verdicts)).containsOnly("passed");

        assertThat(labels(result))
                .contains("world=lab", "target=i-0c0ffee0000000a01", "instanceType=m5.large", "zone=us-east-1a")
                .contains("feature=Spot interruption", "story=" + NOTICE);

        Document svg = svg(result);
        assertThat(expectationMarks(svg))
                .containsExactlyInAnyOrder(
                        "@ExpectRebalanceRecommendation=met",
                        NOTICE + "=met",
                        expectationNamed(svg, "@ExpectTermination") + "=met");
        assertThat(svg.getDocumentElement().getTextContent()).contains("START", "INTERRUPTION");

        JsonNode calls = JSON.readTree(attachment(result, "Lab API-call log"));
        assertThat(calls.isArray()).isTrue();
        assertThat(operations(calls))
                .contains(
                        "fis:CreateExperimentTemplate",
                        "fis:StartExperiment",
                        "fis:DeleteExperimentTemplate",
                        "ec2:DescribeInstances");
        assertThat(attachment(result, "FIS experiment template")).contains("aws:ec2:send-spot-instance-interruptions");
        assertThat(attachment(result, "Observations: imds")).contains("\"action\" : \"terminate\"");

        assertReportFiles();
    }

    @Test
    void aMissedNoticeIsAFailedTestWithTheMissedVerdictAndItsDeadline() throws Exception {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("imds.no-notice")
                .build())) {
            TestExecutionSummary summary = run(lab, MissedNoticeDrill.class);
            assertThat(summary.getTestsFailedCount()).isEqualTo(1);
        }
        awaitNoSpotdrillThreads();

        JsonNode result = onlyResult();
        assertThat(result.path("status").asText()).isEqualTo("failed");
        assertThat(result.path("statusDetails").path("message").asText())
                .startsWith(NOTICE + " missed for i-0c0ffee0000000a04 (c5.large, us-east-1a)")
                .contains("last seen: GET /latest/meta-data/spot/instance-action -> 404 Not Found");

        List<String> steps = names(result.path("steps"));
        assertThat(steps.get(0)).startsWith("Resolve targets");
        // the drill's FIS cost comes last, once the experiment has ended
        assertThat(steps.get(steps.size() - 2)).isEqualTo("Clean up");
        assertThat(steps.get(steps.size() - 1)).startsWith("FIS cost $");
        JsonNode verdictStep = step(result, "Decide verdicts");
        assertThat(verdictStep.path("name").asText()).isEqualTo("Decide verdicts: 1 of 2 met");
        assertThat(verdictStep.path("status").asText()).isEqualTo("failed");
        Map<String, String> verdicts = new LinkedHashMap<>();
        verdictStep
                .path("steps")
                .forEach(s ->
                        verdicts.put(s.path("name").asText(), s.path("status").asText()));
        assertThat(verdicts)
                .hasSize(2)
                .containsEntry(NOTICE + " · i-0c0ffee0000000a04: missed (deadline +120.0s)", "failed")
                .anySatisfy((name, status) -> assertThat(name + "=" + status)
                        .startsWith("@ExpectRebalanceRecommendation · i-0c0ffee0000000a04: met +")
                        .endsWith("=passed"));
        // the clean-up still ran, and passed: the template is gone even though the drill failed
        assertThat(step(result, "Clean up").path("status").asText()).isEqualTo("passed");

        assertThat(labels(result)).contains("world=lab", "target=i-0c0ffee0000000a04", "instanceType=c5.large");

        Document svg = svg(result);
        assertThat(expectationMarks(svg))
                .containsExactlyInAnyOrder("@ExpectRebalanceRecommendation=met", NOTICE + "=missed");
        assertThat(svg.getDocumentElement().getTextContent()).contains("✗ missed at deadline +120.0s");

        assertThat(operations(JSON.readTree(attachment(result, "Lab API-call log"))))
                .contains("fis:DeleteExperimentTemplate");

        assertReportFiles();
        // the category regexes put this failure under "Deadline missed", as Allure will
        String message = result.path("statusDetails").path("message").asText();
        assertThat(message).matches(AllureResultsFiles.MISSED_REGEX);
        assertThat(message).doesNotMatch(AllureResultsFiles.GUARDRAIL_REGEX);
    }

    @Test
    void anObservationOnlyDrillIsReportedWithItsOwnStepsTheJobsLogAndNoExperiment() throws Exception {
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(20).build())) {
            TestExecutionSummary summary = run(lab, NightlyBlacklisterRun.class);
            assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
        }
        awaitNoSpotdrillThreads();

        JsonNode result = onlyResult();
        assertThat(result.path("status").asText()).isEqualTo("passed");
        assertThat(names(result.path("steps")))
                .containsExactly(
                        "Plan the sources: observation-only, no targets",
                        "Start observing (no FIS experiment)",
                        "Observe",
                        "Decide verdicts: 1 of 1 met",
                        "Clean up");
        JsonNode verdicts = step(result, "Decide verdicts").path("steps");
        assertThat(names(verdicts))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .matches("@RunCronJob\\(\"cast-ai/spot-blacklist\"\\): met \\+\\d+\\.\\ds \\(deadline \\+120\\.0s\\)");
        assertThat(labels(result))
                .contains(
                        "feature=Observation-only check", "world=lab", "story=@RunCronJob(\"cast-ai/spot-blacklist\")")
                .noneMatch(l -> l.startsWith("target=") || l.startsWith("instanceType="));

        Document svg = svg(result);
        assertThat(expectationMarks(svg)).containsExactly("@RunCronJob(\"cast-ai/spot-blacklist\")=met");
        assertThat(svg.getDocumentElement().getTextContent())
                .contains("START", "observation-only")
                .doesNotContain("INTERRUPTION", "lead time");
        assertThat(attachment(result, "Observations: cronjob"))
                .contains("JOB_CREATED", "JOB_COMPLETE", "done: 5 types blacklisted until");
        assertThat(attachment(result, "Drill progress")).contains("observation-only (no FIS experiment)");
        assertThat(operations(JSON.readTree(attachment(result, "Lab API-call log"))))
                .noneMatch(o -> o.startsWith("fis:"));
    }

    @Test
    void aRevokedCastAiKeyIsNamedAndNeitherKeyReachesAnyAllureFile() throws Exception {
        String envKey = System.getenv("SPOTDRILL_CASTAI_API_KEY");
        String labKey;
        String organization;
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario("shop")
                .pace(60)
                .faults("castai.unauthorized")
                .build())) {
            labKey =
                    lab.world().secret("SPOTDRILL_CASTAI_API_KEY").orElseThrow().reveal();
            organization = lab.castAi().organizationId();
            TestExecutionSummary summary = run(lab, NightlyBlacklistCheck.class);
            assertThat(summary.getTestsFailedCount()).isEqualTo(1);
        }
        awaitNoSpotdrillThreads();

        JsonNode result = onlyResult();
        assertThat(result.path("status").asText()).isIn("failed", "broken");
        assertThat(result.path("statusDetails").path("message").asText())
                .startsWith("@ExpectBlacklistMatchesAdvisor(os=\"Linux\", threshold=10): CAST AI refused the API key"
                        + " for ListBlacklist for organization " + organization)
                .contains("(401 Unauthorized: unauthorized: the API key is invalid or has been revoked); the key came"
                        + " from environment variable SPOTDRILL_CASTAI_API_KEY: set the environment variable"
                        + " SPOTDRILL_CASTAI_API_KEY to a CAST AI API key");
        assertThat(step(result, "Plan the sources").path("status").asText()).isIn("failed", "broken");
        // every file the run wrote: the organization id (no secret) is found in them, neither key is
        String all;
        try (Stream<Path> files = Files.walk(results)) {
            StringBuilder sb = new StringBuilder();
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                sb.append(Files.readString(p)).append('\n');
            }
            all = sb.toString();
        }
        assertThat(all).contains(organization).doesNotContain(envKey).doesNotContain(labKey);
    }

    // ---------------------------------------------------------------------------------------------------------

    private TestExecutionSummary run(SpotLab lab, Class<?> fixture) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("spotdrill.lab.attach", lab.id());
        params.put("junit.jupiter.execution.parallel.enabled", "true");
        params.put("junit.jupiter.execution.parallel.mode.default", "concurrent");
        Launcher launcher = LauncherFactory.create(LauncherConfig.builder()
                .enableTestExecutionListenerAutoRegistration(false)
                .addTestExecutionListeners(new AllureJunitPlatform(lifecycle))
                .build());
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(
                request()
                        .selectors(selectClass(fixture))
                        .configurationParameters(params)
                        .build(),
                summary);
        return summary.getSummary();
    }

    private void assertReportFiles() throws IOException {
        Properties env = new Properties();
        try (InputStream in = Files.newInputStream(results.resolve("environment.properties"))) {
            env.load(in);
        }
        assertThat(env)
                .containsEntry("world", "lab")
                .containsEntry("region", "us-east-1")
                .containsEntry("pace", "60")
                .containsKey("spotdrill.version");
        JsonNode categories = JSON.readTree(results.resolve("categories.json").toFile());
        assertThat(names(categories))
                .containsExactlyInAnyOrder(
                        AllureResultsFiles.GUARDRAIL_REFUSED,
                        AllureResultsFiles.FIS_EXPERIMENT_FAILED,
                        AllureResultsFiles.DEADLINE_MISSED,
                        AllureResultsFiles.INFRASTRUCTURE_ERROR);
    }

    private JsonNode onlyResult() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(results)) {
            files = s.filter(p -> p.getFileName().toString().endsWith("-result.json"))
                    .toList();
        }
        assertThat(files).as("result files in %s", results).hasSize(1);
        return JSON.readTree(files.get(0).toFile());
    }

    private static JsonNode step(JsonNode result, String prefix) {
        for (JsonNode s : result.path("steps")) {
            if (s.path("name").asText().startsWith(prefix)) {
                return s;
            }
        }
        throw new AssertionError("no step starting with " + prefix + " in " + names(result.path("steps")));
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path("name").asText()));
        return out;
    }

    private static List<String> statuses(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path("status").asText()));
        return out;
    }

    private static List<String> labels(JsonNode result) {
        List<String> out = new ArrayList<>();
        result.path("labels")
                .forEach(l ->
                        out.add(l.path("name").asText() + "=" + l.path("value").asText()));
        return out;
    }

    private static List<String> operations(JsonNode calls) {
        List<String> out = new ArrayList<>();
        calls.forEach(c ->
                out.add(c.path("service").asText() + ":" + c.path("operation").asText()));
        return out;
    }

    /** The content of the attachment of that name, on the test or on one of its steps. */
    private String attachment(JsonNode result, String name) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        result.path("attachments").forEach(all::add);
        result.path("steps").forEach(s -> s.path("attachments").forEach(all::add));
        for (JsonNode a : all) {
            if (a.path("name").asText().equals(name)) {
                return Files.readString(results.resolve(a.path("source").asText()));
            }
        }
        throw new AssertionError("no attachment named " + name + "; attachments: "
                + all.stream().map(a -> a.path("name").asText()).toList());
    }

    private Document svg(JsonNode result) throws Exception {
        String text = attachment(result, "Timeline");
        var factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = factory.newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
        return doc;
    }

    /** {@code expectation=verdict} for each expectation group in the picture. */
    private static List<String> expectationMarks(Document svg) {
        List<String> out = new ArrayList<>();
        NodeList groups = svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            if (g.getAttribute("class").equals("expectation")) {
                out.add(g.getAttribute("data-expectation") + "=" + g.getAttribute("data-verdict"));
            }
        }
        return out;
    }

    private static String expectationNamed(Document svg, String prefix) {
        return expectationMarks(svg).stream()
                .map(m -> m.substring(0, m.lastIndexOf('=')))
                .filter(n -> n.startsWith(prefix))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no expectation " + prefix + " in " + expectationMarks(svg)));
    }

    /** Nothing the lab or the drill started is left running; the probes' shared pool of daemon threads stays. */
    private static void awaitNoSpotdrillThreads() {
        await("spotdrill threads to end after the lab closed")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    List<String> names = Thread.getAllStackTraces().keySet().stream()
                            .filter(Thread::isAlive)
                            .map(Thread::getName)
                            .filter(n -> n.startsWith("spotdrill-"))
                            .toList();
                    assertThat(names.stream().filter(n -> !n.startsWith("spotdrill-probe-")))
                            .isEmpty();
                    assertThat(names).hasSizeLessThanOrEqualTo(dev.spotdrill.core.internal.Probes.THREADS);
                });
    }
}
