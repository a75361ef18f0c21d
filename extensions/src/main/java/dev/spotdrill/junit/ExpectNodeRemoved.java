package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects every target's Kubernetes node object to be deleted within the window. Like {@link ExpectTermination}
 * its window opens at INTERRUPTION by default and lasts {@code PT5M}: a node goes away after its instance does.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectNodeRemoved {

    /** The moment the window opens. */
    Moment from() default Moment.INTERRUPTION;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "PT5M";
}
