package dev.spotdrill.junit.internal;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.advisor.SpotAdvisorFeed;
import dev.spotdrill.core.castai.BlacklistExpectations;
import dev.spotdrill.core.drill.EventExpectations;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.FargateExpectations;
import dev.spotdrill.core.drill.KubeExpectations;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.kube.CronJobs;
import dev.spotdrill.junit.ExpectAvailability;
import dev.spotdrill.junit.ExpectBlacklistMatchesAdvisor;
import dev.spotdrill.junit.ExpectBlacklisted;
import dev.spotdrill.junit.ExpectCordon;
import dev.spotdrill.junit.ExpectDrain;
import dev.spotdrill.junit.ExpectFargateMigration;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectInterruptionWarning;
import dev.spotdrill.junit.ExpectNodeRemoved;
import dev.spotdrill.junit.ExpectNotBlacklisted;
import dev.spotdrill.junit.ExpectRebalanceEvent;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.ExpectRecovery;
import dev.spotdrill.junit.ExpectTaint;
import dev.spotdrill.junit.ExpectTermination;
import dev.spotdrill.junit.Moment;
import dev.spotdrill.junit.RunCronJob;
import dev.spotdrill.junit.spi.ExpectationAnnotations;
import dev.spotdrill.junit.spi.Windows;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;

/** The annotations spotdrill ships, each mapped to its core expectation, with every attribute checked. */
public final class BuiltInExpectations implements ExpectationAnnotations {
    private static final List<String> ACTIONS = List.of("terminate", "stop", "hibernate");
    private static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");
    /** A Kubernetes annotation or label key: an optional DNS-subdomain prefix and '/', then a name of 1-63 characters. */
    static final Pattern QUALIFIED_KEY = Pattern.compile(
            "([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    /** A label value: empty, or 1-63 characters starting and ending alphanumeric. */
    static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    static final Pattern DEPLOYMENT =
            Pattern.compile("([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    /** An EC2 instance type: family, a dot, size, e.g. {@code c5.large}, {@code m7i-flex.2xlarge}. */
    static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z][a-z0-9-]*\\.[a-z0-9-]+");

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
        registry.add(ExpectFargateMigration.class, a -> {
            String annotation = "ExpectFargateMigration";
            deployment(annotation, a.deployment());
            FargateExpectations.Keys keys = new FargateExpectations.Keys(
                    key(annotation, "stateAnnotation", a.stateAnnotation()),
                    key(annotation, "migratedAtAnnotation", a.migratedAtAnnotation()),
                    key(annotation, "reasonAnnotation", a.reasonAnnotation()),
                    FargateExpectations.Keys.defaults().lastRecovered(),
                    FargateExpectations.Keys.defaults().recoveryReason(),
                    FargateExpectations.Keys.defaults().failedAttempts(),
                    key(annotation, "computeLabel", a.computeLabel()),
                    nodeLabel(annotation, a.fargateNodeLabel()));
            return FargateExpectations.migration(a.deployment(), keys, Windows.of(annotation, a.from(), a.within()));
        });
        registry.add(ExpectRecovery.class, a -> {
            String annotation = "ExpectRecovery";
            deployment(annotation, a.deployment());
            FargateExpectations.Keys keys = new FargateExpectations.Keys(
                    key(annotation, "stateAnnotation", a.stateAnnotation()),
                    key(annotation, "migratedAtAnnotation", a.migratedAtAnnotation()),
                    FargateExpectations.Keys.defaults().reason(),
                    key(annotation, "lastRecoveredAnnotation", a.lastRecoveredAnnotation()),
                    key(annotation, "recoveryReasonAnnotation", a.recoveryReasonAnnotation()),
                    key(annotation, "failedAttemptsAnnotation", a.failedAttemptsAnnotation()),
                    key(annotation, "computeLabel", a.computeLabel()),
                    nodeLabel(annotation, a.fargateNodeLabel()));
            return FargateExpectations.recovery(a.deployment(), keys, Windows.of(annotation, a.from(), a.within()));
        });
        registry.add(
                ExpectNodeRemoved.class,
                a -> KubeExpectations.nodeRemoved(Windows.of("ExpectNodeRemoved", a.from(), a.within())));
        registerBlacklist(registry);
    }

    private static void registerBlacklist(Registry registry) {
        registry.add(ExpectBlacklisted.class, a -> {
            checkTypes("ExpectBlacklisted", a.instanceTypes());
            return BlacklistExpectations.blacklisted(
                    List.of(a.instanceTypes()),
                    lifecycle("ExpectBlacklisted", a.lifecycle()),
                    minExpiry(a.minExpiry()),
                    Windows.of("ExpectBlacklisted", a.from(), a.within()));
        });
        registry.add(ExpectNotBlacklisted.class, a -> {
            if (a.instanceTypes().length == 0) {
                throw new SpotDrillConfigurationException(Messages.attr("ExpectNotBlacklisted", "instanceTypes", "{}")
                        + ": names no type; name the types that must stay off the blacklist, e.g."
                        + " instanceTypes = {\"m5.large\", \"t3.large\"}");
            }
            checkTypes("ExpectNotBlacklisted", a.instanceTypes());
            return BlacklistExpectations.notBlacklisted(
                    List.of(a.instanceTypes()),
                    lifecycle("ExpectNotBlacklisted", a.lifecycle()),
                    Windows.of("ExpectNotBlacklisted", a.from(), a.within()));
        });
        registry.add(ExpectBlacklistMatchesAdvisor.class, a -> {
            if (!SpotAdvisorFeed.OPERATING_SYSTEMS.contains(a.os())) {
                throw new SpotDrillConfigurationException(Messages.attr("ExpectBlacklistMatchesAdvisor", "os", a.os())
                        + ": the Spot Advisor feed rates Linux and Windows (case matters); use os = \"Linux\" or"
                        + " os = \"Windows\"");
            }
            if (a.threshold() < 0 || a.threshold() > 100) {
                throw new SpotDrillConfigurationException(
                        Messages.attr("ExpectBlacklistMatchesAdvisor", "threshold", a.threshold())
                                + ": an interruption threshold is a percentage from 0 to 100; use the blacklister's"
                                + " INTERRUPTION_THRESHOLD, e.g. threshold = 10");
            }
            return BlacklistExpectations.matchesAdvisor(
                    a.os(), a.threshold(), Windows.of("ExpectBlacklistMatchesAdvisor", a.from(), a.within()));
        });
        registry.add(RunCronJob.class, a -> {
            if (!CronJobs.valid(a.value())) {
                throw new SpotDrillConfigurationException(Messages.attr("RunCronJob", "value", a.value())
                        + ": not a CronJob's namespace/name; write it like @RunCronJob(\"cast-ai/spot-blacklist\")");
            }
            return CronJobs.run(a.value(), Windows.of("RunCronJob", Moment.START, a.within()));
        });
    }

    private static void checkTypes(String annotation, String[] types) {
        for (String t : types) {
            if (t == null || !INSTANCE_TYPE.matcher(t).matches()) {
                throw new SpotDrillConfigurationException(Messages.attr(annotation, "instanceTypes", t)
                        + ": not an EC2 instance type; write it as family.size, e.g. \"c5.large\"");
            }
        }
    }

    private static String lifecycle(String annotation, String lifecycle) {
        if (!BlacklistExpectations.LIFECYCLES.contains(lifecycle)) {
            throw new SpotDrillConfigurationException(Messages.attr(annotation, "lifecycle", lifecycle)
                    + ": a CAST AI blacklist entry's lifecycle is spot, on-demand or all; use one of those");
        }
        return lifecycle;
    }

    private static Duration minExpiry(String text) {
        try {
            Duration d = Duration.parse(text.trim());
            if (!d.isNegative()) {
                return d;
            }
        } catch (DateTimeParseException e) {
            // below
        }
        throw new SpotDrillConfigurationException(Messages.attr("ExpectBlacklisted", "minExpiry", text)
                + ": not an ISO-8601 duration of zero or more; write it like \"PT4H\" (the blacklister's"
                + " BLACKLIST_HOURS, less a margin), or \"PT0S\" for any expiry");
    }

    private static void deployment(String annotation, String deployment) {
        if (!DEPLOYMENT.matcher(deployment).matches()) {
            throw new SpotDrillConfigurationException(Messages.attr(annotation, "deployment", deployment)
                    + ": not a Deployment name; write namespace/name, e.g. \"shop/cart\"");
        }
    }

    private static String key(String annotation, String attribute, String value) {
        if (!QUALIFIED_KEY.matcher(value).matches() || value.length() > 317) {
            throw new SpotDrillConfigurationException(Messages.attr(annotation, attribute, value)
                    + ": not a Kubernetes annotation or label key; write [prefix/]name, e.g."
                    + " \"spot-orchestrator/state\"");
        }
        return value;
    }

    private static String nodeLabel(String annotation, String value) {
        int eq = value.indexOf('=');
        if (eq <= 0
                || !QUALIFIED_KEY.matcher(value.substring(0, eq)).matches()
                || value.substring(eq + 1).isEmpty()
                || !LABEL_VALUE.matcher(value.substring(eq + 1)).matches()) {
            throw new SpotDrillConfigurationException(Messages.attr(annotation, "fargateNodeLabel", value)
                    + ": not a node label key=value; write it as EKS labels Fargate nodes,"
                    + " \"eks.amazonaws.com/compute-type=fargate\"");
        }
        return value;
    }
}
