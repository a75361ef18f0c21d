package dev.spotdrill.junit.internal;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.KubeExpectations;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.junit.ExpectAvailability;
import dev.spotdrill.junit.ExpectCordon;
import dev.spotdrill.junit.ExpectDrain;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectNodeRemoved;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.ExpectTaint;
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

    private static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");
    private static final java.util.regex.Pattern DEPLOYMENT = java.util.regex.Pattern.compile(
            "([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

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
        register(ExpectTaint.class, a -> {
            if (a.key().isBlank()) {
                throw new SpotDrillConfigurationException(Messages.attr("ExpectTaint", "key", a.key())
                        + ": the taint key is empty; give the key the handler sets, e.g."
                        + " \"aws-node-termination-handler/spot-itn\"");
            }
            if (!TAINT_EFFECTS.contains(a.effect())) {
                throw new SpotDrillConfigurationException(Messages.attr("ExpectTaint", "effect", a.effect())
                        + ": a taint effect is one of NoSchedule, PreferNoSchedule or NoExecute (case matters);"
                        + " use one of those");
            }
            return KubeExpectations.taint(a.key(), a.effect(), window("ExpectTaint", a.from(), a.within()));
        });
        register(ExpectCordon.class, a -> KubeExpectations.cordon(window("ExpectCordon", a.from(), a.within())));
        register(
                ExpectDrain.class,
                a -> KubeExpectations.drain(a.rescheduled(), window("ExpectDrain", a.from(), a.within())));
        register(ExpectAvailability.class, a -> {
            if (!DEPLOYMENT.matcher(a.deployment()).matches()) {
                throw new SpotDrillConfigurationException(
                        Messages.attr("ExpectAvailability", "deployment", a.deployment())
                                + ": not a Deployment name; write namespace/name, e.g. \"shop/checkout\"");
            }
            if (a.minReady() < 0) {
                throw new SpotDrillConfigurationException(Messages.attr("ExpectAvailability", "minReady", a.minReady())
                        + ": must be 0 or more; use the fewest Ready pods the service needs, e.g. minReady = 2");
            }
            return KubeExpectations.availability(
                    a.deployment(), a.minReady(), window("ExpectAvailability", a.from(), a.within()));
        });
        register(
                ExpectNodeRemoved.class,
                a -> KubeExpectations.nodeRemoved(window("ExpectNodeRemoved", a.from(), a.within())));
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
