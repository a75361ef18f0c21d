package dev.spotdrill.core.drill;

import dev.spotdrill.core.SpotDrillException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The door every creating call of one drill goes through (claims, template, rule and queue, probe pods, the
 * experiment), so that the JVM's shutdown cleanup can close it: once closed, nothing more is created, and a call in
 * flight finishes before the cleanup looks at what exists.
 */
final class Gate {
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;

    /** Runs a creating call, unless the gate is closed. */
    <T> T pass(String what, Supplier<T> call) {
        lock.lock();
        try {
            if (closed || JvmExit.shuttingDown()) {
                throw new SpotDrillException("spotdrill did not " + what + ": the JVM is shutting down (SIGTERM or"
                        + " exit), and its cleanup removes what the drill had created");
            }
            return call.get();
        } finally {
            lock.unlock();
        }
    }

    /** Closes the gate, waiting up to the given wall milliseconds for a call in flight; true if none was left. */
    boolean close(long waitMillis) {
        boolean quiet;
        try {
            quiet = lock.tryLock(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            quiet = false;
        }
        closed = true;
        if (quiet) {
            lock.unlock();
        }
        return quiet;
    }
}
