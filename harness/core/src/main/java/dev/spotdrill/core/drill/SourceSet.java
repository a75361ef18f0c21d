package dev.spotdrill.core.drill;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.internal.Messages;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sources of one drill: the kinds its expectations ask for, grouped with their requests, plus every source
 * that can see a moment an expectation is measured from. Planned and checked before anything is created, started
 * by stage, closed in reverse order.
 */
final class SourceSet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SourceSet.class);

    private final Map<Source, List<SourceRequest>> plan;
    private final List<Map.Entry<String, AutoCloseable>> started = Collections.synchronizedList(new ArrayList<>());

    private SourceSet(Map<Source, List<SourceRequest>> plan) {
        this.plan = plan;
    }

    /**
     * Decides which sources the drill runs and checks each one; throws before anything is created when an
     * expectation asks for a source that is not on the class path, or is measured from a moment no source can see.
     */
    static SourceSet plan(List<Source> available, List<Expectation> expectations, SourceContext ctx) {
        Map<String, Source> byKind = new LinkedHashMap<>();
        for (Source s : available) {
            byKind.putIfAbsent(s.kind(), s);
        }
        Map<Source, List<SourceRequest>> plan = new LinkedHashMap<>();
        Map<Source, List<String>> askers = new LinkedHashMap<>();
        for (Expectation e : expectations) {
            for (SourceRequest r : e.sources()) {
                Source s = byKind.get(r.kind());
                if (s == null) {
                    throw new SpotDrillConfigurationException(Messages.noSource(e.name(), r.kind(), byKind.keySet()));
                }
                List<SourceRequest> requests = plan.computeIfAbsent(s, k -> new ArrayList<>());
                if (!requests.contains(r)) {
                    requests.add(r);
                }
                List<String> names = askers.computeIfAbsent(s, k -> new ArrayList<>());
                if (!names.contains(e.name())) {
                    names.add(e.name());
                }
            }
        }
        Map<Moment, List<Expectation>> needs = new EnumMap<>(Moment.class);
        for (Expectation e : expectations) {
            Moment m = e.window().from();
            if (m == Moment.REBALANCE || m == Moment.NOTICE) {
                needs.computeIfAbsent(m, k -> new ArrayList<>()).add(e);
            }
        }
        if (!needs.isEmpty()) {
            Map<Source, Set<Moment>> sees = new LinkedHashMap<>();
            for (Source s : byKind.values()) {
                sees.put(s, s.moments(ctx));
            }
            for (Map.Entry<Moment, List<Expectation>> n : needs.entrySet()) {
                List<Source> seers = sees.entrySet().stream()
                        .filter(e -> e.getValue().contains(n.getKey()))
                        .map(Map.Entry::getKey)
                        .toList();
                if (seers.isEmpty()) {
                    List<String> hints = byKind.values().stream()
                            .map(s -> s.momentHint(ctx))
                            .filter(h -> !h.isBlank())
                            .toList();
                    throw new SpotDrillConfigurationException(Messages.momentUnobservable(
                            n.getKey(),
                            n.getValue().stream().map(Expectation::name).toList(),
                            ctx.world().name(),
                            hints));
                }
                for (Source s : seers) {
                    plan.computeIfAbsent(s, k -> new ArrayList<>());
                    ctx.timeline().watching(n.getKey(), s.kind());
                }
            }
        }
        for (Map.Entry<Source, List<SourceRequest>> p : plan.entrySet()) {
            try {
                p.getKey().check(ctx, List.copyOf(p.getValue()));
            } catch (SpotDrillConfigurationException e) {
                List<String> names = askers.getOrDefault(p.getKey(), List.of());
                if (names.isEmpty()) {
                    throw e;
                }
                throw new SpotDrillConfigurationException(String.join(", ", names) + ": " + e.getMessage(), e);
            }
        }
        return new SourceSet(plan);
    }

    /** Starts the planned sources of one stage, in plan order. */
    void start(Source.Stage stage, SourceContext ctx) {
        for (Map.Entry<Source, List<SourceRequest>> e : plan.entrySet()) {
            if (e.getKey().stage() == stage) {
                started.add(Map.entry(e.getKey().kind(), e.getKey().start(ctx, List.copyOf(e.getValue()))));
            }
        }
    }

    /** The kinds planned, in order. */
    List<String> kinds() {
        return plan.keySet().stream().map(Source::kind).toList();
    }

    /** Closes every started source, last started first; a failure is logged and the others still close. */
    @Override
    public void close() {
        close(line -> {});
    }

    /**
     * As {@link #close()}, telling {@code report} one line per source closed: its kind and what it held (for example
     * {@code events: EventQueue[spotdrill-sd-...]}), or why closing it failed.
     */
    void close(java.util.function.Consumer<String> report) {
        List<Map.Entry<String, AutoCloseable>> lifo;
        synchronized (started) {
            lifo = new ArrayList<>(started);
            started.clear();
        }
        Collections.reverse(lifo);
        for (Map.Entry<String, AutoCloseable> c : lifo) {
            String what = c.getKey() + ": " + describe(c.getValue());
            try {
                c.getValue().close();
                report.accept(what);
            } catch (Exception e) {
                LOG.warn("spotdrill: closing a source failed", e);
                report.accept(what + " (closing failed: " + e.getMessage() + ")");
            }
        }
    }

    /** What a started source holds, by its toString, unless that is a lambda's or Object's default. */
    private static String describe(AutoCloseable c) {
        String s = String.valueOf(c);
        return s.contains("$$Lambda") || s.matches(".*@[0-9a-f]+$") ? "stopped" : s;
    }
}
