package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.spotdrill.core.Secret;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A Slack incoming-webhook sink: it records every message posted to its one webhook URL and answers as Slack does
 * ({@code 200 ok}; {@code 400 invalid_payload} for a body that is not JSON, {@code 400 no_text} for one without
 * {@code text} or {@code blocks}; {@code 404 no_service} for another path; {@code 405} for another method). The URL,
 * with its random token, is a {@link Secret}, as a real webhook URL is. Logged as service {@code slack}.
 */
public final class LabSlack {
    static final String SERVICE = "slack";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> posts = new ArrayList<>();
    private final String path;
    private volatile URI base;
    private volatile Secret url;

    LabSlack(String token) {
        this.path = "/services/T0LAB0000/B0LAB0000/" + token;
    }

    void serveAt(URI server) {
        this.base = server;
        this.url = Secret.of(server.resolve(path).toString());
    }

    /** The webhook URL to post to, for example as {@code SPOTDRILL_NOTIFY_SLACK_WEBHOOK}. */
    public Secret webhookUrl() {
        return url;
    }

    /** The {@code text} of every message posted so far, oldest first. */
    public synchronized List<String> posts() {
        return List.copyOf(posts);
    }

    /** The HTTP side. */
    HttpHandler handler(LabContext ctx) {
        return ex -> handle(ctx, ex);
    }

    private void handle(LabContext ctx, HttpExchange ex) throws IOException {
        String body = Http.body(ex);
        if (!ex.getRequestURI().getPath().equals(path)) {
            ctx.record(SERVICE, "IncomingWebhook", "", 404, "no_service", "");
            Http.send(ex, 404, "text/html", "no_service");
            return;
        }
        if (!ex.getRequestMethod().equals("POST")) {
            ctx.record(SERVICE, "IncomingWebhook", "", 405, "invalid_method", "");
            Http.send(ex, 405, "text/html", "invalid_method");
            return;
        }
        JsonNode msg;
        try {
            msg = JSON.readTree(body);
        } catch (IOException e) {
            msg = null;
        }
        if (msg == null || !msg.isObject()) {
            ctx.record(SERVICE, "IncomingWebhook", "", 400, "invalid_payload", "");
            Http.send(ex, 400, "text/html", "invalid_payload");
            return;
        }
        if (msg.path("text").asText("").isBlank() && !msg.path("blocks").isArray()) {
            ctx.record(SERVICE, "IncomingWebhook", "", 400, "no_text", "");
            Http.send(ex, 400, "text/html", "no_text");
            return;
        }
        synchronized (this) {
            posts.add(msg.path("text").asText(""));
        }
        ctx.record(SERVICE, "IncomingWebhook", "", 200, "", "");
        Http.send(ex, 200, "text/html", "ok");
    }

    @Override
    public String toString() {
        return "LabSlack[" + base + ", " + posts().size() + " posts]";
    }
}
