package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects every target's Kubernetes node to be drained within the window: every pod on it that is not owned by a
 * DaemonSet and is not a mirror pod is gone. By default before INTERRUPTION.
 *
 * <p>With {@code rescheduled = true}, each pod that left must also have a replacement (a pod of the same owner)
 * Ready on another node within the window.
 *
 * <p>Only fresh evidence counts: the last such pod must leave while the node is Ready. Pods lost with the node
 * (it went NotReady or was deleted with them still on it) are not a drain, and the miss says so. A node that runs no
 * such pod when the drill starts is refused before anything is created (the drill would prove nothing).
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectDrain {

    /** Whether the pods that left must be Ready again on other nodes within the window. */
    boolean rescheduled() default false;

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "";
}
