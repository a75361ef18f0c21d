package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CAST AI's legacy inventory blacklist API, as strict as the real one is expected to be:
 *
 * <ul>
 *   <li>{@code GET /v1/inventory/blacklist?organizationId=&clusterId=} ({@code ListBlacklist}) answers
 *       {@code {"items":[...]}};
 *   <li>{@code POST /v1/inventory/blacklist/add} ({@code AddToBlacklist}) with {@code organizationId},
 *       {@code clusterId}, {@code instanceFamily}, {@code lifecycle} and an optional {@code expiresAt} (RFC 3339, in
 *       the future); adding an existing family and lifecycle renews it;
 *   <li>{@code POST /v1/inventory/blacklist/remove} ({@code RemoveFromBlacklist}) with {@code organizationId},
 *       {@code clusterId}, {@code instanceFamily} and an optional {@code lifecycle}.
 * </ul>
 *
 * <p>Checks come in this order: the faults {@code castai.unavailable} (503) and {@code castai.throttle} (429,
 * {@code Retry-After: 1}), the {@code X-API-Key} header (401 without it or under {@code castai.unauthorized}, 403
 * with a wrong key), the fields (400 naming the field), the organization and cluster (404). Errors are
 * {@code {"message": ...}}. Every call goes into the call log as service {@code castai}; the key never does.
 */
final class CastAiApi implements HttpHandler {
    static final String SERVICE = "castai";
    static final String UNAUTHORIZED = "castai.unauthorized";
    static final String THROTTLE = "castai.throttle";
    static final String UNAVAILABLE = "castai.unavailable";

    private static final Logger LOG = LoggerFactory.getLogger(CastAiApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LIST = "/v1/inventory/blacklist";
    private static final String ADD = "/v1/inventory/blacklist/add";
    private static final String REMOVE = "/v1/inventory/blacklist/remove";
    private static final Pattern FAMILY_OR_TYPE = Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z0-9]+)?");
    private static final Set<String> LIFECYCLES = Set.of("spot", "on-demand", "all");

    private final LabContext ctx;
    private final LabCastAi castAi;

    CastAiApi(LabContext ctx, LabCastAi castAi) {
        this.ctx = ctx;
        this.castAi = castAi;
    }

    /** A refusal: the status, the error code for the call log and the message for the body. */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String code;

        Refusal(int status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        String operation =
                switch (path) {
                    case LIST -> "ListBlacklist";
                    case ADD -> "AddToBlacklist";
                    case REMOVE -> "RemoveFromBlacklist";
                    default -> "Unknown";
                };
        String resource = "";
        try {
            if (operation.equals("Unknown")) {
                throw new Refusal(404, "NotFound", "no such API: " + method + " " + path);
            }
            String expected = operation.equals("ListBlacklist") ? "GET" : "POST";
            if (!method.equals(expected)) {
                ex.getResponseHeaders().set("Allow", expected);
                throw new Refusal(405, "MethodNotAllowed", "method " + method + " is not allowed on " + path);
            }
            if (ctx.faults.consume(UNAVAILABLE)) {
                throw new Refusal(503, "ServiceUnavailable", "service unavailable, try again later");
            }
            if (ctx.faults.consume(THROTTLE)) {
                ex.getResponseHeaders().set("Retry-After", "1");
                throw new Refusal(429, "TooManyRequests", "rate limit exceeded, retry after 1 s");
            }
            authenticate(ex);
            String body;
            if (operation.equals("ListBlacklist")) {
                Map<String, String> q = Http.decodeForm(ex.getRequestURI().getRawQuery());
                String org = required(q.get("organizationId"), "organizationId");
                String cluster = required(q.get("clusterId"), "clusterId");
                resource = cluster;
                checkCluster(org, cluster);
                body = list(org, cluster);
            } else {
                JsonNode in = parse(Http.body(ex));
                String org = required(text(in, "organizationId"), "organizationId");
                String cluster = required(text(in, "clusterId"), "clusterId");
                String family = required(text(in, "instanceFamily"), "instanceFamily");
                resource = family;
                if (!FAMILY_OR_TYPE.matcher(family).matches()) {
                    throw badRequest(
                            "instanceFamily", "\"" + family + "\" is not an instance family (m5) or type (m5.large)");
                }
                String lifecycle = text(in, "lifecycle");
                if (operation.equals("AddToBlacklist")) {
                    required(lifecycle, "lifecycle");
                }
                if (lifecycle != null && !LIFECYCLES.contains(lifecycle)) {
                    throw badRequest("lifecycle", "\"" + lifecycle + "\" must be one of spot, on-demand, all");
                }
                Instant expiresAt = operation.equals("AddToBlacklist") ? expiresAt(in) : null;
                checkCluster(org, cluster);
                if (operation.equals("AddToBlacklist")) {
                    castAi.add(family, lifecycle, expiresAt);
                } else {
                    castAi.remove(family, lifecycle);
                }
                body = "{}";
            }
            ctx.record(SERVICE, operation, "", 200, "", resource);
            Http.send(ex, 200, "application/json", body);
        } catch (Refusal r) {
            ctx.record(SERVICE, operation, "", r.status, r.code, resource);
            ObjectNode err = JSON.createObjectNode();
            err.put("message", r.getMessage());
            Http.send(ex, r.status, "application/json", err.toString());
        } catch (RuntimeException e) {
            LOG.warn("lab CAST AI {} failed: {}", operation, e.toString());
            ctx.record(SERVICE, operation, "", 500, "InternalError", resource);
            Http.send(ex, 500, "application/json", "{\"message\":\"internal error\"}");
        }
    }

    private void authenticate(HttpExchange ex) throws Refusal {
        String key = ex.getRequestHeaders().getFirst("X-API-Key");
        if (key == null || key.isBlank()) {
            throw new Refusal(401, "Unauthorized", "unauthorized: the X-API-Key header is missing");
        }
        if (ctx.faults.active(UNAUTHORIZED)) {
            throw new Refusal(401, "Unauthorized", "unauthorized: the API key is invalid or has been revoked");
        }
        if (!MessageDigest.isEqual(
                key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                castAi.apiKey().reveal().getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            throw new Refusal(403, "Forbidden", "forbidden: the API key is not valid for this organization");
        }
    }

    private void checkCluster(String org, String cluster) throws Refusal {
        if (!castAi.organizationId().equals(org)) {
            throw new Refusal(404, "NotFound", "organization " + org + " not found");
        }
        if (!castAi.clusterId().equals(cluster)) {
            throw new Refusal(404, "NotFound", "cluster " + cluster + " not found in organization " + org);
        }
    }

    private String list(String org, String cluster) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode items = root.putArray("items");
        for (LabCastAi.Entry e : castAi.entries()) {
            ObjectNode n = items.addObject();
            n.put("organizationId", org);
            n.put("clusterId", cluster);
            n.put("instanceFamily", e.instanceFamily());
            n.put("lifecycle", e.lifecycle());
            e.expiresAt()
                    .ifPresent(t ->
                            n.put("expiresAt", t.truncatedTo(ChronoUnit.SECONDS).toString()));
            n.put("createdAt", e.createdAt().truncatedTo(ChronoUnit.SECONDS).toString());
        }
        return root.toString();
    }

    private Instant expiresAt(JsonNode in) throws Refusal {
        JsonNode v = in.path("expiresAt");
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw badRequest("expiresAt", "must be an RFC 3339 time such as 2026-01-15T15:00:00Z");
        }
        Instant t;
        try {
            t = OffsetDateTime.parse(v.asText()).toInstant();
        } catch (DateTimeParseException e) {
            throw badRequest(
                    "expiresAt", "\"" + v.asText() + "\" is not an RFC 3339 time; write it like 2026-01-15T15:00:00Z");
        }
        if (!t.isAfter(ctx.now())) {
            throw badRequest("expiresAt", "\"" + v.asText() + "\" must be in the future");
        }
        return t;
    }

    private static JsonNode parse(String body) throws Refusal {
        try {
            JsonNode n = JSON.readTree(body == null ? "" : body);
            if (n == null || !n.isObject()) {
                throw badRequest("body", "must be a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw badRequest("body", "is not JSON");
        }
    }

    private static String text(JsonNode in, String field) throws Refusal {
        JsonNode v = in.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw badRequest(field, "must be a string");
        }
        return v.asText();
    }

    private static String required(String value, String field) throws Refusal {
        if (value == null || value.isBlank()) {
            throw badRequest(field, "is required");
        }
        return value;
    }

    private static Refusal badRequest(String field, String problem) {
        return new Refusal(400, "BadRequest", "invalid request: " + field + ": " + problem);
    }
}
