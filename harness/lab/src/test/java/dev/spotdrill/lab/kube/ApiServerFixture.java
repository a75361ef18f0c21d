package dev.spotdrill.lab.kube;

import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * A bare lab API server (no controller) with a Fabric8 client configured as the harness's is (WebSocket watches
 * first, so the HTTP fallback is exercised) and a raw HTTP client.
 */
final class ApiServerFixture implements AutoCloseable {
    final WorldClock clock = WorldClock.paced(Instant.parse("2026-01-15T10:00:00Z"), 60);
    final KubeApiServer server;
    final KubernetesClient client;
    final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    ApiServerFixture() {
        this(KubeApiServer.DEFAULT_HISTORY, KubeApiServer.DEFAULT_BOOKMARK_INTERVAL);
    }

    ApiServerFixture(int history, Duration bookmarkInterval) {
        server = new KubeApiServer(clock, history, bookmarkInterval);
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(server.url().toString())
                .withNamespace("default")
                .withRequestRetryBackoffLimit(0)
                .withWatchReconnectInterval(100)
                .build();
        client = new KubernetesClientBuilder().withConfig(config).build();
    }

    URI uri(String pathAndQuery) {
        return server.url().resolve(pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String pathAndQuery, String contentType, String body)
            throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(uri(pathAndQuery))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", contentType)
                        .method(method, HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    Pod pod(String namespace, String name, String node, String app) {
        PodBuilder b = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels("app", app)
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .addNewContainer()
                .withName(app)
                .withImage("public.ecr.aws/lab/" + app + ":1.0")
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase(node == null ? "Pending" : "Running")
                .endStatus();
        return client.pods().inNamespace(namespace).resource(b.build()).create();
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
