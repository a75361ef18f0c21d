package dev.spotdrill.cli.lab;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code spotdrill} in a child JVM, on this module's runtime class path (target/classes and the class path that
 * maven-dependency-plugin wrote to target/runtime-classpath.txt), as {@code ./spotdrill} runs it from the jar.
 */
final class ChildProcess implements AutoCloseable {
    final Process process;
    final Path stdout;
    final Path stderr;
    final List<String> command;

    private ChildProcess(Process process, Path stdout, Path stderr, List<String> command) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.command = command;
    }

    static List<String> javaCommand(String... args) throws IOException {
        Path target = Path.of("target").toAbsolutePath();
        String deps = Files.readString(target.resolve("runtime-classpath.txt"), StandardCharsets.UTF_8)
                .trim();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xshare:auto");
        cmd.add("-cp");
        cmd.add(target.resolve("classes") + java.io.File.pathSeparator + deps);
        cmd.add("dev.spotdrill.cli.Main");
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts {@code spotdrill <args>} in the directory, with its output in files there. */
    static ChildProcess start(Path dir, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = javaCommand(args);
        Files.createDirectories(dir);
        Path out = Files.createTempFile(dir, "stdout", ".txt");
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("AWS_") || k.equals("KUBECONFIG") || k.startsWith("SPOTDRILL_"));
        pb.environment().putAll(env);
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        return new ChildProcess(pb.start(), out, err, cmd);
    }

    /** Runs {@code spotdrill <args>} to its end. */
    static Result run(Path dir, String... args) throws Exception {
        try (ChildProcess p = start(dir, Map.of(), args)) {
            if (!p.process.waitFor(120, TimeUnit.SECONDS)) {
                fail("spotdrill " + String.join(" ", args) + " did not end within 120 s:\n" + p.output());
            }
            return new Result(p.process.exitValue(), p.out(), p.err());
        }
    }

    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    String out() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String err() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    String output() throws IOException {
        return "--- stdout\n" + out() + "--- stderr\n" + err();
    }

    /** Waits for the lab's ready line; fails at once, with the output, when the process ends first. */
    void awaitReady(Duration atMost) {
        await().alias("spotdrill lab prints \"" + LabCommand.READY + "\"")
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(100))
                .failFast("spotdrill lab ended before it was ready", () -> !process.isAlive())
                .until(() -> out().contains(LabCommand.READY));
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
