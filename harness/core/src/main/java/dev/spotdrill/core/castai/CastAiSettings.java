package dev.spotdrill.core.castai;

import dev.spotdrill.core.Secret;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and as whom the CAST AI API is called: its URL, the organization and cluster whose blacklist is read, and
 * the API key.
 *
 * <p>{@link #resolve} takes each value from the configuration first, then from the world (the lab supplies its
 * own URL, ids and key, so nothing needs setting there). The key comes from the environment variable
 * {@value #API_KEY_ENV} only, then from the world's secret of that name; it never shows in {@link #toString}.
 *
 * @param url the API's base URL, for example {@code https://api.cast.ai}
 * @param organizationId the organization id
 * @param clusterId the cluster id
 * @param apiKey the API key
 * @param apiKeySource where the key came from, for messages: the environment variable or the world
 */
public record CastAiSettings(URI url, String organizationId, String clusterId, Secret apiKey, String apiKeySource) {
    /** The environment variable that holds the API key, and the name of the world secret that stands in for it. */
    public static final String API_KEY_ENV = "SPOTDRILL_CASTAI_API_KEY";
    /** CAST AI's public API. */
    public static final URI DEFAULT_URL = URI.create("https://api.cast.ai");

    public CastAiSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(organizationId, "organizationId");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(apiKey, "apiKey");
        apiKeySource = apiKeySource == null ? "" : apiKeySource;
    }

    /** Settings given directly, for tools and tests; the key's source reads as given. */
    public static CastAiSettings of(URI url, String organizationId, String clusterId, Secret apiKey) {
        return new CastAiSettings(url, organizationId, clusterId, apiKey, "given");
    }

    /**
     * The settings for a world: {@code spotdrill.castai.url}, {@code .organizationId} and {@code .clusterId} from
     * the configuration, else the world's defaults (the URL defaults to {@link #DEFAULT_URL}); the key from
     * {@value #API_KEY_ENV}, else the world's secret of that name.
     *
     * @throws SpotDrillConfigurationException naming the key and the fix when the organization id, the cluster id
     *     or the API key is missing, or the URL is not an absolute http(s) URL
     */
    public static CastAiSettings resolve(SpotDrillConfig config, World world) {
        return resolve(config, world, SpotDrillConfig.castAiApiKey());
    }

    /** As {@link #resolve(SpotDrillConfig, World)}, with the environment's key given (empty when unset). */
    static CastAiSettings resolve(SpotDrillConfig config, World world, Optional<Secret> keyFromEnvironment) {
        String rawUrl = value(config, world, SpotDrillConfig.CASTAI_URL).orElse(DEFAULT_URL.toString());
        URI url = checkUrl(rawUrl);
        String org = value(config, world, SpotDrillConfig.CASTAI_ORGANIZATION_ID)
                .orElseThrow(() -> missing(
                        SpotDrillConfig.CASTAI_ORGANIZATION_ID,
                        "the id of the CAST AI organization that owns the cluster (CAST AI console: Organization"
                                + " settings)"));
        String cluster = value(config, world, SpotDrillConfig.CASTAI_CLUSTER_ID)
                .orElseThrow(() -> missing(
                        SpotDrillConfig.CASTAI_CLUSTER_ID,
                        "the id CAST AI gave the cluster (CAST AI console: the cluster's settings)"));
        if (keyFromEnvironment.isPresent()) {
            return new CastAiSettings(
                    url, org, cluster, keyFromEnvironment.get(), "environment variable " + API_KEY_ENV);
        }
        Optional<Secret> fromWorld = world.secret(API_KEY_ENV);
        if (fromWorld.isPresent()) {
            return new CastAiSettings(
                    url, org, cluster, fromWorld.get(), "world " + world.name() + " (" + API_KEY_ENV + " is not set)");
        }
        throw new SpotDrillConfigurationException("the CAST AI API key is not set: export the environment variable "
                + API_KEY_ENV + " with a CAST AI API key that can read and change organization " + org
                + "'s blacklist (CAST AI console: API > API access keys); spotdrill reads the key from the environment"
                + " only, never from configuration files or system properties");
    }

    private static Optional<String> value(SpotDrillConfig config, World world, String key) {
        Optional<String> v = config.get(key);
        return v.isPresent() ? v : world.setting(key).map(String::trim).filter(s -> !s.isEmpty());
    }

    private static SpotDrillConfigurationException missing(String key, String what) {
        return new SpotDrillConfigurationException(key + " is not set: spotdrill needs " + what
                + " to read the blacklist; set " + key + " (or the environment variable "
                + SpotDrillConfig.envNames(key).get(0) + ")");
    }

    private static URI checkUrl(String value) {
        try {
            URI u = URI.create(value.trim());
            if (u.isAbsolute()
                    && ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
                    && u.getHost() != null) {
                return u;
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw new SpotDrillConfigurationException(SpotDrillConfig.CASTAI_URL + "=\"" + value
                + "\": not an absolute http(s) URL; write it like " + DEFAULT_URL);
    }

    @Override
    public String toString() {
        return "CastAiSettings[url=" + url + ", organizationId=" + organizationId + ", clusterId=" + clusterId
                + ", apiKey=**** from " + apiKeySource + "]";
    }
}
