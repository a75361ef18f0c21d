package dev.spotdrill.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small helpers over the JDK HTTP server: start on loopback, read, answer, decode. */
final class Http {
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)/");

    static {
        // Nagle's algorithm off: otherwise each answer waits ~40 ms on the client's delayed ACK (see KubeApiServer).
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private Http() {}

    /**
     * Starts a server on 127.0.0.1 with a dynamic port. It is started from a pool thread so that the JDK's
     * dispatcher thread inherits daemon status.
     */
    static HttpServer start(ExecutorService pool, HttpHandler handler) {
        return start(pool, handler, 0, "a lab server");
    }

    /**
     * Starts a server on 127.0.0.1 at the given port (0: a dynamic one).
     *
     * @param what the server, for the message when the port is taken, e.g. {@code fis}
     * @throws dev.spotdrill.core.SpotDrillConfigurationException when a fixed port is in use
     */
    static HttpServer start(ExecutorService pool, HttpHandler handler, int port, String what) {
        try {
            HttpServer server;
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            } catch (java.net.BindException e) {
                throw portInUse(port, what, e);
            }
            server.createContext("/", handler);
            server.setExecutor(pool);
            pool.submit(server::start).get();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a lab port on 127.0.0.1", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting a lab server", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot start a lab server", e.getCause());
        }
    }

    /** The error for a fixed lab port that another process holds. */
    static dev.spotdrill.core.SpotDrillConfigurationException portInUse(int port, String what, Exception cause) {
        return new dev.spotdrill.core.SpotDrillConfigurationException(
                "lab port " + port + " for " + what + " on 127.0.0.1 is in use (" + cause.getMessage()
                        + "); stop what listens there, or choose another port base (a lab takes the base and the 9"
                        + " ports after it, and one more per instance for its IMDS)",
                cause);
    }

    static URI uri(HttpServer server) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    static String body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (contentType != null) {
            ex.getResponseHeaders().set("Content-Type", contentType);
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
        ex.close();
    }

    /** Decodes {@code a=1&b=2} (a query string or a form body); later duplicates win. */
    static Map<String, String> decodeForm(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    static String decodePathSegment(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The access key id from a SigV4 Authorization header, or null when there is none. */
    static String accessKey(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null) {
            return null;
        }
        Matcher m = CREDENTIAL.matcher(auth);
        return m.find() ? m.group(1) : "";
    }

    static String xml(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Epoch seconds with millisecond fraction, as restJson timestamps are written. */
    static BigDecimal epoch(Instant t) {
        return BigDecimal.valueOf(t.toEpochMilli(), 3);
    }

    /** ISO-8601 with milliseconds, as query-protocol timestamps are written. */
    static String iso(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** RFC 3339 with seconds precision, as IMDS writes notice times. */
    static String rfc3339(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
