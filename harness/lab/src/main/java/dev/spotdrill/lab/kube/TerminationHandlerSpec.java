package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How the lab's reference aws-node-termination-handler (IMDS mode) runs.
 *
 * @param enabled whether handlers run at all
 * @param nodes the node names that get a handler; empty means every Spot node (and every on-demand node when
 *     {@code onDemandNodes})
 * @param onDemandNodes whether on-demand nodes get a handler too (NTH runs as a DaemonSet; by default the lab
 *     gives handlers only to Spot nodes)
 * @param rebalanceMonitoring NTH's {@code enableRebalanceMonitoring}: taint and cordon on a rebalance
 *     recommendation
 * @param rebalanceDraining NTH's {@code enableRebalanceDraining}: drain on a rebalance recommendation too
 * @param taintEffect the effect of the taints it sets: {@code NoSchedule} (default), {@code PreferNoSchedule} or
 *     {@code NoExecute}
 * @param podGracePeriod the grace period sent with each eviction; empty means each pod's own
 * @param pollInterval world time between IMDS polls; default PT2S
 */
public record TerminationHandlerSpec(
        boolean enabled,
        Set<String> nodes,
        boolean onDemandNodes,
        boolean rebalanceMonitoring,
        boolean rebalanceDraining,
        String taintEffect,
        Optional<Duration> podGracePeriod,
        Duration pollInterval) {

    /** NTH's IMDS poll interval. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

    public TerminationHandlerSpec {
        nodes = nodes == null ? Set.of() : Set.copyOf(nodes);
        taintEffect = taintEffect == null || taintEffect.isBlank() ? "NoSchedule" : taintEffect;
        TaintSpec.checkEffect(taintEffect, "terminationHandler.taintEffect");
        podGracePeriod = podGracePeriod == null ? Optional.empty() : podGracePeriod;
        podGracePeriod.ifPresent(g -> {
            if (g.isNegative()) {
                throw new SpotDrillConfigurationException(
                        "terminationHandler.podGracePeriod is " + g + "; use PT0S or more, or leave it out");
            }
        });
        pollInterval = pollInterval == null ? DEFAULT_POLL_INTERVAL : pollInterval;
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new SpotDrillConfigurationException(
                    "terminationHandler.pollInterval is " + pollInterval + "; use a positive duration such as PT2S");
        }
        if (rebalanceDraining && !rebalanceMonitoring) {
            throw new SpotDrillConfigurationException("terminationHandler: rebalanceDraining needs"
                    + " rebalanceMonitoring (as in NTH); set rebalanceMonitoring: true or drop rebalanceDraining");
        }
    }

    /** NTH's defaults: enabled on every Spot node, no rebalance monitoring, NoSchedule, 2 s polls. */
    public static TerminationHandlerSpec defaults() {
        return new TerminationHandlerSpec(true, Set.of(), false, false, false, "NoSchedule", Optional.empty(), null);
    }

    /** No handler anywhere. */
    public static TerminationHandlerSpec disabled() {
        return new TerminationHandlerSpec(false, Set.of(), false, false, false, "NoSchedule", Optional.empty(), null);
    }

    /** These settings with rebalance monitoring (and, if asked, draining) on. */
    public TerminationHandlerSpec withRebalance(boolean monitoring, boolean draining) {
        return new TerminationHandlerSpec(
                enabled, nodes, onDemandNodes, monitoring, draining, taintEffect, podGracePeriod, pollInterval);
    }

    /** Whether the node gets a handler. */
    boolean covers(NodeSpec node) {
        if (!enabled) {
            return false;
        }
        if (!nodes.isEmpty()) {
            return nodes.contains(node.name());
        }
        return node.capacityType() == CapacityType.SPOT || onDemandNodes;
    }
}
