package dev.spotdrill.core.drill;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What an {@link Expectation} asks of a {@link Source}: its kind, and parameters such as the Deployment to watch,
 * for example {@code kube{deployment=shop/checkout}}. The drill starts each kind once, with every request for it.
 *
 * @param kind the source's {@link Source#kind() kind}, for example {@code imds}, {@code kube} or {@code events}
 * @param params parameters the source understands; empty for none
 */
public record SourceRequest(String kind, Map<String, String> params) {

    public SourceRequest {
        Objects.requireNonNull(kind, "kind");
        if (kind.isBlank()) {
            throw new IllegalArgumentException("a source kind must not be blank");
        }
        params = params == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(params));
    }

    /** A request for a source, with no parameters. */
    public static SourceRequest of(String kind) {
        return new SourceRequest(kind, Map.of());
    }

    /** A request for a source with one parameter. */
    public static SourceRequest of(String kind, String key, String value) {
        return new SourceRequest(kind, Map.of(key, value));
    }

    /** A parameter's value, or {@code null}. */
    public String param(String key) {
        return params.get(key);
    }

    @Override
    public String toString() {
        return params.isEmpty()
                ? kind
                : kind
                        + params.entrySet().stream()
                                .sorted(Map.Entry.comparingByKey())
                                .map(e -> e.getKey() + "=" + e.getValue())
                                .collect(Collectors.joining(", ", "{", "}"));
    }
}
