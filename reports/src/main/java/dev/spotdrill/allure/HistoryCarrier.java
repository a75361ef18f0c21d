package dev.spotdrill.allure;

import dev.spotdrill.core.SpotDrillConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Carries a previous Allure report's {@code history/} into the new results, so that the nightly trend shows.
 *
 * <p>Name the previous report with {@code spotdrill.report.history} (system property, or
 * {@code SPOTDRILL_REPORT_HISTORY}) and the Allure listener copies it once per JVM; or run
 * {@code java dev.spotdrill.allure.HistoryCarrier <previous-report> [<results-dir>]} from a build step.
 */
public final class HistoryCarrier {
    /** The configuration key that names the previous report directory. */
    public static final String HISTORY = "spotdrill.report.history";

    private static final Set<Path> CARRIED = ConcurrentHashMap.newKeySet();

    private HistoryCarrier() {}

    /**
     * Copies {@code <previousReport>/history/*} into {@code <results>/history/}, replacing files of the same name.
     * A {@code previousReport} that is itself a {@code history} folder is taken as it is.
     *
     * @return how many files were copied; 0 when the previous report has no history yet (its first night)
     * @throws IllegalArgumentException when {@code previousReport} is not a directory
     * @throws UncheckedIOException when a file cannot be copied
     */
    public static int copy(Path previousReport, Path results) {
        if (!Files.isDirectory(previousReport)) {
            String where = previousReport.isAbsolute()
                    ? ""
                    : " (a relative path, read from " + Path.of("").toAbsolutePath()
                            + ", the test JVM's working directory: give an absolute path)";
            throw new IllegalArgumentException(HISTORY + "=" + previousReport
                    + ": no such directory" + where
                    + "; point it at the previous Allure report (the folder that holds history/),"
                    + " or leave it unset for a report without trend");
        }
        Path history = previousReport.getFileName() != null
                        && previousReport.getFileName().toString().equals("history")
                        && !Files.isDirectory(previousReport.resolve("history"))
                ? previousReport
                : previousReport.resolve("history");
        if (!Files.isDirectory(history)) {
            return 0;
        }
        Path target = results.resolve("history");
        int copied = 0;
        try {
            Files.createDirectories(target);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(history)) {
                for (Path f : files) {
                    if (Files.isRegularFile(f)) {
                        Files.copy(f, target.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
                        copied++;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "could not copy the report history from " + history + " to " + target + ": " + e.getMessage(), e);
        }
        return copied;
    }

    /**
     * Copies the history named by {@code spotdrill.report.history}, if any, into the results directory; only the
     * first call for a results directory in a JVM does anything.
     *
     * @return how many files were copied, or empty when nothing was to be done
     */
    static Optional<Integer> carryConfigured(SpotDrillConfig config, Path results) {
        Optional<String> previous = config.get(HISTORY);
        if (previous.isEmpty() || !CARRIED.add(results.toAbsolutePath().normalize())) {
            return Optional.empty();
        }
        return Optional.of(copy(Path.of(previous.get()), results));
    }

    /**
     * {@code HistoryCarrier <previous-report> [<results-dir>]}: copies the history and says how many files; the
     * results directory defaults to Allure's. Exits with 2 on bad usage and 1 on a bad directory.
     */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    static int run(String[] args, java.io.PrintStream out, java.io.PrintStream err) {
        if (args.length < 1 || args.length > 2) {
            err.println("usage: HistoryCarrier <previous-report-dir> [<allure-results-dir>]");
            return 2;
        }
        Path results = args.length == 2 ? Path.of(args[1]) : AllureResultsFiles.resultsDirectory();
        try {
            int n = copy(Path.of(args[0]), results);
            out.println("[spotdrill] carried " + n + " history file" + (n == 1 ? "" : "s") + " from " + args[0]
                    + " into " + results.resolve("history"));
            return 0;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println("[spotdrill] " + e.getMessage());
            return 1;
        }
    }
}
