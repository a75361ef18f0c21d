package dev.spotdrill.lab.fork;

import static org.awaitility.Awaitility.await;

import dev.spotdrill.lab.LabControl;
import dev.spotdrill.lab.SpotLab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A child JVM running {@link ForkedDrill} against a lab of this JVM, attached as any other process attaches: through
 * the lab's control endpoint ({@link LabControl}) and {@code spotdrill.lab.url}. Its output lines are collected as they
 * come.
 */
final class Fork implements AutoCloseable {
    private final Process process;
    private final Path output;
    private final String name;
    private final LabControl control;

    private Fork(String name, Process process, Path output, LabControl control) {
        this.name = name;
        this.process = process;
        this.output = output;
        this.control = control;
    }

    /**
     * Starts {@code ForkedDrill <args>} attached to the lab through a control endpoint of its own
     * ({@code -Dspotdrill.lab.url}), with the given system properties and {@code env} on top of this environment.
     */
    static Fork start(String name, SpotLab lab, Map<String, String> props, Map<String, String> env, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(cp);
        LabControl control = LabControl.start(lab);
        cmd.add("-Dspotdrill.world=lab");
        cmd.add("-Dspotdrill.lab.url=" + control.url());
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add(ForkedDrill.class.getName());
        cmd.addAll(List.of(args));
        Path output;
        try {
            output = Files.createTempFile("spotdrill-fork-" + name + "-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // to a file, not a pipe: a pipe's last lines can be lost when the process ends on a signal
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
        // the lab's credentials come with its description from the control endpoint, as they do for `spotdrill lab`
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("SPOTDRILL_"));
        pb.environment().putAll(env);
        try {
            return new Fork(name, pb.start(), output, control);
        } catch (IOException e) {
            control.close();
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (wall time) for an output line that matches, and returns it. */
    String awaitLine(Predicate<String> match, Duration atMost) {
        try {
            return await(name + " to print a matching line")
                    .atMost(atMost)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> lines().stream().filter(match).findFirst(), Optional::isPresent)
                    .orElseThrow();
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(
                    name + " printed no matching line within " + atMost + " (alive: " + process.isAlive()
                            + "); its output:\n" + String.join("\n", lines()),
                    e);
        }
    }

    /** Waits for the process to end; returns its exit code. */
    int awaitExit(Duration atMost) {
        await(name + " to exit")
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> !process.isAlive());
        return process.exitValue();
    }

    /** SIGTERM, as a CI cancel sends it. */
    void sigterm() {
        process.destroy();
    }

    /** SIGKILL: no shutdown hook runs. */
    void sigkill() {
        process.destroyForcibly();
    }

    /** Every line the child printed so far (stdout and stderr). */
    List<String> lines() {
        try {
            return Files.readAllLines(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        control.close();
        try {
            Files.deleteIfExists(output);
        } catch (IOException e) {
            // a temp file
        }
    }
}
