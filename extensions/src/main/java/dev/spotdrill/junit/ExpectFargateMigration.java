package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects a Spot→Fargate orchestrator to move a Deployment to Fargate inside the window. It is met when, at one
 * moment inside the window:
 *
 * <ul>
 *   <li>the Deployment's annotations say {@code state=fargate} with {@code reason=spot-interruption}, and its
 *       {@code migrated-at} lies inside the window;
 *   <li>its rollout is complete: {@code observedGeneration >= generation}, and updated = available = desired
 *       replicas, with no pod of an older revision left;
 *   <li>every Ready pod of the Deployment runs on a node labelled {@code eks.amazonaws.com/compute-type=fargate}.
 * </ul>
 *
 * <p>The window opens at NOTICE and closes at INTERRUPTION: the pods must leave before the node dies. It is judged
 * once for the drill, not per target. A miss names which part failed, with what was seen: the annotation values,
 * the rollout counts, the pods still on EC2 nodes with their nodes, the Pending pods with their scheduling reason.
 *
 * <p>The harness watches the Deployment, its pods and the nodes they land on with informers, and puts each change on
 * the timeline. A Deployment the cluster does not have, or whose pod template has no {@link #computeLabel()} label,
 * fails the test before anything is created in AWS. The annotation keys and labels default to those of the
 * reference orchestrator (reference/domain.md); change them for an orchestrator that names them otherwise.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectFargateMigration {

    /** The Deployment, {@code namespace/name} (a bare name means the namespace {@code default}). */
    String deployment();

    /** The moment the window opens. */
    Moment from() default Moment.NOTICE;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "";

    /** The annotation with the Deployment's compute state, {@code spot} or {@code fargate}. */
    String stateAnnotation() default "spot-orchestrator/state";

    /** The annotation with the migration's reason; it must say {@code spot-interruption}. */
    String reasonAnnotation() default "spot-orchestrator/reason";

    /** The annotation with the migration's time, RFC 3339; it must lie inside the window. */
    String migratedAtAnnotation() default "spot-orchestrator/migrated-at";

    /** The pod template label (and nodeSelector key) the orchestrator switches between Spot and Fargate. */
    String computeLabel() default "compute-type";

    /** The label of a Fargate node, {@code key=value}. */
    String fargateNodeLabel() default "eks.amazonaws.com/compute-type=fargate";
}
