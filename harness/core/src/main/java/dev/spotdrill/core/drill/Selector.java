package dev.spotdrill.core.drill;

import java.util.List;
import java.util.Objects;

/**
 * How a drill finds its targets: by instance ids, by EC2 tags ({@code key=value}), or by a Kubernetes node
 * label selector.
 *
 * @param kind which of the three
 * @param values the ids, the {@code key=value} tags, or the one label selector
 */
public record Selector(Kind kind, List<String> values) {

    /** The three ways to select targets. */
    public enum Kind {
        /** {@code @SpotInterruption(instances=...)}: explicit instance ids. */
        INSTANCES,
        /** {@code @SpotInterruption(tags=...)}: EC2 tags, all of which must match. */
        TAGS,
        /** {@code @SpotInterruption(nodes=...)}: a Kubernetes label selector on nodes. */
        NODES
    }

    public Selector {
        Objects.requireNonNull(kind, "kind");
        values = List.copyOf(values);
    }

    public static Selector instances(String... ids) {
        return new Selector(Kind.INSTANCES, List.of(ids));
    }

    public static Selector tags(String... keyValues) {
        return new Selector(Kind.TAGS, List.of(keyValues));
    }

    public static Selector nodes(String labelSelector) {
        return new Selector(Kind.NODES, List.of(labelSelector));
    }

    /** The attribute name as the user wrote it: {@code instances}, {@code tags} or {@code nodes}. */
    public String attribute() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
