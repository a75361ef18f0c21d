package dev.spotdrill.core.drill;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One timestamped fact that a probe saw.
 *
 * @param at world time of the observation
 * @param source the probe: {@code fis}, {@code imds}, {@code ec2}, {@code kube}, {@code events}, {@code castai},
 *     {@code spotAdvisor}, {@code cronjob} or {@code harness}
 * @param targetId the instance id the fact is about, or empty for a drill-level fact
 * @param kind what happened, for example {@code NOTICE} or {@code TAINT_ADDED}; see {@link Kinds}
 * @param detail a one-line human description
 * @param data structured details, for example the IMDS body
 */
public record Observation(
        Instant at, String source, String targetId, String kind, String detail, Map<String, String> data) {

    public Observation {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(kind, "kind");
        targetId = targetId == null ? "" : targetId;
        detail = detail == null ? "" : detail;
        data = data == null ? Map.of() : Map.copyOf(data);
    }

    /** Whether this is about the given target. */
    public boolean isAbout(String instanceId) {
        return targetId.equals(instanceId);
    }

    /** The well-known observation kinds. Probes may add their own. */
    public static final class Kinds {
        /** The experiment changed state; data {@code status}, {@code reason}. */
        public static final String EXPERIMENT_STATE = "EXPERIMENT_STATE";
        /** IMDS rebalance recommendation seen; data {@code body}, {@code noticeTime}. */
        public static final String REBALANCE = "REBALANCE";
        /** IMDS instance-action seen; data {@code body}, {@code action}, {@code time}. */
        public static final String NOTICE = "NOTICE";
        /** EC2 instance state changed; data {@code state}. */
        public static final String INSTANCE_STATE = "INSTANCE_STATE";
        /** A probe could not read its source; data {@code error}. */
        public static final String PROBE_ERROR = "PROBE_ERROR";

        private Kinds() {}
    }
}
