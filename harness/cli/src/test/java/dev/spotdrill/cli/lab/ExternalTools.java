package dev.spotdrill.cli.lab;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs a real command-line client (kubectl, aws, curl) for the CLI tests, with a clean environment: the
 * caller's AWS_* and KUBECONFIG variables are dropped so that nothing real is reached by accident.
 */
final class ExternalTools {
    /** Set by .ci/run: a missing tool fails the test instead of skipping it. */
    static final String REQUIRED_ENV = "SPOTDRILL_CLI_TESTS";

    record Result(List<String> command, int exit, String out, String err) {
        String both() {
            return out + err;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private ExternalTools() {}

    /** The tool on the PATH, or the test is skipped (failed when {@value #REQUIRED_ENV}=required) saying why. */
    static Path require(String tool, String installHint) {
        Optional<Path> p = find(tool);
        if (p.isEmpty()) {
            String why = tool + " is not on the PATH; " + installHint;
            if ("required".equals(System.getenv(REQUIRED_ENV))) {
                fail(why + " (" + REQUIRED_ENV + "=required)");
            }
            Assumptions.abort(why);
        }
        return p.get();
    }

    static Optional<Path> find(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The KEY=value lines of an env file (comments and blank lines skipped). */
    static Map<String, String> envFile(Path file) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            out.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return out;
    }

    static Result run(Map<String, String> env, Path workDir, Duration timeout, String... command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("AWS_") || k.equals("KUBECONFIG"));
        e.putAll(env);
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            fail(String.join(" ", command) + " did not end within " + timeout + ":\n"
                    + Files.readString(out, StandardCharsets.UTF_8) + Files.readString(err, StandardCharsets.UTF_8));
        }
        Result r = new Result(
                new ArrayList<>(List.of(command)),
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }
}
