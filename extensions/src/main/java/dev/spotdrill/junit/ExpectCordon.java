package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects every target's Kubernetes node to be cordoned ({@code spec.unschedulable = true}) within the window.
 *
 * <p>Only fresh evidence counts: the harness must see the node become unschedulable. A node already cordoned when
 * the drill starts is refused before anything is created (the drill would prove nothing); uncordon it or select
 * another node.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectCordon {

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "";
}
