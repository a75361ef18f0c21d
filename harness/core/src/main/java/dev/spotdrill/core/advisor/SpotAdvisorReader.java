package dev.spotdrill.core.advisor;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Fetches the Spot Advisor data feed over HTTP and parses it.
 *
 * <p>The URL comes from {@code spotdrill.spotAdvisor.url}, else from the world (the lab serves its own feed),
 * else the public feed {@link #DEFAULT_URL}:
 *
 * <pre>{@code
 * SpotAdvisorFeed feed = SpotAdvisorReader.resolve(config, world).read();
 * SortedSet<String> risky = feed.typesAbove(world.region(), "Linux", 10);
 * }</pre>
 */
public final class SpotAdvisorReader {
    /** The public feed. */
    public static final URI DEFAULT_URL =
            URI.create("https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json");

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI url;
    private final HttpClient http;

    private SpotAdvisorReader(URI url) {
        this.url = url;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /** A reader of the feed at this URL. */
    public static SpotAdvisorReader of(URI url) {
        return new SpotAdvisorReader(checkUrl(Objects.requireNonNull(url, "url").toString(), "the URL"));
    }

    /**
     * A reader of the feed this configuration and world point at: {@code spotdrill.spotAdvisor.url}, then the
     * world's default for that key, then {@link #DEFAULT_URL}.
     *
     * @throws SpotDrillConfigurationException when the URL is not an absolute http(s) URL
     */
    public static SpotAdvisorReader resolve(SpotDrillConfig config, World world) {
        Optional<String> configured = config.get(SpotDrillConfig.SPOT_ADVISOR_URL);
        if (configured.isPresent()) {
            return new SpotAdvisorReader(checkUrl(configured.get(), SpotDrillConfig.SPOT_ADVISOR_URL));
        }
        Optional<String> fromWorld = world.setting(SpotDrillConfig.SPOT_ADVISOR_URL);
        if (fromWorld.isPresent()) {
            return new SpotAdvisorReader(
                    checkUrl(fromWorld.get(), "world " + world.name() + "'s " + SpotDrillConfig.SPOT_ADVISOR_URL));
        }
        return new SpotAdvisorReader(DEFAULT_URL);
    }

    /** The feed's URL. */
    public URI url() {
        return url;
    }

    /**
     * Fetches and parses the feed.
     *
     * @throws SpotAdvisorUnavailableException when the URL cannot be reached or answers anything but 200
     * @throws MalformedSpotAdvisorFeedException when the body does not have the feed's schema
     */
    public SpotAdvisorFeed read() {
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(TIMEOUT)
                .header("Accept", "application/json")
                .GET()
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SpotAdvisorUnavailableException(
                    "cannot fetch the Spot Advisor feed from " + url + ": " + e + "; check the network (or proxy) and "
                            + SpotDrillConfig.SPOT_ADVISOR_URL,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SpotAdvisorUnavailableException(
                    "interrupted while fetching the Spot Advisor feed from " + url, e);
        }
        if (response.statusCode() != 200) {
            throw new SpotAdvisorUnavailableException(
                    "GET " + url + " answered " + response.statusCode() + " instead of the Spot Advisor feed ("
                            + snippet(response.body()) + "); check " + SpotDrillConfig.SPOT_ADVISOR_URL
                            + ", which must point at spot-advisor-data.json (default " + DEFAULT_URL + ")",
                    null);
        }
        return SpotAdvisorFeed.parse(response.body(), url.toString());
    }

    private static URI checkUrl(String value, String what) {
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
        throw new SpotDrillConfigurationException(
                what + "=\"" + value + "\": not an absolute http(s) URL; write it like " + DEFAULT_URL);
    }

    private static String snippet(String body) {
        if (body == null || body.isBlank()) {
            return "empty body";
        }
        String oneLine = body.replaceAll("\\s+", " ").trim();
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine;
    }

    @Override
    public String toString() {
        return "SpotAdvisorReader[" + url + "]";
    }
}
