package dev.spotdrill.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One IMDSv2 server per instance, started on first use, with AEMM's Spot semantics.
 *
 * <p>Tokens come from {@code PUT /latest/api/token} (TTL 1..21600 world seconds, capped by the fault
 * {@code imds.token-ttl}); a token PUT that carries {@code X-Forwarded-For} is refused with 403, as IMDSv2 does; every
 * GET needs a live token, else 401. Besides the Spot notices it serves what agents read at start-up (see
 * {@link ImdsMetadata}). Notice times are fixed once shown. Once the
 * instance is terminated or stopped its IMDS answers every request with 503, as a way of saying "this
 * instance is gone" that clients see at once (a refused connection would cost them retries).
 */
final class ImdsServers implements AutoCloseable {
    static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";
    static final String TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";
    private static final String META = "/latest/meta-data/";
    private static final String DYNAMIC = "/latest/dynamic/";

    private final LabContext ctx;
    private final Ec2Fleet fleet;
    private final LabPorts ports;
    private final Map<String, HttpServer> servers = new ConcurrentHashMap<>();
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ImdsServers(LabContext ctx, Ec2Fleet fleet, LabPorts ports) {
        this.ctx = ctx;
        this.fleet = fleet;
        this.ports = ports;
    }

    /** The IMDS endpoint of an instance, starting its server on first use. */
    URI endpoint(String instanceId) {
        int index;
        synchronized (ctx.lock) {
            if (fleet.get(instanceId).isEmpty()) {
                throw new IllegalArgumentException(
                        "lab " + ctx.labId + " has no instance \"" + instanceId + "\"; its instances are "
                                + fleet.all().stream().map(i -> i.id).toList());
            }
            index = fleet.all().stream().map(i -> i.id).toList().indexOf(instanceId);
        }
        if (closed) {
            throw new IllegalStateException("lab " + ctx.labId + " is closed; start a new lab");
        }
        HttpServer s = servers.computeIfAbsent(
                instanceId,
                id -> Http.start(ctx.httpPool, ex -> handle(id, ex), ports.imds(index), "the IMDS of " + id));
        return Http.uri(s);
    }

    private void handle(String instanceId, HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        Http.body(ex);
        String op = path.equals("/latest/api/token") ? method + " token" : method + " " + path;
        Answer a;
        synchronized (ctx.lock) {
            a = answer(instanceId, method, path, ex);
        }
        ctx.record("imds", op, "", a.status, a.status >= 400 ? Integer.toString(a.status) : "", instanceId);
        a.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        Http.send(ex, a.status, a.contentType, a.body);
    }

    private Answer answer(String instanceId, String method, String path, HttpExchange ex) {
        Ec2Fleet.Instance i = fleet.get(instanceId).orElseThrow();
        if (i.state.equals("terminated") || i.state.equals("stopped")) {
            return text(503, "instance " + instanceId + " is " + i.state);
        }
        Instant now = ctx.now();
        if (path.equals("/latest/api/token")) {
            if (!method.equals("PUT")) {
                return text(405, "Method Not Allowed");
            }
            if (ex.getRequestHeaders().containsKey("X-Forwarded-For")) {
                // IMDSv2 refuses token requests that went through a proxy.
                return text(403, "Forbidden");
            }
            String ttlText = ex.getRequestHeaders().getFirst(TTL_HEADER);
            long ttl;
            try {
                ttl = Long.parseLong(ttlText == null ? "" : ttlText.trim());
            } catch (NumberFormatException e) {
                ttl = -1;
            }
            if (ttl < 1 || ttl > 21600) {
                return text(400, "Bad Request");
            }
            long lifetime = Math.min(ttl, ctx.faults.number("imds.token-ttl").orElse(Integer.MAX_VALUE));
            String token = "AQAE" + ctx.alnum(40);
            tokens.put(token, now.plusSeconds(lifetime));
            Answer a = text(200, token);
            a.headers.put(TTL_HEADER, Long.toString(ttl));
            return a;
        }
        if (!method.equals("GET")) {
            return text(405, "Method Not Allowed");
        }
        String token = ex.getRequestHeaders().getFirst(TOKEN_HEADER);
        Instant expiry = token == null ? null : tokens.get(token);
        if (expiry == null || !now.isBefore(expiry)) {
            if (expiry != null) {
                tokens.remove(token);
            }
            return text(401, "Unauthorized");
        }
        if (path.equals("/latest") || path.equals("/latest/")) {
            return text(200, "dynamic\nmeta-data");
        }
        if (path.startsWith(DYNAMIC) || path.equals("/latest/dynamic")) {
            String key = path.length() <= DYNAMIC.length() ? "" : path.substring(DYNAMIC.length());
            return switch (key) {
                case "" -> text(200, "instance-identity/");
                case "instance-identity", "instance-identity/" -> text(200, "document");
                case "instance-identity/document" ->
                    json(ImdsMetadata.identityDocument(i, ctx.region(), ctx.account()));
                default -> text(404, "Not Found");
            };
        }
        if (path.equals("/latest/meta-data")) {
            path = META;
        }
        if (!path.startsWith(META)) {
            return text(404, "Not Found");
        }
        String key = path.substring(META.length());
        Instant noticeShown = noticeShownAt(i);
        boolean noticeVisible = noticeShown != null && !now.isBefore(noticeShown);
        boolean rebalanceVisible =
                i.rebalanceAt != null && !now.isBefore(i.rebalanceAt) && !ctx.faults.active("imds.no-rebalance");
        return switch (key) {
            case "spot/instance-action" ->
                noticeVisible
                        ? json("{\"action\":\"" + i.behaviour + "\",\"time\":\"" + Http.rfc3339(i.interruptAt) + "\"}")
                        : text(404, "Not Found");
            case "spot/termination-time" ->
                noticeVisible ? text(200, Http.rfc3339(i.interruptAt)) : text(404, "Not Found");
            case "events/recommendations/rebalance" ->
                rebalanceVisible
                        ? json("{\"noticeTime\":\"" + Http.rfc3339(i.rebalanceAt) + "\"}")
                        : text(404, "Not Found");
            default ->
                ImdsMetadata.leaf(key, i, ctx.region(), ctx.account())
                        .map(v -> text(200, v))
                        .or(() -> ImdsMetadata.listing(key).map(v -> text(200, v)))
                        .orElseGet(() -> text(404, "Not Found"));
        };
    }

    /** When IMDS shows the notice, after the faults; null when it does not. */
    private Instant noticeShownAt(Ec2Fleet.Instance i) {
        if (i.noticeAt == null || i.interruptAt == null || ctx.faults.active("imds.no-notice")) {
            return null;
        }
        Duration delay = ctx.faults.duration("imds.notice-delay").orElse(Duration.ZERO);
        return i.noticeAt.plus(delay);
    }

    private static Answer text(int status, String body) {
        return new Answer(status, "text/plain", body);
    }

    private static Answer json(String body) {
        return new Answer(200, "application/json", body);
    }

    @Override
    public void close() {
        closed = true;
        servers.values().forEach(s -> s.stop(0));
        servers.clear();
    }

    private static final class Answer {
        final int status;
        final String contentType;
        final String body;
        final Map<String, String> headers = new LinkedHashMap<>();

        Answer(int status, String contentType, String body) {
            this.status = status;
            this.contentType = contentType;
            this.body = body;
        }
    }
}
