package dev.spotdrill.lab;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The faults a running lab has, and the registry of the faults lab components understand.
 *
 * <p>A fault is written {@code component.fault[=value]}, several of them comma-separated, as in the
 * configuration key {@code spotdrill.lab.faults}. Known faults come from every {@link FaultCatalog} found by
 * {@link java.util.ServiceLoader} and from {@link #register}. Components read faults while they run
 * ({@link #active}, {@link #value}), and tests may flip them on a running lab ({@link #set}, {@link #clear}).
 * This class is thread-safe.
 */
public final class LabFaults {
    private static final List<FaultDefinition> REGISTERED = new CopyOnWriteArrayList<>();
    private static volatile List<FaultDefinition> loaded;

    private final Map<String, String> active = new LinkedHashMap<>();

    private LabFaults() {}

    /** No faults. */
    public static LabFaults none() {
        return new LabFaults();
    }

    /**
     * The faults in the given list, each {@code component.fault[=value]}.
     *
     * @throws SpotDrillConfigurationException when a name is unknown or a value has the wrong form
     */
    public static LabFaults of(Collection<String> specs) {
        LabFaults faults = new LabFaults();
        for (String spec : specs) {
            faults.set(spec);
        }
        return faults;
    }

    /**
     * The faults in a comma-separated text, as written in {@code spotdrill.lab.faults}; blank means none.
     *
     * @throws SpotDrillConfigurationException when a name is unknown or a value has the wrong form
     */
    public static LabFaults parse(String commaSeparated) {
        List<String> specs = new ArrayList<>();
        if (commaSeparated != null) {
            for (String s : commaSeparated.split(",")) {
                if (!s.isBlank()) {
                    specs.add(s.trim());
                }
            }
        }
        return of(specs);
    }

    /**
     * Registers a fault for this JVM, in addition to those of the {@link FaultCatalog}s.
     *
     * @param takesValue whether the fault is written with {@code =value} (any non-blank text)
     */
    public static void register(String component, String fault, boolean takesValue, String description) {
        register(new FaultDefinition(
                component,
                fault,
                takesValue ? FaultDefinition.ValueKind.TEXT : FaultDefinition.ValueKind.NONE,
                description));
    }

    /** Registers a fault definition for this JVM; registering the same name again replaces it. */
    public static void register(FaultDefinition definition) {
        REGISTERED.removeIf(d -> d.name().equals(definition.name()));
        REGISTERED.add(definition);
    }

    /** Every known fault, sorted by name. */
    public static List<FaultDefinition> known() {
        Map<String, FaultDefinition> byName = new TreeMap<>();
        for (FaultDefinition d : catalogs()) {
            byName.put(d.name(), d);
        }
        for (FaultDefinition d : REGISTERED) {
            byName.put(d.name(), d);
        }
        return List.copyOf(byName.values());
    }

    /** The definition of a known fault. */
    public static Optional<FaultDefinition> definition(String name) {
        return known().stream().filter(d -> d.name().equals(name)).findFirst();
    }

    private static List<FaultDefinition> catalogs() {
        List<FaultDefinition> l = loaded;
        if (l == null) {
            List<FaultDefinition> found = new ArrayList<>();
            for (FaultCatalog c : ServiceLoader.load(FaultCatalog.class, LabFaults.class.getClassLoader())) {
                found.addAll(c.faults());
            }
            found.sort(Comparator.comparing(FaultDefinition::name));
            l = List.copyOf(found);
            loaded = l;
        }
        return l;
    }

    /** Whether the named fault is on. */
    public synchronized boolean active(String name) {
        return active.containsKey(name);
    }

    /** The value of the named fault, empty when it is off or takes no value. */
    public synchronized Optional<String> value(String name) {
        return Optional.ofNullable(active.get(name)).filter(v -> !v.isEmpty());
    }

    /** The value of a duration fault, empty when it is off. */
    public Optional<Duration> duration(String name) {
        return value(name).map(Duration::parse);
    }

    /** The value of a numeric fault, empty when it is off. */
    public OptionalInt number(String name) {
        Optional<String> v = value(name);
        return v.isPresent() ? OptionalInt.of(Integer.parseInt(v.get())) : OptionalInt.empty();
    }

    /**
     * Turns a fault on (or changes its value), written {@code component.fault[=value]}.
     *
     * @throws SpotDrillConfigurationException when the name is unknown or the value has the wrong form
     */
    public synchronized void set(String spec) {
        if (spec == null || spec.isBlank()) {
            throw error(spec, "a fault must not be blank; write component.fault[=value]");
        }
        String s = spec.trim();
        int eq = s.indexOf('=');
        String name = eq < 0 ? s : s.substring(0, eq).trim();
        String value = eq < 0 ? null : s.substring(eq + 1).trim();
        FaultDefinition d = definition(name)
                .orElseThrow(() -> error(s, "unknown fault \"" + name + "\"; known faults: " + describeKnown()));
        Optional<String> problem = d.check(value);
        if (problem.isPresent()) {
            throw error(s, "fault " + d.name() + " " + problem.get() + " (usage: " + d.usage() + ")");
        }
        active.put(name, value == null ? "" : value);
    }

    /**
     * Turns a fault off; turning off a fault that is not on does nothing.
     *
     * @throws SpotDrillConfigurationException when the name is unknown
     */
    public synchronized void clear(String name) {
        if (definition(name).isEmpty()) {
            throw error(name, "unknown fault \"" + name + "\"; known faults: " + describeKnown());
        }
        active.remove(name);
    }

    /** Turns every fault off. */
    public synchronized void clearAll() {
        active.clear();
    }

    /** The faults that are on, name to value ({@code ""} for a plain switch). */
    public synchronized Map<String, String> snapshot() {
        return Map.copyOf(active);
    }

    /**
     * Uses up one unit of a counting fault such as {@code fis.throttle=3}: true when the fault was on; it goes
     * off when its count reaches 0.
     */
    synchronized boolean consume(String name) {
        String v = active.get(name);
        if (v == null) {
            return false;
        }
        int n = v.isEmpty() ? 1 : Integer.parseInt(v);
        if (n <= 1) {
            active.remove(name);
        } else {
            active.put(name, Integer.toString(n - 1));
        }
        return n >= 1;
    }

    @Override
    public synchronized String toString() {
        return "LabFaults"
                + active.entrySet().stream()
                        .map(e -> e.getValue().isEmpty() ? e.getKey() : e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(", ", "[", "]"));
    }

    private static String describeKnown() {
        return known().stream()
                .map(d -> d.usage() + " (" + d.description() + ")")
                .collect(Collectors.joining("; "));
    }

    private static SpotDrillConfigurationException error(String spec, String problem) {
        return new SpotDrillConfigurationException(
                SpotDrillConfig.LAB_FAULTS + "=\"" + spec + "\": " + problem + ". Write faults comma-separated,"
                        + " e.g. " + SpotDrillConfig.LAB_FAULTS + "=imds.no-notice,fis.throttle=2");
    }
}
