package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a real FIS Spot interruption drill around the test: the experiment starts before the test body and the
 * expectations on the same method are decided after it.
 *
 * <p>Exactly one of {@link #instances}, {@link #tags} or {@link #nodes} selects the targets.
 *
 * <pre>{@code
 * @Test
 * @SpotInterruption(tags = "workload=checkout", count = 1, leadTime = "PT2M")
 * @ExpectImdsNotice
 * void checkoutSurvives(InterruptionRun run) { ... }
 * }</pre>
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface SpotInterruption {

    /** Instance ids, e.g. {@code "i-0123456789abcdef0"}. */
    String[] instances() default {};

    /** EC2 tags as {@code key=value}; an instance must carry all of them, and be running. */
    String[] tags() default {};

    /** A Kubernetes label selector on nodes, e.g. {@code "workload=checkout"}; node providerIDs give the instances. */
    String nodes() default "";

    /** How many of the matching instances to interrupt, chosen with a reported seed; 0 means all. */
    int count() default 1;

    /** FIS {@code durationBeforeInterruption}, ISO-8601, at least {@code PT2M}. */
    String leadTime() default "PT2M";
}
