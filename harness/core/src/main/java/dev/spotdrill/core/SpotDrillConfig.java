package dev.spotdrill.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * spotdrill's configuration: JUnit configuration parameters (or any first source), then system properties,
 * then {@code SPOTDRILL_*} environment variables.
 *
 * <p>A key such as {@code spotdrill.fis.roleArn} is read from the environment as {@code SPOTDRILL_FIS_ROLE_ARN}
 * (or {@code SPOTDRILL_FIS_ROLEARN}). Typed getters check the value and throw
 * {@link SpotDrillConfigurationException} with the key, the value and the fix.
 */
public final class SpotDrillConfig {
    public static final String WORLD = "spotdrill.world";
    public static final String LAB_PACE = "spotdrill.lab.pace";
    public static final String LAB_SCENARIO = "spotdrill.lab.scenario";
    public static final String LAB_FAULTS = "spotdrill.lab.faults";
    public static final String LAB_ATTACH = "spotdrill.lab.attach";
    /**
     * The control URL of a lab running in another process ({@code spotdrill lab}), to attach drills to it; read from
     * {@code SPOTDRILL_LAB_URL} too, which the lab's {@code env} file sets.
     */
    public static final String LAB_URL = "spotdrill.lab.url";

    public static final String AWS_REGION = "spotdrill.aws.region";
    public static final String FIS_ROLE_ARN = "spotdrill.fis.roleArn";
    public static final String FIS_ROLE_NAME = "spotdrill.fis.roleName";
    public static final String FIS_STOP_ALARM_ARN = "spotdrill.fis.stopAlarmArn";
    public static final String FIS_QUOTA_WAIT = "spotdrill.fis.quotaWait";
    public static final String FIS_COALESCE = "spotdrill.fis.coalesce";
    public static final String GUARD_OPT_IN_TAG = "spotdrill.guard.optInTag";
    public static final String GUARD_ACCOUNTS = "spotdrill.guard.accounts";
    public static final String GUARD_MAX_TARGETS = "spotdrill.guard.maxTargets";
    public static final String KUBE_CONTEXT = "spotdrill.kube.context";
    public static final String KUBE_CONFIG = "spotdrill.kube.config";
    public static final String IMDS_VIA = "spotdrill.imds.via";
    public static final String IMDS_PROBE_IMAGE = "spotdrill.imds.probeImage";
    public static final String SEED = "spotdrill.seed";
    /** The Spot Advisor feed's URL; default the public feed, the lab world supplies its own. */
    public static final String SPOT_ADVISOR_URL = "spotdrill.spotAdvisor.url";
    /** The CAST AI API's base URL; default {@code https://api.cast.ai}. */
    public static final String CASTAI_URL = "spotdrill.castai.url";
    /** The CAST AI organization id whose blacklist is read. */
    public static final String CASTAI_ORGANIZATION_ID = "spotdrill.castai.organizationId";
    /** The CAST AI cluster id whose blacklist is read. */
    public static final String CASTAI_CLUSTER_ID = "spotdrill.castai.clusterId";
    /** How often (world time) the CAST AI source reads the blacklist, which has no watch; default {@code PT10S}. */
    public static final String CASTAI_POLL_INTERVAL = "spotdrill.castai.pollInterval";

    private final Function<String, Optional<String>> first;
    private final Function<String, String> env;
    private final Map<String, String> overrides;

    private SpotDrillConfig(
            Function<String, Optional<String>> first, Function<String, String> env, Map<String, String> overrides) {
        this.first = first;
        this.env = env;
        this.overrides = Map.copyOf(overrides);
    }

    /** Configuration from the given first source, then system properties, then the environment. */
    public static SpotDrillConfig from(Function<String, Optional<String>> first) {
        return new SpotDrillConfig(first, System::getenv, Map.of());
    }

    /** Configuration from system properties and the environment only. */
    public static SpotDrillConfig fromSystem() {
        return from(k -> Optional.empty());
    }

    /** Configuration from a fixed map only: no system properties or environment. For tests and tools. */
    public static SpotDrillConfig of(Map<String, String> values) {
        return new SpotDrillConfig(k -> Optional.empty(), null, values);
    }

    /** This configuration with some keys set on top. */
    public SpotDrillConfig with(Map<String, String> values) {
        Map<String, String> merged = new LinkedHashMap<>(overrides);
        merged.putAll(values);
        return new SpotDrillConfig(first, env, merged);
    }

    /** The raw value of a key, blank values counting as absent. */
    public Optional<String> get(String key) {
        String v = overrides.get(key);
        if (v == null) {
            v = first.apply(key).orElse(null);
        }
        if (v == null && env != null) {
            v = System.getProperty(key);
            for (int i = 0; v == null && i < envNames(key).size(); i++) {
                v = env.apply(envNames(key).get(i));
            }
        }
        return Optional.ofNullable(v).map(String::trim).filter(s -> !s.isEmpty());
    }

    /** The value of a key, or the default. */
    public String get(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    /** An ISO-8601 duration, or the default; a bad value throws with the key and the fix. */
    public Duration duration(String key, Duration defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Duration.parse(v.get());
        } catch (DateTimeParseException e) {
            throw new SpotDrillConfigurationException(
                    key + "=\"" + v.get() + "\": not an ISO-8601 duration; write it like PT2M or PT90S");
        }
    }

    /** A positive integer, or the default. */
    public int positiveInt(String key, int defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(v.get());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new SpotDrillConfigurationException(
                key + "=\"" + v.get() + "\": must be a whole number of at least 1; for example " + key + "=5");
    }

    /** A positive number, or the default. */
    public double positiveNumber(String key, double defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            double d = Double.parseDouble(v.get());
            if (d > 0 && !Double.isInfinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new SpotDrillConfigurationException(
                key + "=\"" + v.get() + "\": must be a positive number; for example " + key + "=60");
    }

    /** A comma-separated list, trimmed, without empty items. */
    public List<String> list(String key) {
        List<String> out = new ArrayList<>();
        get(key).ifPresent(v -> {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        });
        return out;
    }

    /**
     * The CAST AI API key, from the environment variable {@code SPOTDRILL_CASTAI_API_KEY} only: secrets never come
     * from configuration files or system properties.
     */
    public static Optional<Secret> castAiApiKey() {
        return Optional.ofNullable(System.getenv(Redactor.CASTAI_API_KEY_ENV))
                .filter(s -> !s.isBlank())
                .map(Secret::of);
    }

    /** The environment variable names that a key is read from, for example {@code SPOTDRILL_FIS_ROLE_ARN}. */
    public static List<String> envNames(String key) {
        String plain = key.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
        String split = key.replaceAll("([a-z0-9])([A-Z])", "$1_$2")
                .replace('.', '_')
                .replace('-', '_')
                .toUpperCase(Locale.ROOT);
        return split.equals(plain) ? List.of(plain) : List.of(split, plain);
    }

    @Override
    public String toString() {
        return "SpotDrillConfig[world=" + get(WORLD, World.LAB) + "]";
    }
}
