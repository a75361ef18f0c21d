package dev.spotdrill.lab.kube;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** Reads one instance's IMDS the way NTH does: IMDSv2 token (cached until refused), 2 s timeouts. */
final class ImdsPoller {
    static final String INSTANCE_ACTION = "/latest/meta-data/spot/instance-action";
    static final String REBALANCE = "/latest/meta-data/events/recommendations/rebalance";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final HttpClient http;
    private URI tokenFor;
    private String token;

    ImdsPoller(HttpClient http) {
        this.http = http;
    }

    /** The body at the path, empty on 404; throws IOException when IMDS cannot be read. */
    Optional<String> get(URI base, String path) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < 2; attempt++) {
            String t = token(base);
            HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                    .timeout(TIMEOUT)
                    .header("X-aws-ec2-metadata-token", t)
                    .GET()
                    .build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            switch (response.statusCode()) {
                case 200:
                    return Optional.of(response.body());
                case 404:
                    return Optional.empty();
                case 401:
                    token = null; // expired or unknown: fetch a new one and try once more
                    continue;
                default:
                    throw new IOException("IMDS " + path + " answered " + response.statusCode());
            }
        }
        throw new IOException("IMDS " + path + " refused a fresh token (401 twice)");
    }

    private String token(URI base) throws IOException, InterruptedException {
        if (token != null && base.equals(tokenFor)) {
            return token;
        }
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/latest/api/token"))
                .timeout(TIMEOUT)
                .header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("IMDS token PUT answered " + response.statusCode());
        }
        token = response.body().trim();
        tokenFor = base;
        return token;
    }
}
