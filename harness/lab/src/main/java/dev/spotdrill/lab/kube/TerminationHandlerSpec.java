package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How the lab's reference aws-node-termination-handler runs: in IMDS mode (the default) one handler per node polls
 * its node's IMDS; in queue mode, as NTH's queue processor, one handler consumes the EventBridge events of its own
 * SQS queue and acts on the node whose {@code spec.providerID} names the event's instance.
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
 * @param mode {@link Mode#IMDS} (default) or {@link Mode#QUEUE}
 */
public record TerminationHandlerSpec(
        boolean enabled,
        Set<String> nodes,
        boolean onDemandNodes,
        boolean rebalanceMonitoring,
        boolean rebalanceDraining,
        String taintEffect,
        Optional<Duration> podGracePeriod,
        Duration pollInterval,
        Mode mode) {

    /** Where the handler learns of interruptions. */
    public enum Mode {
        /** It polls its node's IMDS ({@code spot/instance-action}, {@code events/recommendations/rebalance}). */
        IMDS,
        /**
         * It long-polls its own SQS queue, fed by EventBridge rules for the Spot warning, the rebalance recommendation
         * and EC2 state changes, as NTH's queue processor does.
         */
        QUEUE
    }

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
        mode = mode == null ? Mode.IMDS : mode;
        if (rebalanceDraining && !rebalanceMonitoring) {
            throw new SpotDrillConfigurationException("terminationHandler: rebalanceDraining needs"
                    + " rebalanceMonitoring (as in NTH); set rebalanceMonitoring: true or drop rebalanceDraining");
        }
    }

    /** The settings in IMDS mode. */
    public TerminationHandlerSpec(
            boolean enabled,
            Set<String> nodes,
            boolean onDemandNodes,
            boolean rebalanceMonitoring,
            boolean rebalanceDraining,
            String taintEffect,
            Optional<Duration> podGracePeriod,
            Duration pollInterval) {
        this(
                enabled,
                nodes,
                onDemandNodes,
                rebalanceMonitoring,
                rebalanceDraining,
                taintEffect,
                podGracePeriod,
                pollInterval,
                Mode.IMDS);
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
                enabled, nodes, onDemandNodes, monitoring, draining, taintEffect, podGracePeriod, pollInterval, mode);
    }

    /** These settings in another mode. */
    public TerminationHandlerSpec withMode(Mode mode) {
        return new TerminationHandlerSpec(
                enabled,
                nodes,
                onDemandNodes,
                rebalanceMonitoring,
                rebalanceDraining,
                taintEffect,
                podGracePeriod,
                pollInterval,
                mode);
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
