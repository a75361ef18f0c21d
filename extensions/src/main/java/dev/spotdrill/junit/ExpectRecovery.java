package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects a Spot→Fargate orchestrator to bring a Deployment back to Spot inside the window. It is met when, at one
 * moment inside the window, the Deployment's annotations say {@code state=spot}, its recovery annotations are set
 * during the drill ({@code last-recovered-at} and {@code recovery-reason}, with no failed attempt counted in
 * {@code failed-recovery-attempts}), its rollout is complete, and every Ready pod runs on a node that is not a Fargate
 * node.
 *
 * <p>The window opens at INTERRUPTION and lasts {@code PT1H}, which covers the reference orchestrator's 45-minute
 * cooldown and its 5-minute recovery interval. It is judged once for the drill. When the orchestrator keeps rolling
 * back, the miss says how many attempts failed, when they came and how long it backed off between them.
 *
 * <p><b>It may keep a test running much longer than the lead time:</b> the drill's verdicts wait until the
 * Deployment is back on Spot or the window closes, up to an hour of world time after INTERRUPTION (about a minute of
 * wall time in the lab at pace 60; an hour on AWS). Shorten {@code within} for an orchestrator with a shorter
 * cooldown.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectRecovery {

    /** The Deployment, {@code namespace/name} (a bare name means the namespace {@code default}). */
    String deployment();

    /** The moment the window opens. */
    Moment from() default Moment.INTERRUPTION;

    /** The window's length, ISO-8601. */
    String within() default "PT1H";

    /** The annotation with the Deployment's compute state, {@code spot} or {@code fargate}. */
    String stateAnnotation() default "spot-orchestrator/state";

    /** The annotation with the time of the last recovery attempt, RFC 3339. */
    String lastRecoveredAnnotation() default "spot-orchestrator.io/last-recovered-at";

    /** The annotation saying why the last recovery ended as it did. */
    String recoveryReasonAnnotation() default "spot-orchestrator.io/recovery-reason";

    /** The annotation counting the failed recovery attempts in a row. */
    String failedAttemptsAnnotation() default "spot-orchestrator.io/failed-recovery-attempts";

    /** The annotation with the time of the last move to Fargate, RFC 3339 (shown in messages). */
    String migratedAtAnnotation() default "spot-orchestrator/migrated-at";

    /** The pod template label (and nodeSelector key) the orchestrator switches between Spot and Fargate. */
    String computeLabel() default "compute-type";

    /** The label of a Fargate node, {@code key=value}. */
    String fargateNodeLabel() default "eks.amazonaws.com/compute-type=fargate";
}
