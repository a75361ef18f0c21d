package dev.spotdrill.core.kube;

/**
 * The observation kinds and status keys of the Kubernetes probe ({@code source = "kube"}), like
 * {@link dev.spotdrill.core.drill.Observation.Kinds}.
 *
 * <p>Each observation is about the target whose node it concerns, except {@link #READY_COUNT}, which is about
 * the drill (empty target id).
 */
public final class KubeObservations {
    /** The source of every observation here. */
    public static final String SOURCE = "kube";

    /**
     * A taint appeared on the target's node; data {@code key}, {@code value}, {@code effect}, {@code initial}
     * ({@code true} when the node had it when the probe started).
     */
    public static final String TAINT_ADDED = "TAINT_ADDED";
    /** A taint left the target's node; data {@code key}, {@code value}, {@code effect}. */
    public static final String TAINT_REMOVED = "TAINT_REMOVED";
    /**
     * The target's node became unschedulable; data {@code initial} ({@code true} when it was when the probe started).
     */
    public static final String CORDONED = "CORDONED";
    /** The target's node became schedulable again. */
    public static final String UNCORDONED = "UNCORDONED";
    /**
     * A pod left the target's node while the node was Ready (an eviction, or a delete by a drain); data
     * {@code pod}, {@code namespace}, {@code owner}, {@code evictable}.
     */
    public static final String POD_EVICTED = "POD_EVICTED";
    /** A pod left the target's node while the node was NotReady or gone; data as {@link #POD_EVICTED}. */
    public static final String POD_DELETED = "POD_DELETED";
    /**
     * No pod that a drain must evict is left on the target's node, and the last one left while the node was Ready (a
     * drain); data {@code initial}: {@code true} when the node had none when the probe started, which proves nothing.
     */
    public static final String NODE_DRAINED = "NODE_DRAINED";
    /**
     * No pod that a drain must evict is left on the target's node, but the last one left with the node NotReady or
     * deleted: it was lost with the node, not drained; data {@code pods}, how many evictable pods were lost.
     */
    public static final String PODS_LOST = "PODS_LOST";
    /** The target's node condition Ready left True; data {@code status}, {@code reason}. */
    public static final String NODE_NOT_READY = "NODE_NOT_READY";
    /** The target's node object was deleted. */
    public static final String NODE_DELETED = "NODE_DELETED";
    /**
     * A pod of an owner that lost a pod on the target's node turned Ready on another node; data {@code pod},
     * {@code namespace}, {@code owner}, {@code node}.
     */
    public static final String REPLACEMENT_READY = "REPLACEMENT_READY";
    /** The Ready pod count of a watched Deployment changed (drill-level); data {@code deployment}, {@code ready}, {@code desired}. */
    public static final String READY_COUNT = "READY_COUNT";

    /** Status key: the taints on the target's node, as last seen. */
    public static final String STATUS_TAINTS = "kube:taints";
    /** Status key: whether the target's node is cordoned. */
    public static final String STATUS_CORDON = "kube:cordon";
    /** Status key: the evictable pods still on the target's node. */
    public static final String STATUS_PODS = "kube:pods";
    /** Status key: the target's node readiness, or why it has no node. */
    public static final String STATUS_NODE = "kube:node";

    private KubeObservations() {}

    /** Status key of a Deployment's Ready count (drill-level, empty target id). */
    public static String statusReady(String deployment) {
        return "kube:ready:" + deployment;
    }
}
