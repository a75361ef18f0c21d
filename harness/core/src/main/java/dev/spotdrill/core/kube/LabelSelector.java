package dev.spotdrill.core.kube;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A Kubernetes label selector as {@code kubectl -l} takes it: comma-separated requirements {@code key},
 * {@code !key}, {@code key=value}, {@code key==value}, {@code key!=value}, {@code key in (a,b)} and
 * {@code key notin (a,b)}.
 *
 * <p>{@link #parse} checks the syntax with Kubernetes' rules for keys (optional DNS prefix, name of at most 63
 * characters) and values, so that a typo fails before anything is created in AWS.
 */
public final class LabelSelector {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern PREFIX =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    /** How a requirement compares the label's value. */
    public enum Operator {
        EXISTS,
        NOT_EXISTS,
        EQUALS,
        NOT_EQUALS,
        IN,
        NOT_IN
    }

    /**
     * One requirement of a selector.
     *
     * @param key the label key
     * @param operator the comparison
     * @param values the values, empty for EXISTS and NOT_EXISTS
     */
    public record Requirement(String key, Operator operator, List<String> values) {
        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = List.copyOf(values);
        }

        /** Whether the labels satisfy this requirement. */
        public boolean matches(Map<String, String> labels) {
            String v = labels == null ? null : labels.get(key);
            return switch (operator) {
                case EXISTS -> v != null;
                case NOT_EXISTS -> v == null;
                case EQUALS, IN -> v != null && values.contains(v);
                case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
            };
        }

        @Override
        public String toString() {
            return switch (operator) {
                case EXISTS -> key;
                case NOT_EXISTS -> "!" + key;
                case EQUALS -> key + "=" + values.get(0);
                case NOT_EQUALS -> key + "!=" + values.get(0);
                case IN -> key + " in (" + String.join(",", values) + ")";
                case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
            };
        }
    }

    private final String text;
    private final List<Requirement> requirements;

    private LabelSelector(String text, List<Requirement> requirements) {
        this.text = text;
        this.requirements = List.copyOf(requirements);
    }

    /**
     * Parses a selector.
     *
     * @throws IllegalArgumentException saying what is wrong, where, and how a requirement is written
     */
    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the selector is empty");
        }
        List<Requirement> out = new ArrayList<>();
        for (String part : split(text)) {
            out.add(requirement(part.trim()));
        }
        return new LabelSelector(text.trim(), out);
    }

    /** The requirements, in the order written. */
    public List<Requirement> requirements() {
        return requirements;
    }

    /** Whether the labels satisfy every requirement. */
    public boolean matches(Map<String, String> labels) {
        return requirements.stream().allMatch(r -> r.matches(labels));
    }

    /**
     * The {@code key=value} requirements, which every API server (and the Fabric8 mock) filters on; the others
     * are checked by {@link #matches}.
     */
    public Map<String, String> equalities() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Requirement r : requirements) {
            if (r.operator() == Operator.EQUALS
                    || (r.operator() == Operator.IN && r.values().size() == 1)) {
                m.putIfAbsent(r.key(), r.values().get(0));
            }
        }
        return m;
    }

    /** The selector as the user wrote it. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
    }

    private static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int from = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
                if (depth < 0) {
                    throw new IllegalArgumentException("a ')' at position " + i + " closes nothing");
                }
            } else if (c == ',' && depth == 0) {
                parts.add(text.substring(from, i));
                from = i + 1;
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException("a '(' is not closed");
        }
        parts.add(text.substring(from));
        for (String p : parts) {
            if (p.isBlank()) {
                throw new IllegalArgumentException("an empty requirement between commas");
            }
        }
        return parts;
    }

    private static Requirement requirement(String s) {
        if (s.startsWith("!")) {
            return new Requirement(key(s.substring(1).trim(), s), Operator.NOT_EXISTS, List.of());
        }
        java.util.regex.Matcher set =
                Pattern.compile("(\\S+)\\s+(in|notin)\\s*\\((.*)\\)").matcher(s);
        if (set.matches()) {
            List<String> values = new ArrayList<>();
            for (String v : set.group(3).split(",", -1)) {
                values.add(value(v.trim(), s));
            }
            return new Requirement(
                    key(set.group(1), s), set.group(2).equals("in") ? Operator.IN : Operator.NOT_IN, values);
        }
        int ne = s.indexOf("!=");
        if (ne >= 0) {
            return new Requirement(
                    key(s.substring(0, ne).trim(), s),
                    Operator.NOT_EQUALS,
                    List.of(value(s.substring(ne + 2).trim(), s)));
        }
        int eq = s.indexOf('=');
        if (eq >= 0) {
            int valueFrom = s.startsWith("==", eq) ? eq + 2 : eq + 1;
            return new Requirement(
                    key(s.substring(0, eq).trim(), s),
                    Operator.EQUALS,
                    List.of(value(s.substring(valueFrom).trim(), s)));
        }
        if (s.contains(" ") || s.contains("(") || s.contains(">") || s.contains("<")) {
            throw new IllegalArgumentException("\"" + s + "\" is not a requirement");
        }
        return new Requirement(key(s, s), Operator.EXISTS, List.of());
    }

    private static String key(String key, String requirement) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        Optional<String> prefix = slash < 0 ? Optional.empty() : Optional.of(key.substring(0, slash));
        boolean ok = NAME.matcher(name).matches()
                && prefix.map(p -> p.length() <= 253 && PREFIX.matcher(p).matches())
                        .orElse(true);
        if (!ok) {
            throw new IllegalArgumentException("in \"" + requirement + "\", \"" + key
                    + "\" is not a label key (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_'"
                    + " or '.', starting and ending with a letter or digit)");
        }
        return key;
    }

    private static String value(String value, String requirement) {
        if (!VALUE.matcher(value).matches()) {
            throw new IllegalArgumentException("in \"" + requirement + "\", \"" + value
                    + "\" is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with"
                    + " a letter or digit)");
        }
        return value;
    }
}
