package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects EC2 to show every target {@code shutting-down} or {@code terminated} within the window.
 *
 * <p>Unlike the other expectations, its window opens at INTERRUPTION by default and lasts {@code PT3M}: the
 * termination happens at the interruption, not before it.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectTermination {

    /** The moment the window opens. */
    Moment from() default Moment.INTERRUPTION;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "PT3M";
}
