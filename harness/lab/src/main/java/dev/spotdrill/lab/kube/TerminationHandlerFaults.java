package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The faults of the lab's reference termination handler. The lab's fault registry owns which faults are
 * active; {@link LabCluster} reads them from its supplier on every handler poll, so they can change at run time.
 * A fault that takes no value is active when its name is present (its value is ignored).
 */
public final class TerminationHandlerFaults {

    /** The prefix every name here starts with. */
    public static final String PREFIX = "terminationHandler.";

    public static final String DOWN = PREFIX + "down";
    public static final String NO_TAINT = PREFIX + "no-taint";
    public static final String NO_CORDON = PREFIX + "no-cordon";
    public static final String NO_DRAIN = PREFIX + "no-drain";
    public static final String DRAIN_DELAY = PREFIX + "drain-delay";
    public static final String TAINT_EFFECT = PREFIX + "taint-effect";
    public static final String TAINT_KEY = PREFIX + "taint-key";
    public static final String EVICT_DAEMONSETS = PREFIX + "evict-daemonsets";

    /** Every termination-handler fault, for the lab's catalog. */
    public static final List<FaultInfo> ALL = List.of(
            new FaultInfo(DOWN, "The handler is not running: it neither polls IMDS nor acts on notices.", false, ""),
            new FaultInfo(NO_TAINT, "The handler does not taint the node on a notice.", false, ""),
            new FaultInfo(NO_CORDON, "The handler does not cordon the node on a notice.", false, ""),
            new FaultInfo(NO_DRAIN, "The handler taints and cordons but evicts no pod.", false, ""),
            new FaultInfo(
                    DRAIN_DELAY, "The handler starts draining this long (world time) after the notice.", true, "PT3M"),
            new FaultInfo(
                    TAINT_EFFECT,
                    "The handler taints with this effect instead of the configured one.",
                    true,
                    "PreferNoSchedule"),
            new FaultInfo(TAINT_KEY, "The handler taints with this key instead of NTH's.", true, "example.com/wrong"),
            new FaultInfo(EVICT_DAEMONSETS, "The handler also evicts DaemonSet pods while draining.", false, ""));

    /** The taint effects Kubernetes knows, as {@code kubectl taint} lists them; {@link #TAINT_EFFECT} takes one. */
    public static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");

    private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern KEY_PREFIX =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private TerminationHandlerFaults() {}

    /**
     * Empty when the text is a taint key as Kubernetes accepts one ({@code [prefix/]name}: a DNS subdomain of at
     * most 253 characters, then a name of at most 63 letters, digits, {@code -}, {@code _} and {@code .} that
     * starts and ends with a letter or digit), else what is wrong with it.
     */
    public static Optional<String> taintKeyProblem(String key) {
        if (key == null || key.isBlank()) {
            return Optional.of("is blank; give a taint key such as example.com/wrong");
        }
        int slash = key.indexOf('/');
        String prefix = slash < 0 ? null : key.substring(0, slash);
        String name = slash < 0 ? key : key.substring(slash + 1);
        boolean ok = KEY_NAME.matcher(name).matches()
                && (prefix == null
                        || (prefix.length() <= 253 && KEY_PREFIX.matcher(prefix).matches()));
        return ok
                ? Optional.empty()
                : Optional.of("is \"" + key + "\", not a taint key; write [prefix/]name as Kubernetes takes it, e.g."
                        + " example.com/wrong (a DNS prefix, then at most 63 letters, digits, '-', '_' or '.')");
    }

    /**
     * Checks one fault as a user gave it.
     *
     * @throws SpotDrillConfigurationException naming the fault, the value, the rule and the fix
     */
    public static void validate(String name, String value) {
        FaultInfo info = ALL.stream()
                .filter(f -> f.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new SpotDrillConfigurationException(
                        "unknown fault '" + name + "'; the" + " termination handler knows "
                                + ALL.stream().map(FaultInfo::name).collect(Collectors.joining(", "))));
        boolean hasValue = value != null && !value.isEmpty();
        if (info.takesValue() && !hasValue) {
            throw new SpotDrillConfigurationException(
                    "fault '" + name + "' needs a value; write it as " + name + "=" + info.valueExample());
        }
        if (!info.takesValue() && hasValue) {
            throw new SpotDrillConfigurationException(
                    "fault '" + name + "' takes no value but was given '" + value + "'; write just " + name);
        }
        if (name.equals(DRAIN_DELAY)) {
            parseDelay(value);
        } else if (name.equals(TAINT_EFFECT)) {
            TaintSpec.checkEffect(value, "fault " + name);
        } else if (name.equals(TAINT_KEY)) {
            taintKeyProblem(value).ifPresent(p -> {
                throw new SpotDrillConfigurationException("fault " + name + " " + p);
            });
        }
    }

    static Duration parseDelay(String value) {
        try {
            Duration d = Duration.parse(value);
            if (d.isNegative()) {
                throw new SpotDrillConfigurationException(
                        "fault " + DRAIN_DELAY + "=" + value + " is negative; use PT0S or more, e.g. PT3M");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new SpotDrillConfigurationException(
                    "fault " + DRAIN_DELAY + "=" + value + " is not an ISO-8601 duration; write e.g. PT3M");
        }
    }

    /** The active faults as the handler reads them; invalid values fall back to "fault off". */
    record Active(
            boolean down,
            boolean noTaint,
            boolean noCordon,
            boolean noDrain,
            Duration drainDelay,
            String taintEffect,
            String taintKey,
            boolean evictDaemonSets) {

        static final Active NONE = new Active(false, false, false, false, Duration.ZERO, null, null, false);

        static Active of(Map<String, String> faults) {
            if (faults == null || faults.isEmpty()) {
                return NONE;
            }
            Duration delay = Duration.ZERO;
            String delayValue = faults.get(DRAIN_DELAY);
            if (delayValue != null) {
                try {
                    delay = parseDelay(delayValue);
                } catch (SpotDrillConfigurationException e) {
                    delay = Duration.ZERO;
                }
            }
            String effect = faults.get(TAINT_EFFECT);
            if (effect != null && !TaintSpec.EFFECTS.contains(effect)) {
                effect = null;
            }
            String key = faults.get(TAINT_KEY);
            if (key != null && key.isBlank()) {
                key = null;
            }
            return new Active(
                    faults.containsKey(DOWN),
                    faults.containsKey(NO_TAINT),
                    faults.containsKey(NO_CORDON),
                    faults.containsKey(NO_DRAIN),
                    delay,
                    effect,
                    key,
                    faults.containsKey(EVICT_DAEMONSETS));
        }
    }
}
