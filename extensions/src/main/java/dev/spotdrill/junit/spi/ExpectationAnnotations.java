package dev.spotdrill.junit.spi;

import dev.spotdrill.core.drill.Expectation;
import java.lang.annotation.Annotation;
import java.util.function.Function;

/**
 * Tells the spotdrill extension how to read expectation annotations: each annotation type maps to a core
 * {@link Expectation} through one registration. Found by {@link java.util.ServiceLoader}: implement it, list the
 * class in {@code META-INF/services/dev.spotdrill.junit.spi.ExpectationAnnotations}, and the annotations work on
 * any {@code @SpotDrill} test, directly or through composed annotations. The expectation names the
 * {@link dev.spotdrill.core.drill.Source}s it needs; nothing in the extension changes.
 *
 * <pre>{@code
 * public final class MyExpectations implements ExpectationAnnotations {
 *     public void register(Registry registry) {
 *         registry.add(ExpectQueueDrained.class, a -> new QueueDrained(a.queue(),
 *                 Windows.of("ExpectQueueDrained", a.from(), a.within())));
 *     }
 * }
 * }</pre>
 */
public interface ExpectationAnnotations {

    /** Registers the annotations this provider reads. */
    void register(Registry registry);

    /** Where providers register their annotations. */
    interface Registry {
        /**
         * Reads annotations of this type with this function, which checks every attribute and throws
         * {@link dev.spotdrill.core.SpotDrillConfigurationException} naming the attribute, the value and the fix.
         */
        <A extends Annotation> void add(Class<A> type, Function<A, Expectation> reader);
    }
}
