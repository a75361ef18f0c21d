package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects instance types to stay off the cluster's CAST AI blacklist for the whole window: it catches a blacklister
 * that blacklists too much.
 *
 * <p>Unlike most expectations it is continuous: it fails at the first entry that covers one of the types (as the
 * type or as its family), with that entry, and also when the blacklist was never read successfully during the
 * window, since nothing would then prove the types stayed off it.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectNotBlacklisted {

    /** The instance types that must not be blacklisted, e.g. {@code "m5.large"}; at least one. */
    String[] instanceTypes();

    /** The lifecycle an entry must apply to for it to count: {@code spot}, {@code on-demand} or {@code all}. */
    String lifecycle() default "spot";

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION" (required without {@code @SpotInterruption}). */
    String within() default "";
}
