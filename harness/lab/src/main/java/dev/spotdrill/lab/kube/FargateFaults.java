package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The faults of the lab's Fargate ({@code fargate.*}) and of its reference Spot→Fargate orchestrator
 * ({@code fargateOrchestrator.*}). Both read the lab's active faults while they run, so the faults can be flipped
 * on a running lab. A fault that takes no value is active when its name is present.
 */
public final class FargateFaults {
    /** The prefix of the lab's Fargate faults. */
    public static final String FARGATE = "fargate.";
    /** The prefix of the orchestrator's faults. */
    public static final String ORCHESTRATOR = "fargateOrchestrator.";

    /** Fargate pods wait this long (world time) for their node instead of the scenario's startup delay. */
    public static final String STARTUP_DELAY = FARGATE + "startup-delay";
    /** Fargate has no capacity: its pods stay Pending with EKS's FailedScheduling message. */
    public static final String NO_CAPACITY = FARGATE + "no-capacity";

    /** No orchestrator runs: it reads no queue and recovers nothing. */
    public static final String DOWN = ORCHESTRATOR + "down";
    /** It consumes the warnings from its queue and does nothing. */
    public static final String IGNORE_WARNINGS = ORCHESTRATOR + "ignore-warnings";
    /** It migrates, but leaves the state annotations unset. */
    public static final String NO_ANNOTATIONS = ORCHESTRATOR + "no-annotations";
    /** It patches this compute label value instead of the Fargate one, which no profile matches. */
    public static final String WRONG_SELECTOR = ORCHESTRATOR + "wrong-selector";
    /** It acts on a warning this long (world time) after receiving it. */
    public static final String SLOW = ORCHESTRATOR + "slow";
    /** It never moves a Deployment back to Spot. */
    public static final String NO_RECOVERY = ORCHESTRATOR + "no-recovery";
    /** Every recovery fails its health check and rolls back to Fargate. */
    public static final String RECOVERY_FAILS = ORCHESTRATOR + "recovery-fails";

    /** Every fault here: name, description, whether it takes a value and an example. */
    public static final List<FaultInfo> ALL = List.of(
            new FaultInfo(
                    STARTUP_DELAY,
                    "Fargate pods get their node this long (world time) after they are created, instead of the"
                            + " scenario's fargate.startupDelay.",
                    true,
                    "PT5M"),
            new FaultInfo(
                    NO_CAPACITY,
                    "Fargate has no capacity: its pods stay Pending with FailedScheduling \"Fargate capacity is"
                            + " unavailable at this time...\".",
                    false,
                    ""),
            new FaultInfo(
                    DOWN, "The Fargate orchestrator is not running: no queue is read, nothing recovers.", false, ""),
            new FaultInfo(
                    IGNORE_WARNINGS,
                    "The orchestrator deletes the interruption warnings from its queue and does nothing.",
                    false,
                    ""),
            new FaultInfo(
                    NO_ANNOTATIONS,
                    "The orchestrator migrates the Deployment but leaves the spot-orchestrator/* annotations unset.",
                    false,
                    ""),
            new FaultInfo(
                    WRONG_SELECTOR,
                    "The orchestrator patches this compute label value, which no Fargate profile matches, so the"
                            + " pods stay Pending.",
                    true,
                    "fargte"),
            new FaultInfo(
                    SLOW,
                    "The orchestrator acts on a warning this long (world time) after receiving it.",
                    true,
                    "PT3M"),
            new FaultInfo(NO_RECOVERY, "The orchestrator never moves a Deployment back to Spot.", false, ""),
            new FaultInfo(
                    RECOVERY_FAILS,
                    "Every recovery to Spot fails its health check: the orchestrator rolls back to Fargate and backs"
                            + " off.",
                    false,
                    ""));

    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    private FargateFaults() {}

    /**
     * Checks a fault's value beyond its kind: {@code wrong-selector} must be a label value.
     *
     * @throws SpotDrillConfigurationException naming the fault, the value and the fix
     */
    public static void validate(String name, String value) {
        if (name.equals(WRONG_SELECTOR)
                && (value == null
                        || value.isBlank()
                        || !LABEL_VALUE.matcher(value).matches())) {
            throw new SpotDrillConfigurationException("fault " + name + "=" + value + ": not a Kubernetes label value;"
                    + " use at most 63 letters, digits, '-', '_' or '.', e.g. " + name + "=fargte");
        }
    }

    /** The faults in force, as the lab's Fargate and the orchestrator read them; bad values count as "off". */
    record Active(
            Optional<Duration> startupDelay,
            boolean noCapacity,
            boolean down,
            boolean ignoreWarnings,
            boolean noAnnotations,
            Optional<String> wrongSelector,
            Duration slow,
            boolean noRecovery,
            boolean recoveryFails) {

        static final Active NONE =
                new Active(Optional.empty(), false, false, false, false, Optional.empty(), Duration.ZERO, false, false);

        static Active of(Map<String, String> faults) {
            if (faults == null || faults.isEmpty()) {
                return NONE;
            }
            Optional<String> wrong = Optional.ofNullable(faults.get(WRONG_SELECTOR))
                    .filter(v -> !v.isBlank() && LABEL_VALUE.matcher(v).matches());
            return new Active(
                    duration(faults.get(STARTUP_DELAY)),
                    faults.containsKey(NO_CAPACITY),
                    faults.containsKey(DOWN),
                    faults.containsKey(IGNORE_WARNINGS),
                    faults.containsKey(NO_ANNOTATIONS),
                    wrong,
                    duration(faults.get(SLOW)).orElse(Duration.ZERO),
                    faults.containsKey(NO_RECOVERY),
                    faults.containsKey(RECOVERY_FAILS));
        }

        private static Optional<Duration> duration(String v) {
            if (v == null) {
                return Optional.empty();
            }
            try {
                Duration d = Duration.parse(v);
                return d.isNegative() ? Optional.empty() : Optional.of(d);
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
    }
}
