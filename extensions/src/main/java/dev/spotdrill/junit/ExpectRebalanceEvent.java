package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects the "EC2 Instance Rebalance Recommendation" EventBridge event for every target within the window, read
 * from the harness's own rule and SQS queue. FIS sends the recommendation when the experiment starts.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectRebalanceEvent {

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "";
}
