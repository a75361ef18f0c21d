package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects instance types to appear in the cluster's CAST AI blacklist within the window, each for at least
 * {@code minExpiry}: the outcome of a Spot blacklister.
 *
 * <p>A type counts as blacklisted when an entry for the lifecycle names it, either as the whole type
 * ({@code c5.large}) or as its family ({@code c5}); the verdict says which. The entry's {@code expiresAt} must be at
 * least {@code minExpiry} after the read that saw it; an entry without {@code expiresAt} never expires and does not
 * count. An entry already on the list when the drill starts counts from then. A miss lists every entry seen.
 *
 * <p>With no {@code instanceTypes}, each target's own type is expected, one verdict per target; a drill without
 * {@code @SpotInterruption} has no targets, so it must name the types. CAST AI is read every
 * {@code spotdrill.castai.pollInterval} (default {@code PT10S}, world time).
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectBlacklisted {

    /** The instance types, e.g. {@code "c5.large"}; empty for each target's own type. */
    String[] instanceTypes() default {};

    /** The lifecycle the entry must apply to: {@code spot}, {@code on-demand} or {@code all}. */
    String lifecycle() default "spot";

    /** The shortest time an entry must last from when it was seen, ISO-8601; {@code PT0S} for any expiry. */
    String minExpiry() default "PT4H";

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION" (required without {@code @SpotInterruption}). */
    String within() default "";
}
