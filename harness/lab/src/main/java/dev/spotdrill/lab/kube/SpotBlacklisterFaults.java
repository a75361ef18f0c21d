package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.List;

/**
 * The faults of the lab's reference Spot blacklister ({@code spotBlacklister.*}). They are read when a Job starts,
 * so they may be flipped on a running lab between Jobs.
 */
public final class SpotBlacklisterFaults {
    /** The prefix every name here starts with. */
    public static final String PREFIX = "spotBlacklister.";

    /** The Job fails at once, its log saying why. */
    public static final String DOWN = PREFIX + "down";
    /** Ranges are compared by their labels' upper bounds (10/15/20) instead of the feed's maxima (11/16/22). */
    public static final String LABEL_BOUNDARIES = PREFIX + "label-boundaries";
    /** Entries are added without {@code expiresAt}: CAST AI keeps them until someone removes them. */
    public static final String NO_EXPIRY = PREFIX + "no-expiry";
    /** Only the first n types (riskiest first) are blacklisted. */
    public static final String STOP_AFTER = PREFIX + "stop-after";
    /** The blacklister only logs what it would do, as with DRY_RUN=true. */
    public static final String DRY_RUN = PREFIX + "dry-run";
    /** The blacklister reads this OS's ratings instead of its OS setting's. */
    public static final String WRONG_OS = PREFIX + "wrong-os";

    /** Every fault: name, description, and whether it takes a value. */
    public static final List<FaultInfo> ALL = List.of(
            new FaultInfo(DOWN, "The blacklister's Job fails at once; its log says why.", false, ""),
            new FaultInfo(
                    LABEL_BOUNDARIES,
                    "The blacklister compares the ranges' label bounds (10/15/20) with the threshold instead of the"
                            + " feed's maxima (11/16/22), so it misses the 5-10% bucket at threshold 10.",
                    false,
                    ""),
            new FaultInfo(
                    NO_EXPIRY, "The blacklister adds entries without expiresAt, so they never expire.", false, ""),
            new FaultInfo(STOP_AFTER, "The blacklister blacklists only the first n types (riskiest first).", true, "2"),
            new FaultInfo(DRY_RUN, "The blacklister only logs what it would blacklist and changes nothing.", false, ""),
            new FaultInfo(WRONG_OS, "The blacklister reads this OS's ratings (Linux or Windows).", true, "Windows"));

    private SpotBlacklisterFaults() {}

    /**
     * Checks a fault's value beyond its kind: {@code wrong-os} must be an OS the feed rates.
     *
     * @throws SpotDrillConfigurationException naming the fault, the value and the fix
     */
    public static void validate(String name, String value) {
        if (name.equals(WRONG_OS) && !List.of("Linux", "Windows").contains(value)) {
            throw new SpotDrillConfigurationException(
                    "fault " + name + "=" + value + ": the Spot Advisor feed rates Linux and Windows; write " + name
                            + "=Windows or " + name + "=Linux");
        }
    }
}
