package dev.spotdrill.junit.seam;

import dev.spotdrill.junit.Moment;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A test-only expectation: the heartbeat source beats {@code beats} times within the window. */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
public @interface ExpectHeartbeat {
    int beats() default 1;

    String every() default "PT10S";

    Moment from() default Moment.START;

    String within() default "";
}
