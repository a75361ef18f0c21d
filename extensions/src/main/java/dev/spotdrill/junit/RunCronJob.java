package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a Kubernetes CronJob once at START, as {@code kubectl create job --from=cronjob/<name>} does, and expects its
 * Job to complete within the window: a nightly check starts the blacklister this way instead of waiting for its
 * schedule.
 *
 * <p>The Job gets an owner reference to the CronJob, the annotation {@code cronjob.kubernetes.io/instantiate: manual},
 * the job template's labels and spec, and the label {@code spotdrill/run-id}. Its completion or failure goes on the
 * timeline with the tail of its pod's log; a Job that fails fails the test at once, with that log. The Job and its
 * pods are deleted when the test ends. An unknown CronJob fails the test before anything is created.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(SpotDrillExtension.class)
public @interface RunCronJob {

    /** The CronJob, {@code namespace/name}, e.g. {@code "cast-ai/spot-blacklist"}. */
    String value();

    /** How long (from START, when the Job is created) the Job may take to complete, ISO-8601. */
    String within() default "PT10M";
}
