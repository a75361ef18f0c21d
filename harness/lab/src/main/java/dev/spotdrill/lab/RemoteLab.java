package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.KubeAccess;
import dev.spotdrill.core.Secret;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A lab running in another process, reached through its {@link LabControl} endpoint: the world a drill there needs,
 * built from the endpoint's attach description. Only the endpoints differ from an in-JVM lab's world; the clock
 * keeps the server's anchor and pace.
 */
final class RemoteLab {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI url;
    private final HttpClient http;

    private RemoteLab(URI url) {
        this.url = url;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /**
     * Attaches to the lab whose control endpoint is at the given URL (the value of {@code spotdrill.lab.url}).
     *
     * @throws SpotDrillConfigurationException when the URL is malformed, nothing answers there, or what answers is
     *     not a lab
     */
    static World attach(String urlText) {
        URI url = parse(urlText);
        RemoteLab remote = new RemoteLab(url);
        JsonNode d = remote.call("POST", "attach", "{}", urlText);
        return remote.world(d, urlText);
    }

    private static URI parse(String text) {
        try {
            URI u = URI.create(text.trim().replaceAll("/+$", ""));
            if (("http".equals(u.getScheme())) && u.getHost() != null && u.getPort() > 0) {
                return u;
            }
        } catch (IllegalArgumentException e) {
            // fall through to the message below
        }
        throw new SpotDrillConfigurationException(SpotDrillConfig.LAB_URL + "=\"" + text + "\": not an http URL with a"
                + " host and a port; use the control URL that `spotdrill lab` prints, e.g. http://127.0.0.1:4609");
    }

    private JsonNode call(String method, String path, String body, String urlText) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + LabControl.PREFIX + path))
                .timeout(TIMEOUT)
                .header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SpotDrillConfigurationException(
                    SpotDrillConfig.LAB_URL + "=\"" + urlText + "\": no lab answers there (" + e
                            + "); start one with `./spotdrill lab` and use the control URL it prints, or remove "
                            + SpotDrillConfig.LAB_URL + " to let spotdrill start a lab in this JVM",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SpotDrillConfigurationException(
                    SpotDrillConfig.LAB_URL + "=\"" + urlText + "\": interrupted while attaching", e);
        }
        JsonNode answer = null;
        try {
            answer = JSON.readTree(r.body());
        } catch (IOException e) {
            // not JSON: not a lab
        }
        if (r.statusCode() != 200 || answer == null || !answer.hasNonNull("lab")) {
            String said = answer != null && answer.hasNonNull("error")
                    ? answer.get("error").asText()
                    : abbreviate(r.body());
            throw new SpotDrillConfigurationException(SpotDrillConfig.LAB_URL + "=\"" + urlText + "\": " + method
                    + " " + LabControl.PREFIX + path + " answered " + r.statusCode() + " (" + said + "), not a lab"
                    + " description; point " + SpotDrillConfig.LAB_URL + " at the control URL that `spotdrill lab`"
                    + " prints");
        }
        return answer;
    }

    private World world(JsonNode d, String urlText) {
        try {
            String region = text(d, "region");
            double pace = d.path("pace").asDouble();
            Instant worldAnchor = Instant.parse(text(d.path("clock"), "worldAnchor"));
            Instant wallAnchor = Instant.parse(text(d.path("clock"), "wallAnchor"));
            long wallNanos = Duration.between(wallAnchor, Instant.now()).toNanos();
            WorldClock clock = WorldClock.paced(worldAnchor.plusNanos(Math.round(wallNanos * pace)), pace);
            JsonNode creds = d.path("credentials");
            AwsCredentials credentials = creds.hasNonNull("sessionToken")
                    ? AwsCredentials.of(
                            text(creds, "accessKeyId"), text(creds, "secretAccessKey"), text(creds, "sessionToken"))
                    : AwsCredentials.of(text(creds, "accessKeyId"), text(creds, "secretAccessKey"));
            Map<String, URI> imds = new ConcurrentHashMap<>();
            for (JsonNode i : d.path("instances")) {
                imds.put(text(i, "id"), URI.create(text(i, "imds")));
            }
            World.Builder wb = World.builder(World.LAB)
                    .region(region)
                    .clock(clock)
                    .credentials(credentials)
                    .imdsEndpoints(id -> imds.computeIfAbsent(id, this::imdsEndpoint));
            for (AwsService s : AwsService.values()) {
                JsonNode e = d.path("endpoints").get(s.name().toLowerCase(Locale.ROOT));
                if (e != null && e.isTextual()) {
                    wb.endpoint(s, URI.create(e.asText()));
                }
            }
            if (d.path("kube").hasNonNull("master")) {
                wb.kube(KubeAccess.master(
                        URI.create(d.path("kube").get("master").asText())));
            }
            fields(d.path("facts"), wb::fact);
            wb.fact("control", url.toString());
            fields(d.path("settings"), wb::setting);
            fields(d.path("secrets"), (k, v) -> wb.secret(k, Secret.of(v)));
            wb.attachment("lab-call-log", this::callLog);
            return wb.build();
        } catch (RuntimeException e) {
            throw new SpotDrillConfigurationException(
                    SpotDrillConfig.LAB_URL + "=\"" + urlText + "\": the lab's description cannot be read (" + e
                            + "); use a spotdrill of the same version as the lab's",
                    e);
        }
    }

    private URI imdsEndpoint(String instanceId) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + LabControl.PREFIX + "imds/" + instanceId))
                .timeout(TIMEOUT)
                .GET()
                .build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            JsonNode a = JSON.readTree(r.body());
            if (r.statusCode() == 200 && a.hasNonNull("imds")) {
                return URI.create(a.get("imds").asText());
            }
            throw new IllegalArgumentException(a.path("error").asText("lab at " + url + " answered " + r.statusCode()));
        } catch (IOException e) {
            throw new IllegalStateException("the lab at " + url + " did not answer for the IMDS of " + instanceId + " ("
                    + e + "); is `spotdrill lab` still running?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the lab at " + url + " for an IMDS endpoint");
        }
    }

    private String callLog() {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + LabControl.PREFIX + "calls"))
                .timeout(TIMEOUT)
                .GET()
                .build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return r.body();
        } catch (IOException e) {
            return "{\"error\":\"the lab at " + url + " did not answer for its call log\"}";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "{\"error\":\"interrupted\"}";
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isValueNode() || v.asText().isBlank()) {
            throw new IllegalArgumentException("missing \"" + field + "\"");
        }
        return v.asText();
    }

    private static void fields(JsonNode node, java.util.function.BiConsumer<String, String> to) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            to.accept(e.getKey(), e.getValue().asText());
        }
    }

    private static String abbreviate(String s) {
        String one = s == null ? "" : s.replaceAll("\\s+", " ").trim();
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }
}
