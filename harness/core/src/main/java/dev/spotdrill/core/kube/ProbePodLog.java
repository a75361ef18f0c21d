package dev.spotdrill.core.kube;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * One line of the IMDS probe pod's log: a change of one IMDS path's (status, body), as the pod saw it.
 *
 * <p>The pod prints {@code {"path":"/latest/meta-data/spot/instance-action","status":404,"body":"","at":"..."}}.
 * Status {@code 0} means IMDS did not answer.
 *
 * @param path the IMDS path, for example {@code /latest/meta-data/spot/instance-action}
 * @param status the HTTP status, or 0 when IMDS did not answer
 * @param body the response body, unescaped; empty when there was none
 * @param at the pod's own time of the reading (RFC 3339 from {@code date -u}), or empty
 */
public record ProbePodLog(String path, int status, String body, String at) {
    private static final ObjectReader JSON =
            new ObjectMapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public ProbePodLog {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("probe log path \"" + path + "\" must start with '/'");
        }
        if (status < 0 || status > 999) {
            throw new IllegalArgumentException("probe log status " + status + " must be 0 (no answer) or an HTTP code");
        }
        body = body == null ? "" : body;
        at = at == null ? "" : at;
    }

    /**
     * Parses one log line; empty for anything that is not a complete probe line (garbage, a partial line, a
     * line from the container runtime).
     */
    public static Optional<ProbePodLog> parse(String line) {
        if (line == null) {
            return Optional.empty();
        }
        String s = line.strip();
        if (!s.startsWith("{") || !s.endsWith("}")) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(s);
            JsonNode path = n.get("path");
            JsonNode status = n.get("status");
            if (path == null || !path.isTextual() || status == null || !status.isInt()) {
                return Optional.empty();
            }
            JsonNode body = n.get("body");
            JsonNode at = n.get("at");
            return Optional.of(new ProbePodLog(
                    path.asText(),
                    status.asInt(),
                    body != null && body.isTextual() ? body.asText() : "",
                    at != null && at.isTextual() ? at.asText() : ""));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The reading as ImdsProbe words it: {@code GET <path> -> 200}, {@code -> 404 Not Found}, or no answer. */
    public String reading() {
        if (status == 0) {
            return "GET " + path + " -> no answer (probe pod got no HTTP response)";
        }
        return "GET " + path + " -> " + status + (status == 404 ? " Not Found" : "");
    }
}
