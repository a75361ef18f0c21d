package dev.spotdrill.allure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryCarrierTest {
    @TempDir
    Path dir;

    private Path previousReport() throws Exception {
        Path report = dir.resolve("previous-report");
        Files.createDirectories(report.resolve("history"));
        Files.writeString(report.resolve("history/history.json"), "{\"abc\":{}}");
        Files.writeString(report.resolve("history/history-trend.json"), "[{\"buildOrder\":16}]");
        Files.writeString(report.resolve("index.html"), "<html/>");
        return report;
    }

    @Test
    void copiesThePreviousHistoryIntoTheResults() throws Exception {
        Path results = dir.resolve("allure-results");
        Files.createDirectories(results.resolve("history"));
        Files.writeString(results.resolve("history/history-trend.json"), "stale");

        assertThat(HistoryCarrier.copy(previousReport(), results)).isEqualTo(2);
        assertThat(results.resolve("history/history.json")).hasContent("{\"abc\":{}}");
        assertThat(results.resolve("history/history-trend.json")).hasContent("[{\"buildOrder\":16}]");
        assertThat(results.resolve("index.html")).doesNotExist();
    }

    @Test
    void takesAHistoryFolderAsItIs() throws Exception {
        Path results = dir.resolve("allure-results");
        assertThat(HistoryCarrier.copy(previousReport().resolve("history"), results))
                .isEqualTo(2);
        assertThat(results.resolve("history/history.json")).exists();
    }

    @Test
    void copiesNothingFromAReportWithoutHistory() throws Exception {
        Path first = Files.createDirectories(dir.resolve("first-night"));
        Path results = dir.resolve("allure-results");
        assertThat(HistoryCarrier.copy(first, results)).isZero();
        assertThat(results.resolve("history")).doesNotExist();
    }

    @Test
    void refusesAMissingPreviousReportWithTheFix() {
        Path missing = dir.resolve("no-such-report");
        assertThatThrownBy(() -> HistoryCarrier.copy(missing, dir.resolve("allure-results")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "spotdrill.report.history=" + missing + ": no such directory; point it at the previous"
                                + " Allure report (the folder that holds history/), or leave it unset for a report without trend");
    }

    @Test
    void aMissingRelativeDirectorySaysWhereItWasLookedFor() {
        Path relative = Path.of("no-such-previous-report");
        assertThatThrownBy(() -> HistoryCarrier.copy(relative, dir.resolve("allure-results")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(
                        "spotdrill.report.history=no-such-previous-report: no such directory (a relative"
                                + " path, read from " + Path.of("").toAbsolutePath()
                                + ", the test JVM's working directory:"
                                + " give an absolute path); point it at the previous Allure report");
    }

    @Test
    void carriesTheConfiguredHistoryOncePerJvm() throws Exception {
        Path results = dir.resolve("allure-results");
        SpotDrillConfig config = SpotDrillConfig.of(
                Map.of(HistoryCarrier.HISTORY, previousReport().toString()));
        assertThat(HistoryCarrier.carryConfigured(SpotDrillConfig.of(Map.of()), results))
                .isEmpty();
        assertThat(HistoryCarrier.carryConfigured(config, results)).contains(2);
        assertThat(HistoryCarrier.carryConfigured(config, results))
                .as("only once")
                .isEmpty();
    }

    @Test
    void runsFromTheCommandLine() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream o = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
        java.io.PrintStream e = new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8);
        Path results = dir.resolve("cli-results");

        assertThat(HistoryCarrier.run(new String[] {previousReport().toString(), results.toString()}, o, e))
                .isZero();
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8))
                .startsWith("[spotdrill] carried 2 history files from ");
        assertThat(HistoryCarrier.run(new String[] {dir.resolve("nope").toString(), results.toString()}, o, e))
                .isEqualTo(1);
        assertThat(HistoryCarrier.run(new String[0], o, e)).isEqualTo(2);
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("no such directory; point it at the previous Allure report")
                .contains("usage: HistoryCarrier <previous-report-dir> [<allure-results-dir>]");
    }
}
