package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A refusal of the lab's API server, answered as a {@code v1 Status} with the real server's code and reason. */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int code;
    final String reason;
    final transient ObjectNode details;

    ApiException(int code, String reason, String message) {
        this(code, reason, message, null);
    }

    ApiException(int code, String reason, String message, ObjectNode details) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.details = details;
    }

    static ApiException notFound(ApiResources.Type type, String name) {
        return new ApiException(404, "NotFound", type.qualified() + " \"" + name + "\" not found", details(type, name));
    }

    static ApiException alreadyExists(ApiResources.Type type, String name) {
        return new ApiException(
                409, "AlreadyExists", type.qualified() + " \"" + name + "\" already exists", details(type, name));
    }

    static ApiException conflict(ApiResources.Type type, String name) {
        return new ApiException(
                409,
                "Conflict",
                "Operation cannot be fulfilled on " + type.qualified() + " \"" + name
                        + "\": the object has been modified; please apply your changes to the latest version and"
                        + " try again",
                details(type, name));
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequest", message);
    }

    static ApiException invalid(ApiResources.Type type, String name, String message) {
        return new ApiException(
                422,
                "Invalid",
                type.kind() + " \"" + (name == null ? "" : name) + "\" is invalid: " + message,
                details(type, name));
    }

    static ApiException gone(String message) {
        return new ApiException(410, "Expired", message);
    }

    /** The {@code v1 Status} body for this refusal. */
    ObjectNode status() {
        return status(code, reason, getMessage(), details);
    }

    static ObjectNode status(int code, String reason, String message, ObjectNode details) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("kind", "Status");
        s.put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", code < 400 ? "Success" : "Failure");
        if (message != null) {
            s.put("message", message);
        }
        if (reason != null) {
            s.put("reason", reason);
        }
        if (details != null) {
            s.set("details", details);
        }
        s.put("code", code);
        return s;
    }

    private static ObjectNode details(ApiResources.Type type, String name) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        if (name != null) {
            d.put("name", name);
        }
        if (!type.group().isEmpty()) {
            d.put("group", type.group());
        }
        d.put("kind", type.plural());
        return d;
    }
}
