package dev.spotdrill.lab;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The ports of a lab started with a port base ({@link LabOptions.Builder#portBase}): each server at a fixed offset
 * from the base, so that a user's own handler, kubectl or AWS CLI configuration keeps working across restarts.
 *
 * <p>From the base {@code b}: FIS {@code b}, EC2 {@code b+1}, STS {@code b+2}, IAM {@code b+3}, EventBridge
 * {@code b+4}, SQS {@code b+5}, the Spot Advisor feed {@code b+6}, CAST AI {@code b+7}, Kubernetes {@code b+8}, the
 * control endpoint {@code b+9}, the Slack webhook sink {@code b+10}, and the IMDS of the n-th instance (0-based, in the scenario's order, replacements
 * after) {@code b+11+n}. Without a base every server gets a dynamic port.
 */
public final class LabPorts {
    /** The lowest port base: ports below 1024 need privileges. */
    public static final int MIN_BASE = 1024;
    /** The highest port base: it leaves 1,000 ports for instances' IMDS. */
    public static final int MAX_BASE = 64535;
    /** The offset of the first instance's IMDS. */
    public static final int IMDS_OFFSET = 11;

    /** A lab server with a fixed offset from the base. */
    public enum Server {
        FIS,
        EC2,
        STS,
        IAM,
        EVENTBRIDGE,
        SQS,
        SPOT_ADVISOR,
        CASTAI,
        KUBERNETES,
        CONTROL,
        SLACK;

        /** The offset from the port base. */
        public int offset() {
            return ordinal();
        }

        /** The server's name as tables and messages show it, e.g. {@code spot-advisor}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final OptionalInt base;

    private LabPorts(OptionalInt base) {
        base.ifPresent(LabPorts::checkBase);
        this.base = base;
    }

    /** Dynamic ports for every server. */
    public static LabPorts dynamic() {
        return new LabPorts(OptionalInt.empty());
    }

    /** Fixed ports from this base. */
    public static LabPorts from(OptionalInt base) {
        return new LabPorts(base);
    }

    /** The port base, when the ports are fixed. */
    public OptionalInt base() {
        return base;
    }

    /** The server's port, 0 (dynamic) without a base. */
    public int port(Server server) {
        return base.isPresent() ? base.getAsInt() + server.offset() : 0;
    }

    /**
     * The IMDS port of the n-th instance (0-based), 0 (dynamic) without a base.
     *
     * @throws SpotDrillConfigurationException when the port would be past 65535
     */
    public int imds(int index) {
        if (base.isEmpty()) {
            return 0;
        }
        int port = base.getAsInt() + IMDS_OFFSET + index;
        if (port > 65535) {
            throw new SpotDrillConfigurationException("lab port base " + base.getAsInt() + ": instance number "
                    + (index + 1) + " would need IMDS port " + port + ", past 65535; choose a lower port base");
        }
        return port;
    }

    /** Checks a port base, with the range and the fix. */
    static void checkBase(int base) {
        if (base < MIN_BASE || base > MAX_BASE) {
            throw new IllegalArgumentException("port base " + base + " is outside " + MIN_BASE + ".." + MAX_BASE
                    + "; choose for example 4600 (the lab then uses 4600..4609, and 4610 on for the instances' IMDS)");
        }
    }

    @Override
    public String toString() {
        return base.isPresent() ? "LabPorts[base=" + base.getAsInt() + "]" : "LabPorts[dynamic]";
    }
}
