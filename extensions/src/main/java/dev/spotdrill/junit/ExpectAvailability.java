package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects a Deployment to keep at least {@code minReady} Ready pods for the whole drill. Unlike the other
 * expectations it is continuous: it fails at the first moment the Ready count falls below {@code minReady}, with
 * that time and the count over time.
 *
 * <p>Its window opens at START and lasts {@code PT5M} by default, so that it covers the interruption (two
 * minutes after START with the default lead time) and the deletion of the lost node and the rescheduling that
 * follows. Lengthen {@code within} for lead times beyond about {@code PT4M}.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectAvailability {

    /** The Deployment, {@code namespace/name} (a bare name means the namespace {@code default}). */
    String deployment();

    /** The fewest Ready pods allowed at any moment of the window; 0 or more. */
    int minReady() default 1;

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601. */
    String within() default "PT5M";
}
