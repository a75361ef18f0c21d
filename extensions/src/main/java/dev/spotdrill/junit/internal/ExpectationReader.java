package dev.spotdrill.junit.internal;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.ExpectTermination;
import dev.spotdrill.junit.Moment;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.platform.commons.support.AnnotationSupport;

/** Turns the expectation annotations on a test method into core {@link Expectation}s, checking every attribute. */
final class ExpectationReader {
    private static final Map<Class<? extends Annotation>, Function<Annotation, Expectation>> READERS =
            new LinkedHashMap<>();

    static {
        register(
                ExpectRebalanceRecommendation.class,
                a -> Expectations.rebalanceRecommendation(
                        window("ExpectRebalanceRecommendation", a.from(), a.within())));
        register(ExpectImdsNotice.class, a -> {
            if (!List.of("terminate", "stop", "hibernate").contains(a.action())) {
                throw new SpotDrillConfigurationException(Messages.attr("ExpectImdsNotice", "action", a.action())
                        + ": IMDS names one of terminate, stop or hibernate; use one of those");
            }
            return Expectations.imdsNotice(a.action(), window("ExpectImdsNotice", a.from(), a.within()));
        });
        register(
                ExpectTermination.class,
                a -> Expectations.termination(window("ExpectTermination", a.from(), a.within())));
    }

    private ExpectationReader() {}

    @SuppressWarnings("unchecked")
    private static <A extends Annotation> void register(Class<A> type, Function<A, Expectation> reader) {
        READERS.put(type, a -> reader.apply((A) a));
    }

    /** The expectations declared on the element (directly or through composed annotations). */
    static List<Expectation> read(AnnotatedElement element) {
        List<Expectation> out = new ArrayList<>();
        READERS.forEach((type, reader) ->
                AnnotationSupport.findAnnotation(element, type).ifPresent(a -> out.add(reader.apply(a))));
        return out;
    }

    static Window window(String annotation, Moment from, String within) {
        if (within == null || within.isBlank()) {
            return new Window(from.toCore(), Optional.empty());
        }
        try {
            Duration d = Duration.parse(within.trim());
            if (d.isNegative() || d.isZero()) {
                throw new SpotDrillConfigurationException(Messages.badWithin(annotation, within));
            }
            return new Window(from.toCore(), Optional.of(d));
        } catch (DateTimeParseException e) {
            throw new SpotDrillConfigurationException(Messages.badWithin(annotation, within));
        }
    }
}
