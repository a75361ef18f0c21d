package dev.spotdrill.allure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllureResultsFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path results;

    @Test
    void writesEnvironmentPropertiesThatJavaPropertiesReadsBack() throws Exception {
        World world = World.builder("lab")
                .region("us-east-1")
                .clock(WorldClock.paced(Drills.T0, 60))
                .fact("pace", "60")
                .fact("scenario", "shop = built-in: ü")
                .build();
        AllureResultsFiles.writeEnvironment(results, world);

        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(results.resolve("environment.properties"))) {
            p.load(r);
        }
        assertThat(p)
                .containsEntry("world", "lab")
                .containsEntry("region", "us-east-1")
                .containsEntry("pace", "60")
                .containsEntry("spotdrill.version", "0.1.0-SNAPSHOT")
                .containsEntry("scenario", "shop = built-in: ü")
                .containsKey("java.version");
        assertThat(Files.readString(results.resolve("environment.properties"))).matches("\\p{ASCII}*");
    }

    /** Allure puts a result into every category whose statuses and whole-message regex match it. */
    private static List<String> categoriesOf(JsonNode categories, String status, String message) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : categories) {
            boolean statusOk = false;
            for (JsonNode s : c.get("matchedStatuses")) {
                statusOk |= s.asText().equals(status);
            }
            String regex = c.has("messageRegex") ? c.get("messageRegex").asText() : null;
            boolean messageOk =
                    regex == null || Pattern.compile(regex).matcher(message).matches();
            if (statusOk && messageOk) {
                out.add(c.get("name").asText());
            }
        }
        return out;
    }

    @Test
    void categoriesPutEachSpotdrillFailureIntoExactlyOneCategory() throws Exception {
        AllureResultsFiles.writeCategories(results);
        JsonNode categories = JSON.readTree(results.resolve("categories.json").toFile());

        assertThat(categoriesOf(
                        categories,
                        "failed",
                        "@ExpectImdsNotice(action=\"terminate\") missed for i-0abc (m5.large, us-east-1a): window"
                                + " START..INTERRUPTION, deadline +120s\n  last seen: no notice\n  timeline:\n"
                                + "    +0.0s  - fis EXPERIMENT_STATE running\n"))
                .containsExactly(AllureResultsFiles.DEADLINE_MISSED);
        assertThat(categoriesOf(
                        categories,
                        "broken",
                        "Guardrail refused i-0abc: lifecycle is on-demand; a drill"
                                + " interrupts Spot instances only\nmissed nothing"))
                .containsExactly(AllureResultsFiles.GUARDRAIL_REFUSED);
        assertThat(categoriesOf(
                        categories,
                        "failed",
                        "FIS experiment EXP123abc ended failed: reason Target resolution failed, error code X"))
                .containsExactly(AllureResultsFiles.FIS_EXPERIMENT_FAILED);
        assertThat(categoriesOf(categories, "broken", "FIS experiment EXP9 ended cancelled: stop condition"))
                .containsExactly(AllureResultsFiles.FIS_EXPERIMENT_FAILED);
        assertThat(categoriesOf(categories, "broken", "Connection refused: localhost/127.0.0.1:4566"))
                .containsExactly(AllureResultsFiles.INFRASTRUCTURE_ERROR);
        assertThat(categoriesOf(categories, "failed", "expected: <2> but was: <1>"))
                .as("a user's own assertion stays in Allure's default product-defects category")
                .isEmpty();
        assertThat(categoriesOf(categories, "passed", "missed")).isEmpty();
    }

    @Test
    void writesExecutorJsonOnGitHubActions() throws Exception {
        Map<String, String> env = Map.of(
                "GITHUB_ACTIONS", "true",
                "GITHUB_SERVER_URL", "https://github.com",
                "GITHUB_REPOSITORY", "acme/shop",
                "GITHUB_RUN_NUMBER", "17",
                "GITHUB_RUN_ID", "99001",
                "GITHUB_WORKFLOW", "nightly spot drills");
        assertThat(AllureResultsFiles.writeExecutor(results, env::get)).isTrue();
        JsonNode e = JSON.readTree(results.resolve("executor.json").toFile());
        assertThat(e.get("name").asText()).isEqualTo("GitHub Actions");
        assertThat(e.get("type").asText()).isEqualTo("github");
        assertThat(e.get("url").asText()).isEqualTo("https://github.com/acme/shop");
        assertThat(e.get("buildOrder").asLong()).isEqualTo(17);
        assertThat(e.get("buildName").asText()).isEqualTo("nightly spot drills #17");
        assertThat(e.get("buildUrl").asText()).isEqualTo("https://github.com/acme/shop/actions/runs/99001");
    }

    @Test
    void writesExecutorJsonOnGitLabCi() throws Exception {
        Map<String, String> env = Map.of(
                "GITLAB_CI", "true",
                "CI_PROJECT_URL", "https://gitlab.example.com/acme/shop",
                "CI_PROJECT_NAME", "shop",
                "CI_PIPELINE_IID", "5",
                "CI_PIPELINE_URL", "https://gitlab.example.com/acme/shop/-/pipelines/123");
        assertThat(AllureResultsFiles.writeExecutor(results, env::get)).isTrue();
        JsonNode e = JSON.readTree(results.resolve("executor.json").toFile());
        assertThat(e.get("type").asText()).isEqualTo("gitlab");
        assertThat(e.get("buildName").asText()).isEqualTo("shop pipeline #5");
        assertThat(e.get("buildOrder").asLong()).isEqualTo(5);
        assertThat(e.get("buildUrl").asText()).endsWith("/pipelines/123");
    }

    @Test
    void writesNoExecutorJsonOutsideCi() {
        assertThat(AllureResultsFiles.writeExecutor(results, Map.of("CI", "true")::get))
                .isFalse();
        assertThat(AllureResultsFiles.writeExecutor(results, Map.of("GITHUB_ACTIONS", "false")::get))
                .isFalse();
        assertThat(results.resolve("executor.json")).doesNotExist();
    }

    @Test
    void writesOncePerDirectory() throws Exception {
        World world = Drills.lab();
        Path dir = results.resolve("nested/allure-results");
        assertThat(AllureResultsFiles.writeOnce(dir, world, Map.of("GITLAB_CI", "true")::get))
                .isTrue();
        assertThat(dir.resolve("environment.properties")).exists();
        assertThat(dir.resolve("categories.json")).exists();
        assertThat(dir.resolve("executor.json")).exists();
        assertThat(AllureResultsFiles.writeOnce(dir, world, k -> null)).isFalse();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temporary files left")
                    .containsExactlyInAnyOrder("environment.properties", "categories.json", "executor.json");
        }
    }

    @Test
    void resolvesTheResultsDirectoryAsAllureDoes() {
        String before = System.getProperty("allure.results.directory");
        try {
            System.setProperty("allure.results.directory", "build/somewhere");
            assertThat(AllureResultsFiles.resultsDirectory()).isEqualTo(Path.of("build/somewhere"));
        } finally {
            if (before == null) {
                System.clearProperty("allure.results.directory");
            } else {
                System.setProperty("allure.results.directory", before);
            }
        }
    }
}
