package dev.spotdrill.junit.internal;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.KubeExpectations;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.junit.ExpectAvailability;
import dev.spotdrill.junit.ExpectCordon;
import dev.spotdrill.junit.ExpectDrain;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectInterruptionWarning;
import dev.spotdrill.junit.ExpectNodeRemoved;
import dev.spotdrill.junit.ExpectRebalanceEvent;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.ExpectTaint;
import dev.spotdrill.junit.ExpectTermination;
import dev.spotdrill.junit.spi.ExpectationAnnotations;
import dev.spotdrill.junit.spi.Windows;
import java.util.List;
import java.util.regex.Pattern;

/** The annotations spotdrill ships, each mapped to its core expectation, with every attribute checked. */
public final class BuiltInExpectations implements ExpectationAnnotations {
    private static final List<String> ACTIONS = List.of("terminate", "stop", "hibernate");
    private static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");
    static final Pattern DEPLOYMENT =
            Pattern.compile("([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    @Override
    public void register(Registry registry) {
        registry.add(
                ExpectRebalanceRecommendation.class,
                a -> Expectations.rebalanceRecommendation(
                        Windows.of("ExpectRebalanceRecommendation", a.from(), a.within())));
        registry.add(ExpectImdsNotice.class, a -> {
            if (!ACTIONS.contains(a.action())) {
                throw new SpotDrillConfigurationException(Messages.attr("ExpectImdsNotice", "action", a.action())
                        + ": IMDS names one of terminate, stop or hibernate; use one of those");
            }
            return Expectations.imdsNotice(a.action(), Windows.of("ExpectImdsNotice", a.from(), a.within()));
        });
        registry.add(ExpectInterruptionWarning.class, a -> {
            if (!ACTIONS.contains(a.action())) {
                throw new SpotDrillConfigurationException(
                        Messages.attr("ExpectInterruptionWarning", "action", a.action())
                                + ": the warning's instance-action is one of terminate, stop or hibernate; use one of"
                                + " those");
            }
            return EventExpectations.interruptionWarning(
                    a.action(), Windows.of("ExpectInterruptionWarning", a.from(), a.within()));
        });
        registry.add(
                ExpectRebalanceEvent.class,
                a -> EventExpectations.rebalanceEvent(Windows.of("ExpectRebalanceEvent", a.from(), a.within())));
        registry.add(
                ExpectTermination.class,
                a -> Expectations.termination(Windows.of("ExpectTermination", a.from(), a.within())));
        registry.add(ExpectTaint.class, a -> {
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
            return KubeExpectations.taint(a.key(), a.effect(), Windows.of("ExpectTaint", a.from(), a.within()));
        });
        registry.add(
                ExpectCordon.class, a -> KubeExpectations.cordon(Windows.of("ExpectCordon", a.from(), a.within())));
        registry.add(
                ExpectDrain.class,
                a -> KubeExpectations.drain(a.rescheduled(), Windows.of("ExpectDrain", a.from(), a.within())));
        registry.add(ExpectAvailability.class, a -> {
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
                    a.deployment(), a.minReady(), Windows.of("ExpectAvailability", a.from(), a.within()));
        });
        registry.add(
                ExpectNodeRemoved.class,
                a -> KubeExpectations.nodeRemoved(Windows.of("ExpectNodeRemoved", a.from(), a.within())));
    }
}
