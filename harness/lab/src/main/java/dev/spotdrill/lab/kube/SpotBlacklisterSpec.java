package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The lab's reference Spot blacklister, as a scenario declares it under {@code responders.spotBlacklister}:
 *
 * <pre>
 * responders:
 *   spotBlacklister:
 *     cronJob: cast-ai/spot-blacklist      # namespace/name of the CronJob
 *     schedule: "0 *&#47;6 * * *"              # world time, UTC
 *     suspend: false
 *     env: { OS: Linux, INTERRUPTION_THRESHOLD: "10", BLACKLIST_HOURS: "5", BATCH_SIZE: "10", BATCH_PAUSE: "5" }
 * </pre>
 *
 * <p>{@code env} sets the container's settings on top of {@link #DEFAULT_ENV}; {@code REGION} defaults to the
 * scenario's region. The CAST AI URL, organization, cluster and key come from the Secret {@link #secretName()} in
 * the same namespace, which the lab fills with its own.
 *
 * @param namespace the CronJob's namespace
 * @param name the CronJob's name
 * @param schedule the cron schedule, in world time
 * @param suspend whether the schedule is suspended (Jobs created by hand still run)
 * @param env the container's plain settings
 * @param secretName the Secret with the CAST AI credentials
 */
public record SpotBlacklisterSpec(
        String namespace, String name, String schedule, boolean suspend, Map<String, String> env, String secretName) {
    /** The container's settings when the scenario gives none. */
    public static final Map<String, String> DEFAULT_ENV = defaults();
    /** The settings the container reads from its environment. */
    public static final List<String> SETTINGS = List.of(
            "REGION",
            "OS",
            "INTERRUPTION_THRESHOLD",
            "BLACKLIST_HOURS",
            "DRY_RUN",
            "BATCH_SIZE",
            "BATCH_PAUSE",
            "AUTO_APPROVE");

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    public SpotBlacklisterSpec {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        CronSchedule.parse(schedule);
        env = Map.copyOf(env);
        Objects.requireNonNull(secretName, "secretName");
    }

    private static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("OS", "Linux");
        m.put("INTERRUPTION_THRESHOLD", "10");
        m.put("BLACKLIST_HOURS", "5");
        m.put("DRY_RUN", "false");
        m.put("BATCH_SIZE", "10");
        m.put("BATCH_PAUSE", "5");
        m.put("AUTO_APPROVE", "true");
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * The blacklister a scenario declares, empty when it has no {@code responders.spotBlacklister} section or the
     * section says {@code enabled: false}.
     *
     * @param root the scenario's YAML tree
     * @param region the scenario's region, the default of {@code REGION}
     * @throws SpotDrillConfigurationException naming the path, the value and the fix when the section is invalid
     */
    public static Optional<SpotBlacklisterSpec> fromYaml(JsonNode root, String region) {
        JsonNode s = root == null ? null : root.path("responders").path("spotBlacklister");
        if (s == null || s.isMissingNode() || s.isNull()) {
            return Optional.empty();
        }
        String at = "responders.spotBlacklister";
        if (!s.isObject()) {
            throw fail(
                    at,
                    s.toString(),
                    "must be a mapping",
                    "write it like spotBlacklister: { cronJob: cast-ai/spot-blacklist }");
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!List.of("enabled", "cronJob", "schedule", "suspend", "env", "secretName")
                    .contains(k)) {
                throw fail(
                        at + "." + k,
                        s.get(k).toString(),
                        "is not a known setting",
                        "use enabled, cronJob, schedule, suspend, env or secretName");
            }
        }
        if (!bool(s, "enabled", true, at)) {
            return Optional.empty();
        }
        String cronJob = s.path("cronJob").asText("cast-ai/spot-blacklist");
        String[] parts = cronJob.split("/", -1);
        if (parts.length != 2
                || !DNS_LABEL.matcher(parts[0]).matches()
                || !DNS_LABEL.matcher(parts[1]).matches()) {
            throw fail(at + ".cronJob", cronJob, "is not namespace/name", "write it like cast-ai/spot-blacklist");
        }
        String schedule = s.path("schedule").asText("0 */6 * * *");
        try {
            CronSchedule.parse(schedule);
        } catch (SpotDrillConfigurationException e) {
            throw new SpotDrillConfigurationException(at + ".schedule: " + e.getMessage());
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("REGION", region);
        env.putAll(DEFAULT_ENV);
        JsonNode e = s.path("env");
        if (!e.isMissingNode() && !e.isNull()) {
            if (!e.isObject()) {
                throw fail(at + ".env", e.toString(), "must be a mapping", "write it like env: { OS: Linux }");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> kv = it.next();
                if (!SETTINGS.contains(kv.getKey())) {
                    throw fail(
                            at + ".env." + kv.getKey(),
                            kv.getValue().asText(),
                            "is not a blacklister setting",
                            "use " + String.join(", ", SETTINGS));
                }
                if (!kv.getValue().isValueNode() || kv.getValue().isNull()) {
                    throw fail(
                            at + ".env." + kv.getKey(), kv.getValue().toString(), "must be a plain value", "quote it");
                }
                env.put(kv.getKey(), kv.getValue().asText());
            }
        }
        String secretName = s.path("secretName").asText("castai-credentials");
        if (!DNS_LABEL.matcher(secretName).matches()) {
            throw fail(at + ".secretName", secretName, "is not a Secret name", "write it like castai-credentials");
        }
        return Optional.of(
                new SpotBlacklisterSpec(parts[0], parts[1], schedule, bool(s, "suspend", false, at), env, secretName));
    }

    private static boolean bool(JsonNode s, String key, boolean dflt, String at) {
        JsonNode b = s.path(key);
        if (b.isMissingNode() || b.isNull()) {
            return dflt;
        }
        if (!b.isBoolean()) {
            throw fail(at + "." + key, b.asText(), "must be true or false", "write " + key + ": true");
        }
        return b.asBoolean();
    }

    private static SpotDrillConfigurationException fail(String path, String value, String problem, String fix) {
        return new SpotDrillConfigurationException(path + " = \"" + value + "\" " + problem + "; " + fix);
    }
}
