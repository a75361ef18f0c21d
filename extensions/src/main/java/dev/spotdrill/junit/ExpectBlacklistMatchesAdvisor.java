package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expects the cluster's CAST AI blacklist to hold, at some time within the window, exactly the instance types the
 * Spot Advisor feed rates above {@code threshold} in the world's region for {@code os}: none missing, none extra.
 *
 * <p>A type is above the threshold when the maximum of its interruption range is: the ranges' maxima are
 * 5/11/16/22/100, so {@code threshold = 10} includes the {@code "5-10%"} range. Only Spot entries ({@code spot},
 * {@code all} or no lifecycle) count; a family entry ({@code c5}) that also covers a type the feed rates at or below
 * the threshold is extra. The feed is read before anything is created ({@code spotdrill.spotAdvisor.url}); a miss
 * names what was missing and what was extra.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface ExpectBlacklistMatchesAdvisor {

    /** The operating system whose ratings count: {@code Linux} or {@code Windows}. */
    String os() default "Linux";

    /** The interruption threshold, a percentage from 0 to 100, as the blacklister is configured. */
    int threshold() default 10;

    /** The moment the window opens. */
    Moment from() default Moment.START;

    /** The window's length, ISO-8601; empty means "until INTERRUPTION" (required without {@code @SpotInterruption}). */
    String within() default "";
}
