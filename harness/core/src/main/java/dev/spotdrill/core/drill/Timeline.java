package dev.spotdrill.core.drill;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A drill's observations in world time, with its moments. Probes append to it from their own threads; readers
 * get consistent snapshots.
 */
public final class Timeline {
    private final List<Observation> observations = new CopyOnWriteArrayList<>();
    private final List<Consumer<Observation>> subscribers = new CopyOnWriteArrayList<>();
    private final java.util.Map<String, java.util.Deque<Reading>> status =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Instant start;
    private volatile Duration leadTime;

    /** Appends an observation and tells the subscribers. */
    public void add(Observation observation) {
        observations.add(observation);
        for (Consumer<Observation> s : subscribers) {
            s.accept(observation);
        }
    }

    /** Calls the consumer with every observation added from now on. */
    public void subscribe(Consumer<Observation> subscriber) {
        subscribers.add(subscriber);
    }

    /** Sets START, the world time the Spot action began, and the lead time, which together give INTERRUPTION. */
    public void start(Instant start, Duration leadTime) {
        this.start = start;
        this.leadTime = leadTime;
    }

    /**
     * Records a probe's reading of something that is not (yet) an observation, for failure messages: for
     * example {@code imds:instance-action} = {@code GET ... -> 404 Not Found}. A reading equal to the previous
     * one only moves its time.
     */
    public void status(String targetId, String key, Instant at, String text) {
        java.util.Deque<Reading> readings =
                status.computeIfAbsent(targetId + "|" + key, k -> new java.util.concurrent.ConcurrentLinkedDeque<>());
        synchronized (readings) {
            Reading last = readings.peekLast();
            if (last != null && last.text().equals(text)) {
                readings.pollLast();
                readings.addLast(new Reading(last.first(), at, text));
            } else {
                readings.addLast(new Reading(at, at, text));
                if (readings.size() > 64) {
                    readings.pollFirst();
                }
            }
        }
    }

    /** The probe's latest reading, as {@code text at +12.3s}, or empty. */
    public Optional<String> status(String targetId, String key) {
        return statusAt(targetId, key, Instant.MAX);
    }

    /** The probe's latest reading taken at or before {@code limit}, as {@code text at +12.3s}, or empty. */
    public Optional<String> statusAt(String targetId, String key, Instant limit) {
        java.util.Deque<Reading> readings = status.get(targetId + "|" + key);
        if (readings == null) {
            return Optional.empty();
        }
        synchronized (readings) {
            java.util.Iterator<Reading> it = readings.descendingIterator();
            while (it.hasNext()) {
                Reading r = it.next();
                if (!r.first().isAfter(limit)) {
                    Instant at = r.last().isAfter(limit) ? limit : r.last();
                    return Optional.of(r.text() + " at " + offset(at));
                }
            }
        }
        return Optional.empty();
    }

    /** One probe reading, seen from {@code first} to {@code last}. */
    private record Reading(Instant first, Instant last, String text) {}

    /** START, once the experiment runs. */
    public Optional<Instant> startTime() {
        return Optional.ofNullable(start);
    }

    /** INTERRUPTION: START plus the lead time. */
    public Optional<Instant> interruptionTime() {
        return start == null ? Optional.empty() : Optional.of(start.plus(leadTime));
    }

    /** All observations so far, in the order they were made. */
    public List<Observation> observations() {
        return List.copyOf(observations);
    }

    /** The observations about one target. */
    public List<Observation> about(String instanceId) {
        return observations.stream().filter(o -> o.isAbout(instanceId)).toList();
    }

    /** The first observation that matches, by world time. */
    public Optional<Observation> first(Predicate<Observation> filter) {
        return observations.stream().filter(filter).min(Comparator.comparing(Observation::at));
    }

    /** The latest observation that matches, by world time. */
    public Optional<Observation> last(Predicate<Observation> filter) {
        return observations.stream().filter(filter).max(Comparator.comparing(Observation::at));
    }

    /**
     * When a moment came for a target: START and INTERRUPTION are the same for every target; REBALANCE and
     * NOTICE are the target's first such observation.
     */
    public Optional<Instant> moment(Moment moment, String instanceId) {
        return switch (moment) {
            case START -> startTime();
            case INTERRUPTION -> interruptionTime();
            case REBALANCE ->
                first(o -> o.isAbout(instanceId) && o.kind().equals(Observation.Kinds.REBALANCE))
                        .map(Observation::at);
            case NOTICE ->
                first(o -> o.isAbout(instanceId) && o.kind().equals(Observation.Kinds.NOTICE))
                        .map(Observation::at);
        };
    }

    /** A world time as an offset from START, e.g. {@code +12.4s}; the instant itself before START is known. */
    public String offset(Instant at) {
        if (start == null) {
            return at.toString();
        }
        double s = Duration.between(start, at).toMillis() / 1000.0;
        return (s < 0 ? "" : "+") + String.format(java.util.Locale.ROOT, "%.1fs", s);
    }

    /** The timeline as text, one observation a line, in world-time order, for failure messages. */
    public String render() {
        List<Observation> sorted = new ArrayList<>(observations);
        sorted.sort(Comparator.comparing(Observation::at));
        StringBuilder sb = new StringBuilder();
        if (start != null) {
            sb.append("    ")
                    .append(offset(start))
                    .append("  START  (")
                    .append(start)
                    .append(")\n");
        }
        Instant interruption = interruptionTime().orElse(null);
        for (Observation o : sorted) {
            if (interruption != null && o.at().isAfter(interruption)) {
                appendInterruption(sb, interruption);
                interruption = null;
            }
            sb.append("    ")
                    .append(offset(o.at()))
                    .append("  ")
                    .append(o.targetId().isEmpty() ? "-" : o.targetId())
                    .append("  ")
                    .append(o.source())
                    .append(' ')
                    .append(o.kind());
            if (!o.detail().isEmpty()) {
                sb.append("  ").append(o.detail());
            }
            sb.append('\n');
        }
        if (interruption != null) {
            appendInterruption(sb, interruption);
        }
        return sb.toString();
    }

    private void appendInterruption(StringBuilder sb, Instant t) {
        sb.append("    ")
                .append(offset(t))
                .append("  INTERRUPTION  (")
                .append(t)
                .append(")\n");
    }
}
