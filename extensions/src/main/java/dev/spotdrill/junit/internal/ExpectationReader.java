package dev.spotdrill.junit.internal;

import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.junit.spi.ExpectationAnnotations;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Turns the expectation annotations on a test method into core {@link Expectation}s, through the
 * {@link ExpectationAnnotations} providers on the class path (spotdrill's own, and any a suite adds).
 */
final class ExpectationReader {
    private static final Map<Class<? extends Annotation>, Function<Annotation, Expectation>> READERS = load();

    private ExpectationReader() {}

    @SuppressWarnings("unchecked")
    private static Map<Class<? extends Annotation>, Function<Annotation, Expectation>> load() {
        Map<Class<? extends Annotation>, Function<Annotation, Expectation>> readers = new LinkedHashMap<>();
        ExpectationAnnotations.Registry registry = new ExpectationAnnotations.Registry() {
            @Override
            public <A extends Annotation> void add(Class<A> type, Function<A, Expectation> reader) {
                if (readers.putIfAbsent(type, a -> reader.apply((A) a)) != null) {
                    throw new IllegalStateException("@" + type.getSimpleName()
                            + " is registered by two ExpectationAnnotations providers; keep one");
                }
            }
        };
        ServiceLoader.load(ExpectationAnnotations.class, ExpectationReader.class.getClassLoader())
                .forEach(p -> p.register(registry));
        return java.util.Collections.unmodifiableMap(readers);
    }

    /** The expectations declared on the element (directly or through composed annotations), in registration order. */
    static List<Expectation> read(AnnotatedElement element) {
        List<Expectation> out = new ArrayList<>();
        READERS.forEach((type, reader) ->
                AnnotationSupport.findAnnotation(element, type).ifPresent(a -> out.add(reader.apply(a))));
        return out;
    }
}
