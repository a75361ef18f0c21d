package dev.spotdrill.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * The Spot Advisor feed as S3 serves it: {@code GET /spot-advisor-data.json} with an ETag; other keys answer S3's
 * 404 NoSuchKey, other methods 405. Logged as service {@code spotadvisor}, operation {@code GetObject}.
 */
final class SpotAdvisorApi implements HttpHandler {
    static final String SERVICE = "spotadvisor";

    private final LabContext ctx;
    private final LabSpotAdvisor advisor;

    SpotAdvisorApi(LabContext ctx, LabSpotAdvisor advisor) {
        this.ctx = ctx;
        this.advisor = advisor;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ctx.record(SERVICE, "GetObject", "", 405, "MethodNotAllowed", path);
                error(ex, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
                return;
            }
            if (!LabSpotAdvisor.PATH.equals(path)) {
                ctx.record(SERVICE, "GetObject", "", 404, "NoSuchKey", path);
                error(ex, 404, "NoSuchKey", "The specified key does not exist.");
                return;
            }
            String body = advisor.json();
            ex.getResponseHeaders().set("ETag", "\"" + md5(body) + "\"");
            ex.getResponseHeaders()
                    .set(
                            "Last-Modified",
                            DateTimeFormatter.RFC_1123_DATE_TIME.format(
                                    ctx.now().atOffset(ZoneOffset.UTC)));
            ctx.record(SERVICE, "GetObject", "", 200, "", path);
            if (method.equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, -1);
                ex.close();
                return;
            }
            Http.send(ex, 200, "application/json", body);
        } catch (RuntimeException e) {
            Http.send(ex, 500, "application/xml", "<Error><Code>InternalError</Code></Error>");
        }
    }

    private void error(HttpExchange ex, int status, String code, String message) throws IOException {
        Http.send(
                ex,
                status,
                "application/xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
                        + "</Message><RequestId>" + ctx.hex(16).toUpperCase(java.util.Locale.ROOT)
                        + "</RequestId></Error>");
    }

    private static String md5(String body) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("MD5").digest(body.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
