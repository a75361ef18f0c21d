package dev.spotdrill.core.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/** The shared scheduler on which every polling probe of every drill runs. */
public final class Probes {
    /** The shared pool's size: daemon threads named {@code spotdrill-probe-N}, alive for the JVM's life. */
    public static final int THREADS = 8;

    private static final ScheduledExecutorService SCHEDULER;

    static {
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(THREADS, r -> {
            Thread t = new Thread(r, "spotdrill-probe-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        SCHEDULER = s;
    }

    private Probes() {}

    public static ScheduledExecutorService scheduler() {
        return SCHEDULER;
    }
}
