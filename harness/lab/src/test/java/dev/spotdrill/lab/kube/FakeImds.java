package dev.spotdrill.lab.kube;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A tiny IMDSv2 for tests: one per instance, with the real token flow and switchable notices. */
final class FakeImds implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final AtomicInteger gets = new AtomicInteger();
    private volatile String instanceAction;
    private volatile String rebalance;

    FakeImds() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "spotdrill-test-imds");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void notice(String action, String time) {
        instanceAction = "{\"action\":\"" + action + "\",\"time\":\"" + time + "\"}";
    }

    void rebalance(String noticeTime) {
        rebalance = "{\"noticeTime\":\"" + noticeTime + "\"}";
    }

    int gets() {
        return gets.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/latest/api/token")) {
                if (!ex.getRequestMethod().equals("PUT")) {
                    send(ex, 405, "");
                    return;
                }
                String ttl = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds");
                int seconds;
                try {
                    seconds = Integer.parseInt(ttl);
                } catch (NumberFormatException e) {
                    seconds = -1;
                }
                if (seconds < 1 || seconds > 21600) {
                    send(ex, 400, "");
                    return;
                }
                String token = UUID.randomUUID().toString();
                tokens.add(token);
                send(ex, 200, token);
                return;
            }
            String token = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
            if (token == null || !tokens.contains(token)) {
                send(ex, 401, "");
                return;
            }
            gets.incrementAndGet();
            Map<String, String> bodies = new java.util.HashMap<>();
            if (instanceAction != null) {
                bodies.put("/latest/meta-data/spot/instance-action", instanceAction);
            }
            if (rebalance != null) {
                bodies.put("/latest/meta-data/events/recommendations/rebalance", rebalance);
            }
            String body = bodies.get(path);
            send(ex, body == null ? 404 : 200, body == null ? "" : body);
        }
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    void forgetTokens() {
        tokens.clear();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
