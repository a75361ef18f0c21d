package dev.spotdrill.core.kube;

/**
 * The observation kinds and status keys of the Fargate source ({@code source = "fargate"}), like
 * {@link KubeObservations}. Every observation is about the drill (empty target id) and carries in its data the
 * Deployment's name ({@value #DEPLOYMENT}) and its {@link DeploymentSnapshot} after the change ({@value #SNAPSHOT},
 * JSON).
 */
public final class FargateObservations {
    /** The source of every observation here, and the kind of the source. */
    public static final String SOURCE = "fargate";
    /** Data key: the Deployment, {@code namespace/name}. */
    public static final String DEPLOYMENT = "deployment";
    /** Data key: the {@link DeploymentSnapshot} as JSON. */
    public static final String SNAPSHOT = "snapshot";

    /** The Deployment when the source started; data {@code initial=true}. */
    public static final String DEPLOYMENT_STATE = "DEPLOYMENT_STATE";
    /** Annotations of the Deployment changed; data {@code changed} (the keys, comma-separated). */
    public static final String ANNOTATIONS_CHANGED = "ANNOTATIONS_CHANGED";
    /** The pod template changed (a new generation): labels or nodeSelector. */
    public static final String TEMPLATE_CHANGED = "TEMPLATE_CHANGED";
    /** The template's compute label went from the Fargate value to another: the orchestrator tries Spot again. */
    public static final String RECOVERY_ATTEMPT = "RECOVERY_ATTEMPT";
    /** A pod waits for a node, or its scheduling reason changed; data {@code pod}, {@code reason}. */
    public static final String POD_PENDING = "POD_PENDING";
    /** A pod was bound to a node; data {@code pod}, {@code node}. */
    public static final String POD_SCHEDULED = "POD_SCHEDULED";
    /** A pod turned Ready; data {@code pod}, {@code node}. */
    public static final String POD_READY = "POD_READY";
    /** A pod stopped being Ready; data {@code pod}, {@code node}. */
    public static final String POD_NOT_READY = "POD_NOT_READY";
    /** A pod was deleted; data {@code pod}, {@code node}. */
    public static final String POD_DELETED = "POD_DELETED";
    /** The node of a pod was seen, with its labels; data {@code node}. */
    public static final String NODE_SEEN = "NODE_SEEN";
    /** The rollout completed (as {@code kubectl rollout status} judges it). */
    public static final String ROLLOUT_COMPLETE = "ROLLOUT_COMPLETE";
    /** A rollout started (the newest generation is not rolled out). */
    public static final String ROLLOUT_STARTED = "ROLLOUT_STARTED";
    /** The rollout's counts changed while it is not complete. */
    public static final String ROLLOUT_PROGRESS = "ROLLOUT_PROGRESS";
    /** The Deployment was deleted. */
    public static final String DEPLOYMENT_DELETED = "DEPLOYMENT_DELETED";

    private FargateObservations() {}

    /** Status key of a Deployment's last state (drill-level, empty target id). */
    public static String status(String deployment) {
        return "fargate:" + deployment;
    }
}
