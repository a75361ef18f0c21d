package dev.spotdrill.cli.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.cli.CommandFailedException;
import dev.spotdrill.cli.UsageException;
import dev.spotdrill.core.SpotDrillConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * Talks to a running lab's control endpoint for {@code spotdrill lab fault} and {@code spotdrill lab calls}. The URL
 * comes from {@code --url}, else {@code SPOTDRILL_LAB_URL}, else the {@code env} file in {@code ./spotdrill-lab}
 * (where {@code spotdrill lab} writes it by default).
 */
final class LabClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ENV = SpotDrillConfig.envNames(SpotDrillConfig.LAB_URL).get(0);
    static final Path DEFAULT_ENV_FILE = Path.of("spotdrill-lab", "env");

    private final URI url;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private LabClient(URI url) {
        this.url = url;
    }

    /** The client for {@code --url}, the environment or the default env file; a usage error when none says. */
    static LabClient resolve(String urlOption, Function<String, String> env) {
        String where;
        String text;
        if (urlOption != null && !urlOption.isBlank()) {
            text = urlOption;
            where = "--url";
        } else if (env.apply(ENV) != null && !env.apply(ENV).isBlank()) {
            text = env.apply(ENV);
            where = "the environment variable " + ENV;
        } else {
            Optional<String> fromFile = fromEnvFile(DEFAULT_ENV_FILE);
            if (fromFile.isEmpty()) {
                throw new UsageException(
                        "no lab to talk to: pass --url <control URL> (spotdrill lab prints it), or set "
                                + ENV + " (set -a; . spotdrill-lab/env; set +a), or run this where ./"
                                + DEFAULT_ENV_FILE
                                + " is");
            }
            text = fromFile.get();
            where = "./" + DEFAULT_ENV_FILE;
        }
        try {
            URI u = URI.create(text.trim().replaceAll("/+$", ""));
            if ("http".equals(u.getScheme()) && u.getHost() != null && u.getPort() > 0) {
                return new LabClient(u);
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw new UsageException(where + " \"" + text + "\": not an http URL with a host and a port; use the control"
                + " URL that spotdrill lab prints, e.g. --url http://127.0.0.1:4609");
    }

    private static Optional<String> fromEnvFile(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Files.readAllLines(file).stream()
                    .filter(l -> l.startsWith(ENV + "="))
                    .map(l -> l.substring(ENV.length() + 1))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    URI url() {
        return url;
    }

    /** A GET of a control call, e.g. {@code faults}. */
    JsonNode get(String path) {
        return send("GET", path, null);
    }

    /** The raw body of a GET, for JSON the user reads as is. */
    String getRaw(String path) {
        return exchange("GET", path, null).body();
    }

    JsonNode post(String path, JsonNode body) {
        return send("POST", path, body.toString());
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    private JsonNode send(String method, String path, String body) {
        HttpResponse<String> r = exchange(method, path, body);
        JsonNode answer;
        try {
            answer = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new CommandFailedException(method + " " + url + "/v1/" + path + " answered " + r.statusCode()
                    + " with no JSON: is this a spotdrill lab's control URL?");
        }
        if (r.statusCode() == 400) {
            throw new UsageException(answer.path("error").asText(r.body()));
        }
        if (r.statusCode() != 200) {
            throw new CommandFailedException(method + " " + url + "/v1/" + path + " answered " + r.statusCode() + ": "
                    + answer.path("error").asText(r.body()));
        }
        return answer;
    }

    private HttpResponse<String> exchange(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/" + path))
                .timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CommandFailedException(
                    "no lab answers at " + url + " (" + e + "); is spotdrill lab still running? It prints its control"
                            + " URL when it starts",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailedException("interrupted while calling the lab at " + url, e);
        }
    }
}
