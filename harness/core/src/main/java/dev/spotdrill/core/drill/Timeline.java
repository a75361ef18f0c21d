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
    private final java.util.Map<String, MomentMark> marks = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Moment, java.util.Set<String>> watchers =
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

    /**
     * Sets START, the world time the Spot action began, and the lead time, which together give INTERRUPTION; a
     * {@code null} lead time is an observation-only drill, which has no INTERRUPTION.
     */
    public void start(Instant start, Duration leadTime) {
        this.start = start;
        this.leadTime = leadTime;
    }

    /**
     * Records that a source saw a moment (REBALANCE or NOTICE) for a target. The moment is the earliest time any
     * source marked, and keeps that source's name.
     *
     * @return whether this is the target's first mark of that moment
     */
    public boolean markMoment(Moment moment, String targetId, Instant at, String source) {
        if (moment == Moment.START || moment == Moment.INTERRUPTION) {
            throw new IllegalArgumentException(
                    moment + " is the drill's own moment; sources mark REBALANCE and NOTICE");
        }
        MomentMark mark = new MomentMark(moment, targetId == null ? "" : targetId, at, source);
        String key = moment + "|" + mark.targetId();
        boolean first = marks.putIfAbsent(key, mark) == null;
        if (!first) {
            marks.merge(key, mark, (old, neu) -> neu.at().isBefore(old.at()) ? neu : old);
        }
        return first;
    }

    /** Records that a source watches for a moment, so that a moment never seen can name who looked for it. */
    public void watching(Moment moment, String source) {
        watchers.computeIfAbsent(moment, m -> new java.util.concurrent.CopyOnWriteArraySet<>())
                .add(source);
    }

    /** The sources that watched for a moment, in the order they started. */
    public List<String> watchers(Moment moment) {
        java.util.Set<String> w = watchers.get(moment);
        return w == null ? List.of() : List.copyOf(w);
    }

    /** The source that established a target's REBALANCE or NOTICE: the one that saw it first, by world time. */
    public Optional<String> momentSource(Moment moment, String instanceId) {
        return Optional.ofNullable(marks.get(moment + "|" + instanceId)).map(MomentMark::source);
    }

    /** A moment a source saw for a target. */
    private record MomentMark(Moment moment, String targetId, Instant at, String source) {}

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

    /** INTERRUPTION: START plus the lead time; empty before START and for an observation-only drill. */
    public Optional<Instant> interruptionTime() {
        return start == null || leadTime == null ? Optional.empty() : Optional.of(start.plus(leadTime));
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
     * When a moment came for a target: START and INTERRUPTION are the same for every target; REBALANCE and NOTICE
     * are the earliest time any source marked for the target. For the drill itself (an empty id, as drill-level
     * expectations use), REBALANCE and NOTICE are the earliest of any target.
     */
    public Optional<Instant> moment(Moment moment, String instanceId) {
        return switch (moment) {
            case START -> startTime();
            case INTERRUPTION -> interruptionTime();
            case REBALANCE, NOTICE ->
                instanceId == null || instanceId.isEmpty()
                        ? marks.values().stream()
                                .filter(m -> m.moment() == moment)
                                .map(MomentMark::at)
                                .min(Comparator.naturalOrder())
                        : Optional.ofNullable(marks.get(moment + "|" + instanceId))
                                .map(MomentMark::at);
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

    /**
     * The timeline as text, one line per observation, moment and START/INTERRUPTION, all in world-time order (a
     * state seen before START comes first, with a negative offset), for failure messages.
     */
    public String render() {
        record Line(Instant at, int order, String text) {}
        List<Line> lines = new ArrayList<>();
        if (start != null) {
            lines.add(new Line(start, 0, "START  (" + start + ")"));
        }
        interruptionTime().ifPresent(t -> lines.add(new Line(t, 2, "INTERRUPTION  (" + t + ")")));
        marks.values()
                .forEach(m -> lines.add(new Line(
                        m.at(), 1, m.targetId() + "  " + m.moment() + "  (first seen by " + m.source() + ")")));
        for (Observation o : observations) {
            StringBuilder sb = new StringBuilder()
                    .append(o.targetId().isEmpty() ? "-" : o.targetId())
                    .append("  ")
                    .append(o.source())
                    .append(' ')
                    .append(o.kind());
            if (!o.detail().isEmpty()) {
                sb.append("  ").append(o.detail());
            }
            lines.add(new Line(o.at(), 3, sb.toString()));
        }
        lines.sort(Comparator.comparing(Line::at).thenComparing(Line::order));
        StringBuilder sb = new StringBuilder();
        for (Line l : lines) {
            sb.append("    ")
                    .append(offset(l.at()))
                    .append("  ")
                    .append(l.text())
                    .append('\n');
        }
        return sb.toString();
    }
}
