package dev.spotdrill.core.castai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.internal.Backoff;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of CAST AI's legacy inventory blacklist API, over {@code java.net.http}:
 *
 * <ul>
 *   <li>{@link #list()}: {@code GET /v1/inventory/blacklist?organizationId=&clusterId=}, answering
 *       {@code {"items":[...]}};
 *   <li>{@link #add}: {@code POST /v1/inventory/blacklist/add};
 *   <li>{@link #remove}: {@code POST /v1/inventory/blacklist/remove}.
 * </ul>
 *
 * <p>Every call sends the key in the {@code X-API-Key} header. 429 and 5xx answers (and connections that fail) are
 * retried with a doubling backoff in world time, honouring {@code Retry-After}, at most {@value #MAX_ATTEMPTS}
 * attempts. 401 and 403 throw {@link CastAiAuthenticationException} naming {@value CastAiSettings#API_KEY_ENV};
 * other refusals throw {@link CastAiException} naming the organization, the cluster and the fix. The key never
 * shows in a message, a log line or {@link #toString}.
 */
public final class CastAiClient {
    /** The most attempts one call makes: the first and up to five retries. */
    public static final int MAX_ATTEMPTS = 6;

    private static final Logger LOG = LoggerFactory.getLogger(CastAiClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final CastAiSettings settings;
    private final WorldClock clock;
    private final HttpClient http;
    private final int attempts;

    private CastAiClient(CastAiSettings settings, WorldClock clock, HttpClient http, int attempts) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = http;
        this.attempts = attempts;
    }

    /** A client with these settings; retries wait in the clock's world time. */
    public static CastAiClient create(CastAiSettings settings, WorldClock clock) {
        return new CastAiClient(
                settings,
                clock,
                HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(10))
                        .version(HttpClient.Version.HTTP_1_1)
                        .build(),
                MAX_ATTEMPTS);
    }

    /**
     * This client, making at most {@code attempts} attempts per call (1: no retry), for a caller that retries on its
     * own schedule, such as a poller whose next poll is the retry.
     *
     * @throws IllegalArgumentException when {@code attempts} is not between 1 and {@value #MAX_ATTEMPTS}
     */
    public CastAiClient withMaxAttempts(int attempts) {
        if (attempts < 1 || attempts > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("attempts must be between 1 and " + MAX_ATTEMPTS + ", was " + attempts);
        }
        return new CastAiClient(settings, clock, http, attempts);
    }

    /** The API's base URL. */
    public URI url() {
        return settings.url();
    }

    /** The organization whose blacklist this client reads. */
    public String organizationId() {
        return settings.organizationId();
    }

    /** The cluster whose blacklist this client reads. */
    public String clusterId() {
        return settings.clusterId();
    }

    /**
     * The cluster's blacklist.
     *
     * @throws CastAiAuthenticationException when the key is refused
     * @throws CastAiException when CAST AI refuses the call or stays unavailable through the retries
     */
    public Blacklist list() {
        String query =
                "organizationId=" + encode(settings.organizationId()) + "&clusterId=" + encode(settings.clusterId());
        String body = call("ListBlacklist", "GET", "/v1/inventory/blacklist?" + query, null);
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw malformed("ListBlacklist", "is not JSON (" + e.getOriginalMessage() + ")");
        }
        JsonNode items = root == null ? null : root.path("items");
        if (items == null || !items.isArray()) {
            if (root != null && root.isObject() && root.path("items").isMissingNode()) {
                return new Blacklist(List.of()); // an empty list may come without "items"
            }
            throw malformed("ListBlacklist", "has no \"items\" array");
        }
        List<BlacklistEntry> entries = new ArrayList<>();
        for (JsonNode item : items) {
            entries.add(new BlacklistEntry(
                    item.path("instanceFamily").asText(""),
                    item.path("lifecycle").asText(""),
                    instant(item.path("expiresAt").asText("")),
                    item.toString()));
        }
        return new Blacklist(entries);
    }

    /**
     * Adds an entry to the cluster's blacklist.
     *
     * @param instanceFamily a family ({@code m5}) or a whole type ({@code m5.large})
     * @param lifecycle for example {@code spot}
     * @param expiresAt when CAST AI drops the entry; null for none
     * @throws CastAiAuthenticationException when the key is refused
     * @throws CastAiException when CAST AI refuses the call or stays unavailable through the retries
     */
    public void add(String instanceFamily, String lifecycle, Instant expiresAt) {
        ObjectNode body = body(instanceFamily, lifecycle);
        if (expiresAt != null) {
            body.put("expiresAt", expiresAt.truncatedTo(ChronoUnit.SECONDS).toString());
        }
        call("AddToBlacklist", "POST", "/v1/inventory/blacklist/add", body.toString());
    }

    /**
     * Removes an entry from the cluster's blacklist.
     *
     * @throws CastAiAuthenticationException when the key is refused
     * @throws CastAiException when CAST AI refuses the call or stays unavailable through the retries
     */
    public void remove(String instanceFamily, String lifecycle) {
        call(
                "RemoveFromBlacklist",
                "POST",
                "/v1/inventory/blacklist/remove",
                body(instanceFamily, lifecycle).toString());
    }

    private ObjectNode body(String instanceFamily, String lifecycle) {
        ObjectNode body = JSON.createObjectNode();
        body.put("organizationId", settings.organizationId());
        body.put("clusterId", settings.clusterId());
        body.put("instanceFamily", Objects.requireNonNull(instanceFamily, "instanceFamily"));
        if (lifecycle != null && !lifecycle.isBlank()) {
            body.put("lifecycle", lifecycle);
        }
        return body;
    }

    private String call(String operation, String method, String pathAndQuery, String body) {
        URI uri = resolve(pathAndQuery);
        Duration backoff = FIRST_BACKOFF;
        Instant firstAttempt = clock.now();
        String lastProblem = "";
        int lastStatus = 0;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            HttpRequest.Builder rb = HttpRequest.newBuilder(uri)
                    .timeout(TIMEOUT)
                    .header("X-API-Key", settings.apiKey().reveal())
                    .header("Accept", "application/json")
                    .header("User-Agent", "spotdrill");
            if (body == null) {
                rb.GET();
            } else {
                rb.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            }
            Duration wait = backoff;
            try {
                HttpResponse<String> response =
                        http.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return response.body() == null || response.body().isBlank() ? "{}" : response.body();
                }
                lastStatus = status;
                lastProblem = status + " " + reason(status) + ": " + serverMessage(response.body());
                if (status != 429 && status < 500) {
                    throw refusal(operation, status, serverMessage(response.body()));
                }
                Optional<Duration> retryAfter = retryAfter(response);
                if (retryAfter.isPresent()) {
                    wait = retryAfter.get();
                }
            } catch (IOException e) {
                lastStatus = 0;
                lastProblem = "no answer (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CastAiException(
                        "interrupted while calling CAST AI " + operation + " at " + settings.url(), 0, e);
            }
            if (attempt < attempts) {
                LOG.debug(
                        "CAST AI {} attempt {} of {}: {}; retrying in {} (world time)",
                        operation,
                        attempt,
                        attempts,
                        lastProblem,
                        wait);
                Backoff.pause(clock, wait);
                backoff = Backoff.next(backoff, MAX_BACKOFF);
            }
        }
        long seconds = Duration.between(firstAttempt, clock.now()).toSeconds();
        throw new CastAiException(
                "CAST AI " + operation + " at " + settings.url() + " failed " + attempts
                        + (attempts == 1 ? " time" : " times") + " over " + seconds
                        + " s (world time) for organization " + settings.organizationId() + ", cluster "
                        + settings.clusterId() + "; last: " + lastProblem
                        + ". CAST AI is throttling or unavailable: retry later, or check " + SpotDrillConfig.CASTAI_URL,
                lastStatus);
    }

    private CastAiException refusal(String operation, int status, String message) {
        String where = " for organization " + settings.organizationId() + ", cluster " + settings.clusterId() + " at "
                + settings.url();
        String answer = " (" + status + " " + reason(status) + ": " + message + ")";
        if (status == 401 || status == 403) {
            return new CastAiAuthenticationException(
                    "CAST AI refused the API key for " + operation + where + answer + "; the key came from "
                            + settings.apiKeySource() + ": set the environment variable " + CastAiSettings.API_KEY_ENV
                            + " to a CAST AI API key that can "
                            + (operation.equals("ListBlacklist") ? "read" : "change") + " organization "
                            + settings.organizationId() + "'s blacklist (CAST AI console: API > API access keys)",
                    status);
        }
        if (status == 404) {
            return new CastAiException(
                    "CAST AI found no organization " + settings.organizationId() + " with cluster "
                            + settings.clusterId() + " for " + operation + " at " + settings.url() + answer
                            + "; check " + SpotDrillConfig.CASTAI_ORGANIZATION_ID + " and "
                            + SpotDrillConfig.CASTAI_CLUSTER_ID + " against the CAST AI console (the cluster's"
                            + " settings show both ids)",
                    status);
        }
        if (status == 400) {
            return new CastAiException(
                    "CAST AI refused " + operation + where + answer
                            + "; the request is invalid: fix the field the message names (organization "
                            + SpotDrillConfig.CASTAI_ORGANIZATION_ID + ", cluster " + SpotDrillConfig.CASTAI_CLUSTER_ID
                            + ", or the instance family and lifecycle given)",
                    status);
        }
        return new CastAiException(
                "CAST AI refused " + operation + where + answer + "; check " + SpotDrillConfig.CASTAI_URL
                        + " points at the CAST AI API",
                status);
    }

    private CastAiException malformed(String operation, String problem) {
        return new CastAiException(
                "CAST AI's answer to " + operation + " at " + settings.url() + " " + problem + "; check "
                        + SpotDrillConfig.CASTAI_URL + " points at the CAST AI API (default "
                        + CastAiSettings.DEFAULT_URL + ")",
                200);
    }

    private URI resolve(String pathAndQuery) {
        String base = settings.url().toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(base + pathAndQuery);
    }

    private static Optional<Duration> retryAfter(HttpResponse<String> response) {
        Optional<String> v = response.headers().firstValue("Retry-After");
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            long s = Long.parseLong(v.get().trim());
            Duration d = Duration.ofSeconds(Math.max(0, s));
            return Optional.of(d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
        } catch (NumberFormatException e) {
            return Optional.empty(); // an HTTP date: keep the backoff
        }
    }

    private static Optional<Instant> instant(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(text.trim()).toInstant());
        } catch (DateTimeParseException e) {
            try {
                return Optional.of(Instant.parse(text.trim()));
            } catch (DateTimeParseException e2) {
                return Optional.empty();
            }
        }
    }

    private static String serverMessage(String body) {
        if (body == null || body.isBlank()) {
            return "no message";
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.path("message").isTextual()) {
                return n.path("message").asText();
            }
        } catch (JsonProcessingException e) {
            // not JSON: show the text
        }
        String oneLine = body.replaceAll("\\s+", " ").trim();
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine;
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "HTTP " + status;
        };
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "CastAiClient[" + settings.url() + ", organization " + settings.organizationId() + ", cluster "
                + settings.clusterId() + "]";
    }
}
