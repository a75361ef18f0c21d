package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects the "EC2 Spot Instance Interruption Warning" EventBridge event for every target, with the given action,
 * within the window. The harness reads it from its own rule and SQS queue ({@code spotdrill-<run id>}), created for
 * the drill and removed after it; it never reads another consumer's queue. This is how a CI runner that is not on
 * the instance sees the two-minute warning on AWS.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectInterruptionWarning {

    /** The {@code detail.instance-action} the warning must name: {@code terminate}, {@code stop} or {@code hibernate}. */
    String action() default "terminate";

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "";
}
