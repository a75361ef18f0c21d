package dev.spotdrill.core;

import java.time.Instant;

/** The two clock implementations behind {@link WorldClock}. */
final class Clocks {
    static final WorldClock SYSTEM = new WorldClock() {
        @Override
        public Instant now() {
            return Instant.now();
        }

        @Override
        public double pace() {
            return 1.0;
        }

        @Override
        public String toString() {
            return "WorldClock[system, pace=1]";
        }
    };

    private Clocks() {}

    static final class Paced implements WorldClock {
        private final Instant origin;
        private final long originNanos;
        private final double pace;

        Paced(Instant origin, double pace) {
            if (!(pace > 0) || Double.isInfinite(pace)) {
                throw new IllegalArgumentException("pace must be a positive number, was " + pace);
            }
            this.origin = origin;
            this.originNanos = System.nanoTime();
            this.pace = pace;
        }

        @Override
        public Instant now() {
            long wallNanos = System.nanoTime() - originNanos;
            return origin.plusNanos(Math.round(wallNanos * pace));
        }

        @Override
        public double pace() {
            return pace;
        }

        @Override
        public String toString() {
            return "WorldClock[paced, pace=" + pace + ", origin=" + origin + "]";
        }
    }
}
