package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control endpoint of a running lab: HTTP and JSON on 127.0.0.1, for {@code spotdrill lab} and for drills in
 * other JVMs ({@code spotdrill.lab.url}).
 *
 * <ul>
 *   <li>{@code GET /v1/world}: the world without secrets: region, account, pace, the clock's anchor, every endpoint,
 *       each instance with its IMDS endpoint, the Kubernetes master, the world's settings;
 *   <li>{@code POST /v1/attach}: the same plus the lab's credentials and world secrets, for a drill that attaches;
 *   <li>{@code GET /v1/faults}: the active and the known faults; {@code POST /v1/faults} with
 *       {@code {"fault":"component.fault[=value]"}} sets one (checked as at start: 400 naming the problem);
 *       {@code DELETE /v1/faults/<name>} clears one, {@code DELETE /v1/faults} clears all;
 *   <li>{@code GET /v1/calls[?since=<world instant>]}: the API-call log;
 *   <li>{@code GET /v1/imds/<instance id>}: that instance's IMDS endpoint (replacement instances included).
 * </ul>
 *
 * <p>It answers only requests addressed to a loopback host (a web page elsewhere cannot reach it through DNS
 * rebinding), and changes only on {@code application/json} requests (a page cannot send those cross-origin without a
 * preflight that this endpoint never grants). The lab's secret key is served to the attach call alone.
 */
public final class LabControl implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LabControl.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The path prefix of every control call. */
    public static final String PREFIX = "/v1/";

    private static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]");

    private final SpotLab lab;
    private final ExecutorService pool;
    private final HttpServer server;
    private final URI url;

    private LabControl(SpotLab lab) {
        this.lab = lab;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "spotdrill-lab-control-" + lab.id() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            this.server = Http.start(
                    pool, this::handle, lab.ports().port(LabPorts.Server.CONTROL), LabPorts.Server.CONTROL.label());
        } catch (RuntimeException e) {
            pool.shutdownNow();
            throw e;
        }
        this.url = Http.uri(server);
    }

    /**
     * Serves the control endpoint of a running lab, at the lab's control port when it has a port base.
     *
     * @throws SpotDrillConfigurationException when the fixed control port is in use
     */
    public static LabControl start(SpotLab lab) {
        if (lab == null) {
            throw new IllegalArgumentException("LabControl.start needs a running lab");
        }
        return new LabControl(lab);
    }

    /** The endpoint's base URL, such as {@code http://127.0.0.1:4609}: the value for {@code spotdrill.lab.url}. */
    public URI url() {
        return url;
    }

    /** Stops serving; the lab itself keeps running. */
    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "LabControl[" + lab.id() + " at " + url + "]";
    }

    // ------------------------------------------------------------------ requests

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        String body = Http.body(ex);
        Answer a;
        try {
            a = answer(ex, method, path, body);
        } catch (SpotDrillConfigurationException e) {
            a = error(400, forRunningLab(e.getMessage()));
        } catch (IllegalArgumentException e) {
            a = error(400, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("lab {} control: {} {} failed", lab.id(), method, path, e);
            a = error(500, "the lab could not answer " + method + " " + path + ": " + e);
        }
        Http.send(ex, a.status, "application/json", a.body);
    }

    private Answer answer(HttpExchange ex, String method, String path, String body) {
        String host = hostName(ex.getRequestHeaders().getFirst("Host"));
        if (!LOOPBACK_HOSTS.contains(host)) {
            return error(
                    403,
                    "the lab's control endpoint answers only requests addressed to 127.0.0.1 or localhost, not \""
                            + host + "\"; use " + url);
        }
        boolean changes = method.equals("POST") || method.equals("PUT") || method.equals("DELETE");
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (changes
                && !body.isEmpty()
                && (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json"))) {
            return error(415, method + " " + path + " needs Content-Type: application/json, got " + type);
        }
        if (method.equals("POST") && body.isEmpty()) {
            return error(415, "POST " + path + " needs a JSON body with Content-Type: application/json");
        }
        if (!path.startsWith(PREFIX)) {
            return error(404, "no such control call: " + method + " " + path + "; the calls are " + calls());
        }
        String rest = path.substring(PREFIX.length());
        return switch (rest) {
            case "world" -> method.equals("GET") ? ok(describe(false)) : notAllowed(method, path, "GET");
            case "attach" -> method.equals("POST") ? ok(describe(true)) : notAllowed(method, path, "POST");
            case "faults" ->
                switch (method) {
                    case "GET" -> ok(faults());
                    case "POST" -> setFault(body);
                    case "DELETE" -> {
                        lab.faults().clearAll();
                        yield ok(faults());
                    }
                    default -> notAllowed(method, path, "GET, POST, DELETE");
                };
            case "calls" ->
                method.equals("GET") ? callLog(ex.getRequestURI().getRawQuery()) : notAllowed(method, path, "GET");
            default -> {
                if (rest.startsWith("faults/")) {
                    if (!method.equals("DELETE")) {
                        yield notAllowed(method, path, "DELETE");
                    }
                    lab.faults().clear(Http.decodePathSegment(rest.substring("faults/".length())));
                    yield ok(faults());
                }
                if (rest.startsWith("imds/")) {
                    if (!method.equals("GET")) {
                        yield notAllowed(method, path, "GET");
                    }
                    yield imds(Http.decodePathSegment(rest.substring("imds/".length())));
                }
                yield error(404, "no such control call: " + method + " " + path + "; the calls are " + calls());
            }
        };
    }

    /** A fault's error said for a running lab: without the configuration key and the advice on writing a list. */
    private static String forRunningLab(String message) {
        return message.replaceFirst("^" + java.util.regex.Pattern.quote(SpotDrillConfig.LAB_FAULTS) + "=", "")
                .replaceFirst("\\. Write faults comma-separated, e\\.g\\. .*$", "");
    }

    private static String calls() {
        return "GET /v1/world, POST /v1/attach, GET|POST|DELETE /v1/faults, DELETE /v1/faults/<name>, GET /v1/calls,"
                + " GET /v1/imds/<instance id>";
    }

    private static String hostName(String hostHeader) {
        if (hostHeader == null) {
            return "";
        }
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    private Answer setFault(String body) {
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (IOException e) {
            return error(400, "POST /v1/faults: the body is not JSON; send {\"fault\":\"component.fault[=value]\"}");
        }
        JsonNode fault = req == null ? null : req.get("fault");
        if (fault == null || !fault.isTextual() || fault.asText().isBlank()) {
            return error(
                    400,
                    "POST /v1/faults needs {\"fault\":\"component.fault[=value]\"}, e.g."
                            + " {\"fault\":\"imds.no-notice\"}");
        }
        String spec = fault.asText().trim();
        // the same checks as at start: the name and the value's form, then the components' own rules
        SpotLab.checkFaults(List.of(spec));
        lab.faults().set(spec);
        LOG.info("lab {}: fault {} set", lab.id(), spec);
        return ok(faults());
    }

    private ObjectNode faults() {
        ObjectNode out = JSON.createObjectNode();
        out.put("lab", lab.id());
        ObjectNode active = out.putObject("active");
        new java.util.TreeMap<>(lab.faults().snapshot()).forEach(active::put);
        ArrayNode known = out.putArray("known");
        for (FaultDefinition d : LabFaults.known()) {
            ObjectNode k = known.addObject();
            k.put("name", d.name());
            k.put("usage", d.usage());
            k.put("description", d.description());
        }
        return out;
    }

    private Answer callLog(String rawQuery) {
        Map<String, String> q = Http.decodeForm(rawQuery);
        List<ApiCall> calls;
        if (q.containsKey("since")) {
            Instant since;
            try {
                since = Instant.parse(q.get("since"));
            } catch (DateTimeParseException e) {
                return error(
                        400,
                        "GET /v1/calls?since=" + q.get("since") + ": not an RFC 3339 instant; write it"
                                + " like 2026-11-27T06:32:49Z (world time)");
            }
            calls = lab.callLog().since(since);
        } else {
            calls = lab.callLog().calls();
        }
        ArrayNode arr = JSON.createArrayNode();
        for (ApiCall c : calls) {
            ObjectNode o = arr.addObject();
            o.put("worldTime", c.worldTime().toString());
            o.put("service", c.service());
            o.put("operation", c.operation());
            o.put("caller", c.caller());
            o.put("status", c.status());
            o.put("errorCode", c.errorCode());
            o.put("resource", c.resource());
        }
        return ok(arr);
    }

    private Answer imds(String instanceId) {
        if (lab.instance(instanceId).isEmpty()) {
            return error(
                    404,
                    "lab " + lab.id() + " has no instance \"" + instanceId + "\"; its instances are "
                            + lab.instances().stream().map(LabInstance::id).toList());
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("instanceId", instanceId);
        out.put("imds", lab.world().imdsEndpoint(instanceId).toString());
        return ok(out);
    }

    /** The world as a drill in another JVM needs it; with {@code secrets}, the lab's credentials too. */
    private ObjectNode describe(boolean secrets) {
        World world = lab.world();
        ObjectNode out = JSON.createObjectNode();
        out.put("lab", lab.id());
        out.put("scenario", lab.scenario().name());
        out.put("region", world.region());
        out.put("account", lab.scenario().account());
        out.put("principalArn", lab.principalArn());
        out.put("pace", lab.clock().pace());
        ObjectNode clock = out.putObject("clock");
        clock.put("worldAnchor", lab.worldAnchor().toString());
        clock.put("wallAnchor", lab.wallAnchor().toString());
        clock.put("worldNow", lab.clock().now().toString());
        out.put("control", url.toString());
        lab.ports().base().ifPresent(b -> out.put("portBase", b));
        ObjectNode endpoints = out.putObject("endpoints");
        for (AwsService s : AwsService.values()) {
            world.endpoint(s).ifPresent(u -> endpoints.put(s.name().toLowerCase(Locale.ROOT), u.toString()));
        }
        endpoints.put("spotAdvisor", lab.spotAdvisor().url().toString());
        endpoints.put("castAi", lab.castAi().url().toString());
        lab.cluster().ifPresent(c -> out.putObject("kube")
                .put("master", c.masterUrl().toString()));
        ArrayNode instances = out.putArray("instances");
        for (LabInstance i : lab.instances()) {
            ObjectNode o = instances.addObject();
            o.put("id", i.id());
            o.put("type", i.type());
            o.put("zone", i.zone());
            o.put("lifecycle", i.lifecycle());
            o.put("state", i.state());
            i.nodeName().ifPresent(n -> o.put("node", n));
            o.put("imds", world.imdsEndpoint(i.id()).toString());
        }
        ObjectNode facts = out.putObject("facts");
        world.facts().forEach(facts::put);
        ObjectNode settings = out.putObject("settings");
        lab.worldSettings().forEach(settings::put);
        if (secrets) {
            AwsCredentials c = world.credentials().orElseThrow();
            ObjectNode creds = out.putObject("credentials");
            creds.put("accessKeyId", c.accessKeyId());
            creds.put("secretAccessKey", c.secretAccessKey().reveal());
            c.sessionToken().ifPresent(t -> creds.put("sessionToken", t.reveal()));
            ObjectNode s = out.putObject("secrets");
            lab.worldSecrets().forEach((k, v) -> s.put(k, v.reveal()));
        }
        return out;
    }

    private static Answer ok(JsonNode body) {
        return new Answer(200, write(body));
    }

    private static Answer notAllowed(String method, String path, String allowed) {
        return error(405, method + " " + path + " is not allowed; use " + allowed);
    }

    private static Answer error(int status, String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", message);
        return new Answer(status, write(o));
    }

    private static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Answer(int status, String body) {}
}
