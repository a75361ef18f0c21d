package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The logs of the pods the lab itself runs (the reference blacklister's Job pods), served on
 * {@code GET /api/v1/namespaces/{ns}/pods/{name}/log} with {@code tailLines}, {@code timestamps} and
 * {@code container}, as plain text. The mock API server has no kubelet and no pods/log; pods this class does not
 * know are left to the rest of the dispatcher.
 */
final class PodLogs {
    private static final Pattern LOG = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/log(\\?(.*))?");

    /** One pod's log: its container's name, whether the container has started, and its lines. */
    private static final class Log {
        final String container;
        final List<Instant> times = new ArrayList<>();
        final List<String> lines = new ArrayList<>();
        volatile String waiting = "ContainerCreating";

        Log(String container) {
            this.container = container;
        }
    }

    private final Map<String, Log> logs = new ConcurrentHashMap<>();
    private final KubernetesSerialization json = new KubernetesSerialization();

    /** A pod the lab runs: its log is served from now on, waiting until {@link #started}. */
    void register(String namespace, String pod, String container) {
        logs.put(namespace + "/" + pod, new Log(container));
    }

    /** The pod's container started: its (possibly empty) log is served. */
    void started(String namespace, String pod) {
        Log l = logs.get(namespace + "/" + pod);
        if (l != null) {
            l.waiting = null;
        }
    }

    /** The pod's container cannot start for this reason, for example {@code CreateContainerConfigError}. */
    void waiting(String namespace, String pod, String reason) {
        Log l = logs.get(namespace + "/" + pod);
        if (l != null) {
            l.waiting = reason;
        }
    }

    void append(String namespace, String pod, Instant at, String line) {
        Log l = logs.get(namespace + "/" + pod);
        if (l != null) {
            synchronized (l) {
                l.times.add(at);
                l.lines.add(line);
            }
        }
    }

    /** The pod's whole log, empty when the lab does not run that pod. */
    String text(String namespace, String pod) {
        Log l = logs.get(namespace + "/" + pod);
        if (l == null) {
            return "";
        }
        synchronized (l) {
            return l.lines.isEmpty() ? "" : String.join("\n", l.lines) + "\n";
        }
    }

    void remove(String namespace, String pod) {
        logs.remove(namespace + "/" + pod);
    }

    /** The answer to a pods/log request for a pod this class knows; null for any other request. */
    MockResponse serve(RecordedRequest request) {
        if (!"GET".equalsIgnoreCase(request.getMethod()) || request.getPath() == null) {
            return null;
        }
        Matcher m = LOG.matcher(request.getPath());
        if (!m.matches()) {
            return null;
        }
        String ns = m.group(1);
        String pod = m.group(2);
        Log l = logs.get(ns + "/" + pod);
        if (l == null) {
            return null;
        }
        Map<String, String> q = query(m.group(4));
        String container = q.get("container");
        if (container != null && !container.equals(l.container)) {
            return status(400, "BadRequest", "container " + container + " is not valid for pod " + pod);
        }
        if (l.waiting != null) {
            return status(
                    400,
                    "BadRequest",
                    "container \"" + l.container + "\" in pod \"" + pod + "\" is waiting to start: " + l.waiting);
        }
        boolean timestamps = "true".equals(q.get("timestamps"));
        List<String> out = new ArrayList<>();
        synchronized (l) {
            for (int i = 0; i < l.lines.size(); i++) {
                out.add(timestamps ? l.times.get(i) + " " + l.lines.get(i) : l.lines.get(i));
            }
        }
        String tail = q.get("tailLines");
        if (tail != null) {
            try {
                int n = Integer.parseInt(tail);
                if (n >= 0 && n < out.size()) {
                    out = out.subList(out.size() - n, out.size());
                }
            } catch (NumberFormatException e) {
                return status(400, "BadRequest", "tailLines: invalid value \"" + tail + "\"");
            }
        }
        String body = out.isEmpty() ? "" : String.join("\n", out) + "\n";
        return new MockResponse()
                .setResponseCode(200)
                .setHeader("Content-Type", "text/plain")
                .setBody(body);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    private MockResponse status(int code, String reason, String message) {
        return new MockResponse()
                .setResponseCode(code)
                .setHeader("Content-Type", "application/json")
                .setBody(json.asJson(new StatusBuilder()
                        .withStatus("Failure")
                        .withReason(reason)
                        .withMessage(message)
                        .withCode(code)
                        .build()));
    }
}
