package dev.spotdrill.core.drill;

import dev.spotdrill.core.Redactor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * spotdrill's one JVM shutdown hook, installed by the first drill of the JVM. When the JVM ends (a CI cancel sends
 * SIGTERM, or the tests end), it first cleans up every drill still live, within {@link #LIMIT}: it stops the running
 * experiment, closes the drill's sources (its EventBridge rule and SQS queue, its IMDS probe pods), deletes the
 * template and removes the instance claims, printing one {@code [spotdrill]} line for each. Then it runs the exit tasks
 * registered with {@link #onExit}, such as the Slack summary of the night.
 *
 * <p>SIGKILL leaves no chance to clean up: {@link Leftovers} finds what is left by tag.
 */
public final class JvmExit {
    /** How long the cleanup of live drills may take, in wall time. */
    public static final Duration LIMIT = Duration.ofSeconds(20);

    private static final Set<Drill> LIVE = ConcurrentHashMap.newKeySet();
    private static final Map<String, Runnable> TASKS = new LinkedHashMap<>();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    private static final AtomicBoolean SHUTTING_DOWN = new AtomicBoolean();
    private static volatile Consumer<String> out = line -> System.out.println(line);

    private JvmExit() {}

    /**
     * Registers a task to run once when the JVM ends, after live drills are cleaned up; a second task of the same name
     * replaces the first. Tasks run in registration order and must be quick (a few seconds at most).
     */
    public static void onExit(String name, Runnable task) {
        install();
        synchronized (TASKS) {
            TASKS.put(name, task);
        }
    }

    /** Whether the JVM is shutting down: drills create nothing more. */
    public static boolean shuttingDown() {
        return SHUTTING_DOWN.get();
    }

    /** The drills that started and have not finished, in this JVM. */
    public static int liveDrills() {
        return LIVE.size();
    }

    static void register(Drill drill) {
        install();
        LIVE.add(drill);
    }

    static void deregister(Drill drill) {
        LIVE.remove(drill);
    }

    private static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            Thread hook = new Thread(JvmExit::atExit, "spotdrill-jvm-exit");
            try {
                Runtime.getRuntime().addShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: nothing can be registered any more
            }
        }
    }

    private static void atExit() {
        cleanUp(LIMIT);
        List<Runnable> tasks;
        synchronized (TASKS) {
            tasks = new ArrayList<>(TASKS.values());
        }
        for (Runnable t : tasks) {
            try {
                t.run();
            } catch (RuntimeException e) {
                print("an exit task failed: " + e.getMessage());
            }
        }
    }

    /**
     * Cleans up every live drill now, as the shutdown hook does, and marks the JVM as shutting down (no drill creates
     * anything afterwards); returns the lines printed.
     */
    static List<String> cleanUp(Duration limit) {
        SHUTTING_DOWN.set(true);
        List<Drill> drills = new ArrayList<>(LIVE);
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        if (drills.isEmpty()) {
            return lines;
        }
        long t0 = System.nanoTime();
        Consumer<String> say = line -> {
            lines.add(line);
            print(line);
        };
        say.accept("the JVM is shutting down: cleaning up " + drills.size() + " live drill"
                + (drills.size() == 1 ? "" : "s") + " (at most " + limit.toSeconds() + " s)");
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "spotdrill-exit-cleanup");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> futures = new ArrayList<>();
        for (Drill d : drills) {
            String who = d.info().runId() + " (" + d.info().testName() + "): ";
            futures.add(pool.submit(() -> d.emergencyCleanup(line -> say.accept(who + line))));
        }
        long deadline = t0 + limit.toNanos();
        List<String> unfinished = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                unfinished.add(drills.get(i).info().runId());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unfinished.add(drills.get(i).info().runId());
            } catch (java.util.concurrent.ExecutionException e) {
                say.accept(drills.get(i).info().runId() + ": cleanup failed: " + e.getCause());
            }
        }
        pool.shutdownNow();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (unfinished.isEmpty()) {
            say.accept(String.format(java.util.Locale.ROOT, "shutdown cleanup done in %.1f s", seconds));
        } else {
            say.accept(
                    "shutdown cleanup ran out of its " + limit.toSeconds() + " s for " + String.join(", ", unfinished)
                            + "; find what is left by tag spotdrill:run-id (Leftovers.find, or spotdrill sweep)");
        }
        return lines;
    }

    /** Where the cleanup's lines go, for tests; {@code System.out} by default. */
    static void output(Consumer<String> sink) {
        out = sink;
    }

    private static void print(String line) {
        out.accept(Redactor.redact("[spotdrill] " + line));
    }
}
