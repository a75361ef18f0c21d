package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A lab scenario: region and account, the EC2 instances (some backing Kubernetes nodes), IAM roles and the pace.
 *
 * <p>Read from YAML with {@link #load(String)} or {@link #parse(String)}; {@link #shop()} is the built-in one.
 * Top-level sections this class does not know (workloads, responders...) are kept in {@link #raw()} for the
 * components that read them.
 *
 * @param name the scenario's name
 * @param source where it was read from, for error messages
 * @param region the AWS region, for example {@code us-east-1}
 * @param account the 12-digit account id
 * @param pace the pace the scenario asks for, if any
 * @param replaceInterrupted whether a terminated Spot instance is replaced by a new one, as an ASG would
 * @param replacementDelay world time from termination to the replacement running
 * @param instances the instances, with {@code count} expanded and every id set
 * @param roles IAM role names that exist from the start (they trust {@code fis.amazonaws.com})
 * @param raw the whole parsed YAML tree
 */
public record Scenario(
        String name,
        String source,
        String region,
        String account,
        OptionalDouble pace,
        boolean replaceInterrupted,
        Duration replacementDelay,
        List<InstanceSpec> instances,
        List<String> roles,
        JsonNode raw) {

    static final String RESOURCE_DIR = "dev/spotdrill/lab/scenarios/";
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d");
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");
    private static final Pattern INSTANCE_ID = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z][a-z0-9-]*\\.[a-z0-9]+");
    private static final Pattern ROLE_NAME = Pattern.compile("[\\w+=,.@-]{1,64}");
    private static final Pattern NODE_NAME =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Set<String> INSTANCE_KEYS =
            Set.of("id", "type", "zone", "lifecycle", "state", "interruptionBehavior", "tags", "count", "node");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ThreadLocal<Integer> EXTENDS_DEPTH = ThreadLocal.withInitial(() -> 0);

    public Scenario {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(pace, "pace");
        Objects.requireNonNull(replacementDelay, "replacementDelay");
        instances = List.copyOf(instances);
        roles = List.copyOf(roles);
        raw = raw == null ? MissingNode.getInstance() : raw;
    }

    /** The built-in {@code shop} scenario: a small EKS-like cluster of Spot nodes in us-east-1. */
    public static Scenario shop() {
        return load("shop");
    }

    /**
     * Loads a scenario by name: a classpath resource first (also {@code dev/spotdrill/lab/scenarios/<name>.yaml},
     * so {@code "shop"} and {@code "fleet"} work), then a file path.
     *
     * @throws SpotDrillConfigurationException when nothing is found or the scenario is invalid
     */
    public static Scenario load(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            throw new SpotDrillConfigurationException(
                    "scenario name must not be blank; use a built-in name such as \"shop\" or a YAML file path");
        }
        String n = nameOrPath.trim();
        List<String> candidates = new ArrayList<>();
        candidates.add(n.startsWith("/") ? n.substring(1) : n);
        String bare = n.endsWith(".yaml") || n.endsWith(".yml") ? n : n + ".yaml";
        candidates.add(RESOURCE_DIR + bare);
        ClassLoader cl = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                .orElse(Scenario.class.getClassLoader());
        for (String c : candidates) {
            InputStream in = cl.getResourceAsStream(c);
            if (in == null) {
                in = Scenario.class.getClassLoader().getResourceAsStream(c);
            }
            if (in != null) {
                try (InputStream stream = in) {
                    return parse(new String(stream.readAllBytes(), StandardCharsets.UTF_8), "classpath:" + c);
                } catch (IOException e) {
                    throw new SpotDrillConfigurationException("scenario classpath:" + c + " cannot be read: " + e);
                }
            }
        }
        Path file = Path.of(n);
        if (Files.isRegularFile(file)) {
            try {
                return parse(Files.readString(file), file.toString());
            } catch (IOException e) {
                throw new SpotDrillConfigurationException("scenario file " + file + " cannot be read: " + e);
            }
        }
        throw new SpotDrillConfigurationException("scenario \"" + n + "\" not found: looked for classpath resources "
                + candidates + " and the file " + file.toAbsolutePath()
                + "; use a built-in name (shop, fleet), a classpath resource or an existing YAML file");
    }

    /**
     * Parses a scenario from YAML text.
     *
     * @throws SpotDrillConfigurationException naming the path, the value and the fix when the scenario is invalid
     */
    public static Scenario parse(String yaml) {
        return parse(yaml, "<inline>");
    }

    /**
     * Parses a scenario from YAML text read from {@code source} (named in error messages). A scenario may start from
     * another with {@code extends: <name or path>} (loaded as {@link #load} does): its own keys then override the
     * base's, mappings merged key by key and lists replaced whole, for example
     * {@code responders: { fargateOrchestrator: { recovery: { cooldown: 10m } } }} changes one setting of the base.
     */
    public static Scenario parse(String yaml, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml == null ? "" : yaml);
        } catch (JsonProcessingException e) {
            throw new SpotDrillConfigurationException(
                    "scenario " + source + " is not valid YAML: " + e.getOriginalMessage() + " at line "
                            + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()));
        }
        if (root != null && root.isObject() && root.has("extends")) {
            JsonNode base = root.get("extends");
            if (!base.isTextual() || base.asText().isBlank()) {
                throw new SpotDrillConfigurationException("scenario " + source + ": extends is " + base
                        + "; name the scenario it builds on, e.g. extends: shop");
            }
            if (EXTENDS_DEPTH.get() >= 8) {
                throw new SpotDrillConfigurationException("scenario " + source + ": extends " + base.asText()
                        + " goes more than 8 scenarios deep (a cycle?); let a scenario extend one that does not"
                        + " extend it back");
            }
            JsonNode merged;
            EXTENDS_DEPTH.set(EXTENDS_DEPTH.get() + 1);
            try {
                merged = load(base.asText()).raw().deepCopy();
            } finally {
                EXTENDS_DEPTH.set(EXTENDS_DEPTH.get() - 1);
            }
            com.fasterxml.jackson.databind.node.ObjectNode own =
                    ((com.fasterxml.jackson.databind.node.ObjectNode) root).deepCopy();
            own.remove("extends");
            root = merge(merged, own);
        }
        return new Parser(source).scenario(dev.spotdrill.lab.kube.ClusterGenerator.expand(root));
    }

    /** The base with the override's keys: mappings merged key by key, anything else replaced. */
    private static JsonNode merge(JsonNode base, JsonNode override) {
        if (!base.isObject() || !override.isObject()) {
            return override;
        }
        com.fasterxml.jackson.databind.node.ObjectNode out = (com.fasterxml.jackson.databind.node.ObjectNode) base;
        override.fields().forEachRemaining(e -> {
            JsonNode mine = out.get(e.getKey());
            out.set(e.getKey(), mine == null ? e.getValue() : merge(mine, e.getValue()));
        });
        return out;
    }

    /** The raw YAML of a top-level section this class does not model, such as {@code workloads}. */
    public Optional<JsonNode> extra(String section) {
        JsonNode n = raw.path(section);
        return n.isMissingNode() || n.isNull() ? Optional.empty() : Optional.of(n);
    }

    /** The instance with the given id. */
    public Optional<InstanceSpec> instance(String id) {
        return instances.stream().filter(i -> i.id().equals(id)).findFirst();
    }

    /**
     * One EC2 instance of a scenario.
     *
     * @param id the instance id, {@code i-} and 8 to 17 hex digits
     * @param type the instance type, for example {@code m5.large}
     * @param zone the availability zone, in the scenario's region
     * @param lifecycle {@code spot} or {@code on-demand}
     * @param state {@code running} or {@code stopped}
     * @param interruptionBehavior {@code terminate}, {@code stop} or {@code hibernate}
     * @param tags the EC2 tags
     * @param node the Kubernetes node this instance backs, if any
     */
    public record InstanceSpec(
            String id,
            String type,
            String zone,
            String lifecycle,
            String state,
            String interruptionBehavior,
            Map<String, String> tags,
            Optional<NodeSpec> node) {
        public InstanceSpec {
            if (id == null || !INSTANCE_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("instance id \"" + id + "\" must be i- and 8 or 17 hex digits");
            }
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(zone, "zone");
            if (!Set.of("spot", "on-demand").contains(lifecycle)) {
                throw new IllegalArgumentException("lifecycle \"" + lifecycle + "\" must be spot or on-demand");
            }
            if (!Set.of("running", "stopped").contains(state)) {
                throw new IllegalArgumentException("state \"" + state + "\" must be running or stopped");
            }
            if (!Set.of("terminate", "stop", "hibernate").contains(interruptionBehavior)) {
                throw new IllegalArgumentException(
                        "interruptionBehavior \"" + interruptionBehavior + "\" must be terminate, stop or hibernate");
            }
            tags = Map.copyOf(tags);
            Objects.requireNonNull(node, "node");
        }

        /** Whether this is a Spot instance. */
        public boolean spot() {
            return lifecycle.equals("spot");
        }
    }

    /**
     * The Kubernetes node an instance backs.
     *
     * @param name the node name, for example {@code ip-10-0-1-11.ec2.internal}
     * @param labels the node's own labels (the lab adds the standard EKS ones where they are missing)
     * @param raw the whole {@code node:} YAML, for fields other components read (taints, for example)
     */
    public record NodeSpec(String name, Map<String, String> labels, JsonNode raw) {
        public NodeSpec {
            Objects.requireNonNull(name, "name");
            labels = Map.copyOf(labels);
            raw = raw == null ? MissingNode.getInstance() : raw;
        }
    }

    /** Walks the YAML tree and reports the first problem with its path. */
    private static final class Parser {
        private final String source;

        Parser(String source) {
            this.source = source;
        }

        Scenario scenario(JsonNode root) {
            if (root == null || root.isMissingNode() || root.isNull()) {
                throw fail("(root)", "", "the scenario is empty", "give at least region, account and instances");
            }
            if (!root.isObject()) {
                throw fail("(root)", root.toString(), "must be a mapping", "write keys such as region: us-east-1");
            }
            String name = optText(root, "name", "name").orElseGet(this::defaultName);
            String region = text(root, "region", "region", "write a region such as region: us-east-1");
            if (!REGION.matcher(region).matches()) {
                throw fail("region", region, "is not an AWS region name", "write it like us-east-1");
            }
            JsonNode acc = root.path("account");
            String account = acc.isNumber() ? acc.asText() : acc.isTextual() ? acc.asText() : null;
            if (account == null || !ACCOUNT.matcher(account).matches()) {
                throw fail(
                        "account",
                        acc.isMissingNode() ? "" : acc.asText(),
                        "must be a 12-digit AWS account id",
                        "write it quoted, like account: \"123456789012\"");
            }
            OptionalDouble pace = OptionalDouble.empty();
            JsonNode p = root.path("pace");
            if (!p.isMissingNode() && !p.isNull()) {
                if (!p.isNumber() || !(p.asDouble() > 0) || Double.isInfinite(p.asDouble())) {
                    throw fail("pace", p.asText(), "must be a positive number", "write it like pace: 60");
                }
                pace = OptionalDouble.of(p.asDouble());
            }
            boolean replace = bool(root, "replaceInterrupted", false);
            Duration replacementDelay = Duration.ofMinutes(1);
            Optional<String> rd = optText(root, "replacementDelay", "replacementDelay");
            if (rd.isPresent()) {
                try {
                    replacementDelay = Duration.parse(rd.get());
                } catch (DateTimeParseException e) {
                    throw fail("replacementDelay", rd.get(), "is not an ISO-8601 duration", "write it like PT1M");
                }
                if (replacementDelay.isNegative()) {
                    throw fail("replacementDelay", rd.get(), "must not be negative", "write it like PT1M");
                }
            }
            List<InstanceSpec> instances = instances(root.path("instances"), name, region);
            List<String> roles = roles(root.path("roles"));
            return new Scenario(name, source, region, account, pace, replace, replacementDelay, instances, roles, root);
        }

        private String defaultName() {
            String s = source.substring(source.lastIndexOf('/') + 1);
            return s.replaceAll("\\.ya?ml$", "").replace("<inline>", "inline");
        }

        private List<InstanceSpec> instances(JsonNode list, String scenarioName, String region) {
            if (list.isMissingNode() || list.isNull()) {
                throw fail("instances", "", "is missing", "list the EC2 instances under instances:");
            }
            if (!list.isArray()) {
                throw fail("instances", list.toString(), "must be a list", "write each instance as \"- id: ...\"");
            }
            List<InstanceSpec> out = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            Set<String> nodeNames = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String at = "instances[" + i + "]";
                JsonNode in = list.get(i);
                if (!in.isObject()) {
                    throw fail(at, in.toString(), "must be a mapping", "give at least type and zone");
                }
                for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!INSTANCE_KEYS.contains(k)) {
                        throw fail(
                                at + "." + k,
                                in.get(k).toString(),
                                "is not a known instance field",
                                "use only " + new java.util.TreeSet<>(INSTANCE_KEYS));
                    }
                }
                Optional<String> id = optText(in, "id", at + ".id");
                if (id.isPresent() && !INSTANCE_ID.matcher(id.get()).matches()) {
                    throw fail(
                            at + ".id",
                            id.get(),
                            "is not an EC2 instance id",
                            "write i- and 8 to 17 lower-case hex digits, like i-0c0ffee0000000a01, or omit it");
                }
                String type = text(in, "type", at + ".type", "write an instance type such as m5.large");
                if (!INSTANCE_TYPE.matcher(type).matches()) {
                    throw fail(at + ".type", type, "is not an instance type", "write it like m5.large");
                }
                String zone = text(in, "zone", at + ".zone", "write a zone of " + region + " such as " + region + "a");
                if (!zone.matches(Pattern.quote(region) + "[a-z]")) {
                    throw fail(
                            at + ".zone",
                            zone,
                            "is not an availability zone of region " + region,
                            "use a zone such as " + region + "a");
                }
                String lifecycle = oneOf(in, "lifecycle", at, "spot", List.of("spot", "on-demand"));
                String state = oneOf(in, "state", at, "running", List.of("running", "stopped"));
                String behaviour =
                        oneOf(in, "interruptionBehavior", at, "terminate", List.of("terminate", "stop", "hibernate"));
                Map<String, String> tags = stringMap(in.path("tags"), at + ".tags");
                int count = 1;
                JsonNode c = in.path("count");
                if (!c.isMissingNode()) {
                    if (!c.canConvertToInt() || !c.isIntegralNumber() || c.asInt() < 1 || c.asInt() > 1000) {
                        throw fail(
                                at + ".count",
                                c.asText(),
                                "must be a whole number from 1 to 1000",
                                "write it like count: 3");
                    }
                    count = c.asInt();
                }
                Optional<NodeSpec> node = node(in.path("node"), at + ".node");
                for (int k = 0; k < count; k++) {
                    String iid = id.isPresent()
                            ? (k == 0 ? id.get() : increment(id.get(), k))
                            : generatedId(scenarioName, out.size());
                    if (!ids.add(iid)) {
                        throw fail(
                                at + ".id", iid, "is used by more than one instance", "give each instance its own id");
                    }
                    Optional<NodeSpec> n = node;
                    if (node.isPresent() && count > 1) {
                        NodeSpec ns = node.get();
                        n = Optional.of(new NodeSpec(ns.name() + "-" + (k + 1), ns.labels(), ns.raw()));
                    }
                    if (n.isPresent() && !nodeNames.add(n.get().name())) {
                        throw fail(
                                at + ".node.name",
                                n.get().name(),
                                "is used by more than one node",
                                "give each node its own name");
                    }
                    out.add(new InstanceSpec(iid, type, zone, lifecycle, state, behaviour, tags, n));
                }
            }
            return out;
        }

        private Optional<NodeSpec> node(JsonNode n, String at) {
            if (n.isMissingNode() || n.isNull()) {
                return Optional.empty();
            }
            if (!n.isObject()) {
                throw fail(
                        at,
                        n.toString(),
                        "must be a mapping",
                        "write it like node: { name: ip-10-0-1-11.ec2.internal }");
            }
            String name = text(n, "name", at + ".name", "write a node name such as ip-10-0-1-11.ec2.internal");
            if (name.length() > 253 || !NODE_NAME.matcher(name).matches()) {
                throw fail(
                        at + ".name",
                        name,
                        "is not a valid Kubernetes node name",
                        "use lower-case letters, digits, '-' and '.', like ip-10-0-1-11.ec2.internal");
            }
            return Optional.of(new NodeSpec(name, stringMap(n.path("labels"), at + ".labels"), n));
        }

        private List<String> roles(JsonNode list) {
            List<String> out = new ArrayList<>();
            if (list.isMissingNode() || list.isNull()) {
                return out;
            }
            if (!list.isArray()) {
                throw fail("roles", list.toString(), "must be a list of role names", "write it like roles: [fis-role]");
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode r = list.get(i);
                if (!r.isTextual() || !ROLE_NAME.matcher(r.asText()).matches()) {
                    throw fail(
                            "roles[" + i + "]",
                            r.asText(),
                            "is not an IAM role name",
                            "use 1 to 64 letters, digits or +=,.@_-");
                }
                out.add(r.asText());
            }
            return out;
        }

        private String oneOf(JsonNode in, String key, String at, String dflt, List<String> allowed) {
            Optional<String> v = optText(in, key, at + "." + key);
            if (v.isEmpty()) {
                return dflt;
            }
            if (!allowed.contains(v.get())) {
                throw fail(at + "." + key, v.get(), "is not allowed", "use one of " + String.join(", ", allowed));
            }
            return v.get();
        }

        private Map<String, String> stringMap(JsonNode m, String at) {
            Map<String, String> out = new LinkedHashMap<>();
            if (m.isMissingNode() || m.isNull()) {
                return out;
            }
            if (!m.isObject()) {
                throw fail(at, m.toString(), "must be a mapping of names to values", "write it like { team: shop }");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw fail(
                            at + "." + e.getKey(),
                            e.getValue().toString(),
                            "must be a plain value",
                            "quote it, like \"true\"");
                }
                out.put(e.getKey(), e.getValue().asText());
            }
            return out;
        }

        private boolean bool(JsonNode root, String key, boolean dflt) {
            JsonNode b = root.path(key);
            if (b.isMissingNode() || b.isNull()) {
                return dflt;
            }
            if (!b.isBoolean()) {
                throw fail(key, b.asText(), "must be true or false", "write " + key + ": true");
            }
            return b.asBoolean();
        }

        private Optional<String> optText(JsonNode in, String key, String path) {
            JsonNode v = in.path(key);
            if (v.isMissingNode() || v.isNull()) {
                return Optional.empty();
            }
            if (!v.isValueNode()) {
                throw fail(path, v.toString(), "must be a plain value", "write it as text");
            }
            return Optional.of(v.asText().trim());
        }

        private String text(JsonNode in, String key, String path, String fix) {
            JsonNode v = in.path(key);
            if (v.isMissingNode() || v.isNull() || v.asText().isBlank()) {
                throw fail(path, "", "is missing", fix);
            }
            if (!v.isValueNode()) {
                throw fail(path, v.toString(), "must be a plain value", fix);
            }
            return v.asText().trim();
        }

        private SpotDrillConfigurationException fail(String path, String value, String problem, String fix) {
            return new SpotDrillConfigurationException(
                    "scenario " + source + ": " + path + " = \"" + value + "\" " + problem + "; " + fix);
        }
    }

    static String generatedId(String scenarioName, int index) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((scenarioName + "#" + index).getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder("i-0");
            for (int i = 0; sb.length() < 19; i++) {
                sb.append(String.format("%02x", h[i]));
            }
            return sb.substring(0, 19);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String increment(String id, int k) {
        String hex = id.substring(2);
        String next = new BigInteger(hex, 16).add(BigInteger.valueOf(k)).toString(16);
        if (next.length() > 17) {
            throw new SpotDrillConfigurationException(
                    "instance id " + id + " + " + k + " overflows 17 hex digits;" + " choose a smaller id or omit it");
        }
        StringBuilder padded = new StringBuilder(next);
        while (padded.length() < hex.length()) {
            padded.insert(0, '0');
        }
        return "i-" + padded;
    }
}
