package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings of the lab's reference Spot→Fargate orchestrator ({@code responders.fargateOrchestrator}), named as
 * that orchestrator's own configuration names them. Durations are written as it writes them ({@code 120s},
 * {@code 45m}, {@code 4h}) or in ISO-8601 ({@code PT45M}); all are world time.
 *
 * <pre>
 * responders:
 *   fargateOrchestrator:
 *     namespace: shop
 *     deployment: cart
 *     sqs_queue: fargate-orchestrator     # one of the scenario's eventRules queues; the lab gives it the URL
 *     compute_label_key: compute-type      # default
 *     spot_label: spot                     # default
 *     fargate_label: fargate               # default
 *     rollout_timeout: 120s                # default
 *     verification_delay: 5s               # default
 *     recovery: { enabled: true, interval: 5m, cooldown: 45m, timeout: 3m, backoff_base: 15m, max_backoff: 4h }
 * </pre>
 *
 * @param enabled whether the orchestrator runs
 * @param namespace the namespace of the Deployment it manages
 * @param deployment the Deployment it manages
 * @param queue the name of its SQS queue (a scenario {@code eventRules} queue)
 * @param computeLabelKey the pod template label and nodeSelector key it patches
 * @param spotLabel that key's value on Spot
 * @param fargateLabel that key's value on Fargate
 * @param rolloutTimeout how long it waits for a migration's rollout
 * @param verificationDelay how long after a rollout it checks the pods' health
 * @param recovery the settings of the move back to Spot
 */
public record FargateOrchestratorSpec(
        boolean enabled,
        String namespace,
        String deployment,
        String queue,
        String computeLabelKey,
        String spotLabel,
        String fargateLabel,
        Duration rolloutTimeout,
        Duration verificationDelay,
        Recovery recovery) {

    private static final Set<String> KEYS = Set.of(
            "enabled",
            "namespace",
            "deployment",
            "sqs_queue",
            "compute_label_key",
            "spot_label",
            "fargate_label",
            "rollout_timeout",
            "verification_delay",
            "recovery");
    private static final Set<String> RECOVERY_KEYS =
            Set.of("enabled", "interval", "cooldown", "timeout", "backoff_base", "max_backoff");
    private static final Pattern GO_DURATION = Pattern.compile("(\\d+)(ms|h|m|s)");

    public FargateOrchestratorSpec {
        String at = "responders.fargateOrchestrator";
        WorkloadSpec.checkName(at + ".namespace", namespace);
        WorkloadSpec.checkName(at + ".deployment", deployment);
        if (queue == null || queue.isBlank()) {
            throw new SpotDrillConfigurationException(at + ".sqs_queue is missing; name the scenario eventRules queue"
                    + " the orchestrator reads, e.g. sqs_queue: fargate-orchestrator");
        }
        if (computeLabelKey == null || computeLabelKey.isBlank()) {
            throw new SpotDrillConfigurationException(at + ".compute_label_key is blank; use e.g. compute-type");
        }
        if (spotLabel == null
                || spotLabel.isBlank()
                || fargateLabel == null
                || fargateLabel.isBlank()
                || spotLabel.equals(fargateLabel)) {
            throw new SpotDrillConfigurationException(at + ": spot_label '" + spotLabel + "' and fargate_label '"
                    + fargateLabel + "' must be two different non-blank values, e.g. spot and fargate");
        }
        positive(at + ".rollout_timeout", rolloutTimeout);
        if (verificationDelay == null || verificationDelay.isNegative()) {
            throw new SpotDrillConfigurationException(
                    at + ".verification_delay is " + verificationDelay + "; use 0s or more, e.g. 5s");
        }
        if (recovery == null) {
            throw new SpotDrillConfigurationException(at + ".recovery is missing");
        }
    }

    /** The orchestrator's defaults for a Deployment and queue. */
    public static FargateOrchestratorSpec of(String namespace, String deployment, String queue) {
        return new FargateOrchestratorSpec(
                true,
                namespace,
                deployment,
                queue,
                "compute-type",
                "spot",
                "fargate",
                Duration.ofSeconds(120),
                Duration.ofSeconds(5),
                Recovery.defaults());
    }

    /** This spec with other recovery settings. */
    public FargateOrchestratorSpec withRecovery(Recovery newRecovery) {
        return new FargateOrchestratorSpec(
                enabled,
                namespace,
                deployment,
                queue,
                computeLabelKey,
                spotLabel,
                fargateLabel,
                rolloutTimeout,
                verificationDelay,
                newRecovery);
    }

    /**
     * The move back to Spot.
     *
     * @param enabled whether it runs at all
     * @param interval how often it checks (default 5m)
     * @param cooldown how long after a migration it first tries (default 45m)
     * @param timeout how long it waits for the rollout to Spot (default 3m)
     * @param backoffBase the wait after the first failed attempt, doubled after each further one (default 15m)
     * @param maxBackoff the longest wait between attempts (default 4h)
     */
    public record Recovery(
            boolean enabled,
            Duration interval,
            Duration cooldown,
            Duration timeout,
            Duration backoffBase,
            Duration maxBackoff) {
        public Recovery {
            String at = "responders.fargateOrchestrator.recovery";
            positive(at + ".interval", interval);
            if (cooldown == null || cooldown.isNegative()) {
                throw new SpotDrillConfigurationException(
                        at + ".cooldown is " + cooldown + "; use 0s or more, e.g. 45m");
            }
            positive(at + ".timeout", timeout);
            positive(at + ".backoff_base", backoffBase);
            positive(at + ".max_backoff", maxBackoff);
            if (maxBackoff.compareTo(backoffBase) < 0) {
                throw new SpotDrillConfigurationException(at + ".max_backoff " + maxBackoff + " is shorter than"
                        + " backoff_base " + backoffBase + "; make it at least as long");
            }
        }

        /** The orchestrator's defaults: every 5m, after 45m, 3m to roll out, backoff from 15m up to 4h. */
        public static Recovery defaults() {
            return new Recovery(
                    true,
                    Duration.ofMinutes(5),
                    Duration.ofMinutes(45),
                    Duration.ofMinutes(3),
                    Duration.ofMinutes(15),
                    Duration.ofHours(4));
        }

        /** The wait before the next attempt after {@code failed} consecutive failures: base doubled, capped. */
        public Duration backoff(int failed) {
            if (failed <= 0) {
                return Duration.ZERO;
            }
            Duration d = backoffBase;
            for (int i = 1; i < failed && d.compareTo(maxBackoff) < 0; i++) {
                d = d.multipliedBy(2);
            }
            return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
        }
    }

    private static void positive(String what, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new SpotDrillConfigurationException(what + " is " + d + "; use a positive duration, e.g. 5m");
        }
    }

    /**
     * Reads {@code responders.fargateOrchestrator}; empty when the scenario has none.
     *
     * @throws SpotDrillConfigurationException naming the key, the value and the fix
     */
    public static Optional<FargateOrchestratorSpec> fromYaml(JsonNode root) {
        JsonNode o = root == null ? null : root.path("responders").path("fargateOrchestrator");
        if (o == null || o.isMissingNode() || o.isNull()) {
            return Optional.empty();
        }
        String at = "responders.fargateOrchestrator";
        if (!o.isObject()) {
            throw new SpotDrillConfigurationException(at + " must be a mapping of the orchestrator's settings");
        }
        unknownKeys(o, KEYS, at);
        FargateOrchestratorSpec d = of("default", "x", "x");
        Recovery r = Recovery.defaults();
        JsonNode rec = o.path("recovery");
        if (!rec.isMissingNode() && !rec.isNull()) {
            if (!rec.isObject()) {
                throw new SpotDrillConfigurationException(at + ".recovery must be a mapping of " + RECOVERY_KEYS);
            }
            String rat = at + ".recovery";
            unknownKeys(rec, RECOVERY_KEYS, rat);
            r = new Recovery(
                    bool(rec, "enabled", r.enabled(), rat),
                    duration(rec, "interval", r.interval(), rat),
                    duration(rec, "cooldown", r.cooldown(), rat),
                    duration(rec, "timeout", r.timeout(), rat),
                    duration(rec, "backoff_base", r.backoffBase(), rat),
                    duration(rec, "max_backoff", r.maxBackoff(), rat));
        }
        return Optional.of(new FargateOrchestratorSpec(
                bool(o, "enabled", true, at),
                ClusterSpec.text(o, "namespace", "default", at),
                ClusterSpec.text(o, "deployment", null, at),
                ClusterSpec.text(o, "sqs_queue", null, at),
                ClusterSpec.text(o, "compute_label_key", d.computeLabelKey(), at),
                ClusterSpec.text(o, "spot_label", d.spotLabel(), at),
                ClusterSpec.text(o, "fargate_label", d.fargateLabel(), at),
                duration(o, "rollout_timeout", d.rolloutTimeout(), at),
                duration(o, "verification_delay", d.verificationDelay(), at),
                r));
    }

    private static void unknownKeys(JsonNode o, Set<String> keys, String at) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw new SpotDrillConfigurationException(at + " has the unknown key '" + k + "'; use "
                        + keys.stream().sorted().toList());
            }
        }
    }

    private static boolean bool(JsonNode parent, String field, boolean dflt, String at) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        String v = n.asText();
        if (n.isBoolean() || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return n.isBoolean() ? n.booleanValue() : Boolean.parseBoolean(v);
        }
        throw new SpotDrillConfigurationException(
                at + "." + field + " '" + v + "' is not a boolean; use true or false");
    }

    /** A duration as the orchestrator writes it ({@code 1h30m}, {@code 120s}) or in ISO-8601 ({@code PT2M}). */
    static Duration duration(JsonNode parent, String field, Duration dflt, String at) {
        String v = ClusterSpec.text(parent, field, null, at);
        if (v == null) {
            return dflt;
        }
        Optional<Duration> d = parseDuration(v.trim());
        return d.orElseThrow(() -> new SpotDrillConfigurationException(at + "." + field + " '" + v
                + "' is not a duration; write it as the orchestrator does (120s, 45m, 4h, 1h30m) or in ISO-8601"
                + " (PT45M)"));
    }

    static Optional<Duration> parseDuration(String v) {
        if (v.startsWith("P") || v.startsWith("p")) {
            try {
                return Optional.of(Duration.parse(v));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        Matcher m = GO_DURATION.matcher(v);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                return Optional.empty();
            }
            long n = Long.parseLong(m.group(1));
            total = total.plus(
                    switch (m.group(2)) {
                        case "h" -> Duration.ofHours(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "s" -> Duration.ofSeconds(n);
                        default -> Duration.ofMillis(n);
                    });
            end = m.end();
        }
        return end == v.length() && end > 0 ? Optional.of(total) : Optional.empty();
    }
}
