package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An EventBridge event pattern, parsed and validated as EventBridge does, and matched against events.
 *
 * <p>Supported: exact values (strings, numbers, booleans, null), arrays of values (any of them), nested objects
 * such as {@code {"detail":{"instance-id":[...]}}}, arrays in the event (any element may match), {@code $or}, and
 * the content filters {@code prefix}, {@code suffix}, {@code equals-ignore-case}, {@code anything-but} (values,
 * {@code prefix}, {@code suffix}), {@code exists}, {@code numeric} and {@code wildcard}. {@code cidr} is refused as
 * unsupported by the lab. A pattern EventBridge would refuse throws {@link Invalid} with a reason in EventBridge's
 * words and the place in the pattern, as {@code "Event pattern is not valid. Reason: ..."} reads on AWS.
 */
final class EventPattern {
    private static final JsonFactory JSON = new ObjectMapper().getFactory();
    private static final Pattern NUMERIC_OP = Pattern.compile("<|<=|=|>|>=");

    private final String text;
    private final Fields root;

    private EventPattern(String text, Fields root) {
        this.text = text;
        this.root = root;
    }

    /** A pattern EventBridge refuses; the message is the reason only (the API adds its own prefix). */
    static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Invalid(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * Parses and validates a pattern.
     *
     * @throws Invalid with EventBridge's reason when the pattern is not valid
     */
    static EventPattern parse(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new Invalid("Event pattern must not be empty");
        }
        try (JsonParser p = JSON.createParser(pattern)) {
            Parser parser = new Parser(p, pattern);
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw parser.error("Filter is not an object");
            }
            Fields root = parser.object();
            if (p.nextToken() != null) {
                throw parser.error("Unexpected content after the pattern's closing brace");
            }
            return new EventPattern(pattern, root);
        } catch (JsonProcessingException e) {
            JsonLocation l = e.getLocation();
            throw new Invalid(e.getOriginalMessage() + (l == null ? "" : where(pattern, l)));
        } catch (IOException e) {
            throw new Invalid(e.getMessage());
        }
    }

    /** The pattern as it was written. */
    String text() {
        return text;
    }

    /** Whether the event (a whole EventBridge event, envelope and detail) matches. */
    boolean matches(JsonNode event) {
        return root.matches(event);
    }

    private static String where(String pattern, JsonLocation l) {
        return " at [Source: (String)\"" + pattern + "\"; line: " + l.getLineNr() + ", column: " + l.getColumnNr()
                + "]";
    }

    // ------------------------------------------------------------------ parsing

    private static final class Parser {
        private final JsonParser p;
        private final String pattern;

        Parser(JsonParser p, String pattern) {
            this.p = p;
            this.pattern = pattern;
        }

        Invalid error(String reason) {
            return new Invalid(reason + where(pattern, p.currentLocation()));
        }

        /** The fields of an object whose START_OBJECT was just read. */
        Fields object() throws IOException {
            Map<String, Object> fields = new LinkedHashMap<>();
            List<List<Fields>> ors = new ArrayList<>();
            JsonToken t = p.nextToken();
            if (t == JsonToken.END_OBJECT) {
                throw error("Empty objects are not allowed");
            }
            while (t != JsonToken.END_OBJECT) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("$or")) {
                    ors.add(or());
                } else if (v == JsonToken.START_OBJECT) {
                    fields.put(name, object());
                } else if (v == JsonToken.START_ARRAY) {
                    fields.put(name, matchers());
                } else {
                    throw error("\"" + name + "\" must be an object or an array");
                }
                t = p.nextToken();
            }
            return new Fields(fields, ors);
        }

        private List<Fields> or() throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw error("Value of $or must be an array");
            }
            List<Fields> alternatives = new ArrayList<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t != JsonToken.START_OBJECT) {
                    throw error("Every element of $or must be an object");
                }
                alternatives.add(object());
            }
            if (alternatives.size() < 2) {
                throw error("$or must have at least 2 alternatives");
            }
            return alternatives;
        }

        /** The matchers of an array whose START_ARRAY was just read. */
        private List<Matcher> matchers() throws IOException {
            List<Matcher> out = new ArrayList<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t == JsonToken.START_OBJECT) {
                    out.add(filter());
                } else if (t == JsonToken.START_ARRAY) {
                    throw error("Match value must be String, number, true, false, or null");
                } else {
                    out.add(new Exact(p.readValueAsTree()));
                }
            }
            return out;
        }

        /** A content filter, {@code {"prefix": "..."}} and the like, whose START_OBJECT was just read. */
        private Matcher filter() throws IOException {
            JsonToken t = p.nextToken();
            if (t == JsonToken.END_OBJECT) {
                throw error("Empty objects are not allowed");
            }
            String type = p.currentName();
            JsonToken v = p.nextToken();
            Matcher m =
                    switch (type) {
                        case "prefix" -> new Prefix(text(v, "prefix match pattern must be a string"), false);
                        case "suffix" -> new Prefix(text(v, "suffix match pattern must be a string"), true);
                        case "equals-ignore-case" ->
                            new IgnoreCase(text(v, "equals-ignore-case match pattern must be a string"));
                        case "wildcard" -> new Wildcard(text(v, "wildcard match pattern must be a string"));
                        case "exists" -> {
                            if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE) {
                                throw error("exists match pattern must be either true or false.");
                            }
                            yield new Exists(v == JsonToken.VALUE_TRUE);
                        }
                        case "anything-but" -> anythingBut(v);
                        case "numeric" -> numeric(v);
                        case "cidr" -> throw error("cidr matching is not supported by the spotdrill lab");
                        default -> throw error("Unrecognized match type " + type);
                    };
            if (p.nextToken() != JsonToken.END_OBJECT) {
                throw error("Only one key allowed in match expression");
            }
            return m;
        }

        private String text(JsonToken v, String problem) throws IOException {
            if (v != JsonToken.VALUE_STRING) {
                throw error(problem);
            }
            return p.getText();
        }

        private Matcher anythingBut(JsonToken v) throws IOException {
            String problem = "Value of anything-but must be an array or single string/number value.";
            if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
                return new AnythingBut(List.of(new Exact(p.readValueAsTree())));
            }
            if (v == JsonToken.START_ARRAY) {
                List<Matcher> values = new ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t != JsonToken.VALUE_STRING
                            && t != JsonToken.VALUE_NUMBER_INT
                            && t != JsonToken.VALUE_NUMBER_FLOAT) {
                        throw error("Inside anything-but list, start|null|boolean is not supported.");
                    }
                    values.add(new Exact(p.readValueAsTree()));
                }
                if (values.isEmpty()) {
                    throw error(problem);
                }
                return new AnythingBut(values);
            }
            if (v == JsonToken.START_OBJECT) {
                Matcher inner = filter();
                if (!(inner instanceof Prefix) && !(inner instanceof IgnoreCase) && !(inner instanceof Wildcard)) {
                    throw error("Unsupported anything-but pattern: only prefix, suffix, equals-ignore-case and"
                            + " wildcard may be nested");
                }
                return new AnythingBut(List.of(inner));
            }
            throw error(problem);
        }

        private Matcher numeric(JsonToken v) throws IOException {
            if (v != JsonToken.START_ARRAY) {
                throw error("Value of numeric must be an array.");
            }
            List<String> ops = new ArrayList<>();
            List<BigDecimal> bounds = new ArrayList<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t != JsonToken.VALUE_STRING
                        || !NUMERIC_OP.matcher(p.getText()).matches()) {
                    throw error("Unrecognized numeric range operator: " + p.getText());
                }
                ops.add(p.getText());
                JsonToken n = p.nextToken();
                if (n != JsonToken.VALUE_NUMBER_INT && n != JsonToken.VALUE_NUMBER_FLOAT) {
                    throw error("Value of " + ops.get(ops.size() - 1) + " must be a number.");
                }
                bounds.add(p.getDecimalValue());
            }
            if (ops.isEmpty() || ops.size() > 2) {
                throw error("Value of numeric must have one or two comparisons.");
            }
            return new Numeric(ops, bounds);
        }
    }

    // ------------------------------------------------------------------ matching

    /** An object pattern: every field must match, and one alternative of every {@code $or}. */
    private record Fields(Map<String, Object> fields, List<List<Fields>> ors) {
        boolean matches(JsonNode node) {
            if (node == null || !node.isObject()) {
                return false;
            }
            for (Map.Entry<String, Object> f : fields.entrySet()) {
                JsonNode value = node.get(f.getKey());
                boolean ok = f.getValue() instanceof Fields nested
                        ? nested(nested, value)
                        : leaf(castMatchers(f.getValue()), value);
                if (!ok) {
                    return false;
                }
            }
            for (List<Fields> alternatives : ors) {
                if (alternatives.stream().noneMatch(a -> a.matches(node))) {
                    return false;
                }
            }
            return true;
        }

        private static boolean nested(Fields nested, JsonNode value) {
            if (value == null) {
                return false;
            }
            if (value.isArray()) {
                for (JsonNode e : value) {
                    if (nested.matches(e)) {
                        return true;
                    }
                }
                return false;
            }
            return nested.matches(value);
        }

        @SuppressWarnings("unchecked")
        private static List<Matcher> castMatchers(Object o) {
            return (List<Matcher>) o;
        }

        private static boolean leaf(List<Matcher> matchers, JsonNode value) {
            if (value == null || (value.isArray() && value.isEmpty())) {
                return matchers.stream().anyMatch(m -> m instanceof Exists e && !e.present);
            }
            if (value.isObject()) {
                return false;
            }
            if (value.isArray()) {
                for (JsonNode e : value) {
                    if (!e.isContainerNode() && matchers.stream().anyMatch(m -> m.test(e))) {
                        return true;
                    }
                }
                return false;
            }
            return matchers.stream().anyMatch(m -> m.test(value));
        }
    }

    /** A test of one leaf value that is present. */
    private interface Matcher {
        boolean test(JsonNode value);
    }

    private record Exact(JsonNode literal) implements Matcher {
        @Override
        public boolean test(JsonNode value) {
            if (literal.isNumber()) {
                return value.isNumber() && literal.decimalValue().compareTo(value.decimalValue()) == 0;
            }
            return literal.equals(value);
        }
    }

    private record Prefix(String affix, boolean suffix) implements Matcher {
        @Override
        public boolean test(JsonNode value) {
            return value.isTextual()
                    && (suffix ? value.asText().endsWith(affix) : value.asText().startsWith(affix));
        }
    }

    private record IgnoreCase(String expected) implements Matcher {
        @Override
        public boolean test(JsonNode value) {
            return value.isTextual()
                    && value.asText().toLowerCase(Locale.ROOT).equals(expected.toLowerCase(Locale.ROOT));
        }
    }

    private record Wildcard(String glob) implements Matcher {
        @Override
        public boolean test(JsonNode value) {
            if (!value.isTextual()) {
                return false;
            }
            StringBuilder re = new StringBuilder();
            for (int i = 0; i < glob.length(); i++) {
                char c = glob.charAt(i);
                if (c == '\\' && i + 1 < glob.length()) {
                    re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                } else if (c == '*') {
                    re.append(".*");
                } else {
                    re.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return Pattern.compile(re.toString(), Pattern.DOTALL)
                    .matcher(value.asText())
                    .matches();
        }
    }

    private record Exists(boolean present) implements Matcher {
        @Override
        public boolean test(JsonNode value) {
            return present;
        }
    }

    private record AnythingBut(List<Matcher> excluded) implements Matcher {
        @Override
        public boolean test(JsonNode value) {
            return excluded.stream().noneMatch(m -> m.test(value));
        }
    }

    private record Numeric(List<String> ops, List<BigDecimal> bounds) implements Matcher {
        @Override
        public boolean test(JsonNode value) {
            if (!value.isNumber()) {
                return false;
            }
            BigDecimal v = value.decimalValue();
            for (int i = 0; i < ops.size(); i++) {
                int c = v.compareTo(bounds.get(i));
                boolean ok =
                        switch (ops.get(i)) {
                            case "<" -> c < 0;
                            case "<=" -> c <= 0;
                            case "=" -> c == 0;
                            case ">" -> c > 0;
                            default -> c >= 0;
                        };
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    public String toString() {
        return "EventPattern" + text;
    }
}
