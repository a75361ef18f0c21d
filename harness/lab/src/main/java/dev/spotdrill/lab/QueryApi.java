package dev.spotdrill.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AWS query protocol (EC2, STS, IAM): a form POST with {@code Action} and {@code Version}, answered in XML.
 * Checks the SigV4 credential's access key, logs every call and turns {@link ApiError}s into the service's error
 * envelope.
 */
abstract class QueryApi implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(QueryApi.class);
    final LabContext ctx;
    final String service;
    final String version;

    QueryApi(LabContext ctx, String service, String version) {
        this.ctx = ctx;
        this.service = service;
        this.version = version;
    }

    /** The result of one call: the XML document and the main resource for the call log. */
    record Result(String xml, String resource) {}

    abstract Result dispatch(String action, Map<String, String> params);

    abstract String errorXml(ApiError e, String requestId);

    abstract ApiError authError(boolean missing);

    @Override
    public final void handle(HttpExchange ex) throws IOException {
        String requestId = ctx.requestId();
        String action = "(none)";
        String caller = "";
        int status;
        String code = "";
        String resource = "";
        String body;
        try {
            Map<String, String> params = Http.decodeForm(ex.getRequestURI().getRawQuery());
            params.putAll(Http.decodeForm(Http.body(ex)));
            action = params.getOrDefault("Action", "(none)");
            String key = Http.accessKey(ex);
            caller = key == null ? "" : ctx.principalFor(key);
            if (key == null || caller.isEmpty()) {
                throw authError(key == null);
            }
            if (!params.containsKey("Action")) {
                throw new ApiError(400, "MissingAction", "The request must contain the parameter Action.");
            }
            if (!version.equals(params.get("Version"))) {
                throw new ApiError(
                        400,
                        "InvalidParameterValue",
                        "Version \"" + params.get("Version") + "\" is not supported; " + service + " speaks Version="
                                + version);
            }
            Result r;
            synchronized (ctx.lock) {
                r = dispatch(action, params);
            }
            status = 200;
            resource = r.resource();
            body = r.xml().replace("@@REQUEST_ID@@", requestId);
        } catch (ApiError e) {
            status = e.status;
            code = e.code;
            body = errorXml(e, requestId);
        } catch (RuntimeException e) {
            LOG.error("lab {}: {} {} failed", ctx.labId, service, action, e);
            status = 500;
            code = "InternalError";
            body = errorXml(new ApiError(500, code, "lab error: " + e), requestId);
        }
        ctx.record(service, action, caller, status, code, resource);
        ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
        Http.send(ex, status, "text/xml;charset=UTF-8", body);
    }

    static ApiError unknownAction(String action) {
        return new ApiError(400, "InvalidAction", "The action " + action + " is not valid for this web service.");
    }

    /** The standard STS/IAM error envelope. */
    static String errorResponse(String xmlns, ApiError e, String requestId) {
        return "<ErrorResponse xmlns=\"" + xmlns + "\"><Error><Type>" + (e.status >= 500 ? "Receiver" : "Sender")
                + "</Type><Code>" + Http.xml(e.code) + "</Code><Message>" + Http.xml(e.getMessage())
                + "</Message></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>";
    }

    static String required(Map<String, String> params, String name) {
        String v = params.get(name);
        if (v == null || v.isEmpty()) {
            throw new ApiError(400, "MissingParameter", "The request must contain the parameter " + name + ".");
        }
        return v;
    }
}
