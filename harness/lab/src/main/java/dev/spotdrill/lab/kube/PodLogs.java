package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logs of the pods the lab itself runs (the reference blacklister's Job pods), served on
 * {@code GET /api/v1/namespaces/{ns}/pods/{name}/log} with {@code tailLines}, {@code timestamps} and
 * {@code container}, as plain text. The lab's API server asks it first; pods this class does not know get the API
 * server's own answer.
 */
final class PodLogs {
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

    /** An answer to a pods/log request: status, content type and body. */
    record Answer(int status, String contentType, String body) {}

    /** The answer to a pods/log request for a pod this class knows; null for any other pod. */
    Answer answer(String ns, String pod, Map<String, String> q) {
        Log l = logs.get(ns + "/" + pod);
        if (l == null) {
            return null;
        }
        String container = q.get("container");
        if (container != null && !container.isEmpty() && !container.equals(l.container)) {
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
        return new Answer(200, "text/plain", out.isEmpty() ? "" : String.join("\n", out) + "\n");
    }

    private Answer status(int code, String reason, String message) {
        return new Answer(
                code,
                "application/json",
                json.asJson(new StatusBuilder()
                        .withStatus("Failure")
                        .withReason(reason)
                        .withMessage(message)
                        .withCode(code)
                        .build()));
    }
}
