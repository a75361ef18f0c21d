package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects every target's Kubernetes node to get a taint with the given key and effect within the window, as
 * aws-node-termination-handler does on a Spot interruption notice.
 *
 * <p>Only fresh evidence counts: the harness must see the taint appear. A node that already carries a taint with
 * this key and effect when the drill starts is refused before anything is created (the drill would prove nothing);
 * remove the taint or select another node.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectTaint {

    /** The taint key; by default aws-node-termination-handler's Spot interruption taint. */
    String key() default "aws-node-termination-handler/spot-itn";

    /** The taint effect: {@code NoSchedule}, {@code PreferNoSchedule} or {@code NoExecute}. */
    String effect() default "NoSchedule";

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION". */
    String within() default "";
}
