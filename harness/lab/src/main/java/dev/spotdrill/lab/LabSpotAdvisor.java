package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The lab's Spot Advisor data: what its {@code spot-advisor-data.json} says, per region and operating system, of
 * each instance type's interruption range and savings.
 *
 * <p>It is built from the scenario: every instance type the scenario uses is rated in the scenario's region for
 * Linux and Windows, range 0 ({@code "<5%"}) unless the scenario's {@code spotAdvisor:} section says otherwise:
 *
 * <pre>{@code
 * spotAdvisor:
 *   us-east-1:
 *     Linux:   { c5.large: 2, m5a.large: { r: 1, s: 61 } }   # r: range index 0..4; s: savings percent
 *     Windows: { m5.large: 2 }
 * }</pre>
 *
 * <p>{@link #set} changes a rating while the lab runs. The ranges are the real feed's: maxima 5, 11, 16, 22 and
 * 100. Thread-safe.
 */
public final class LabSpotAdvisor {
    /** The path the feed is served at, as on S3. */
    public static final String PATH = "/spot-advisor-data.json";
    /** The operating systems the feed rates. */
    public static final List<String> OPERATING_SYSTEMS = List.of("Linux", "Windows");
    /** The real feed's ranges: index, label, dots, max. */
    static final List<Object[]> RANGES = List.of(
            new Object[] {0, "<5%", 0, 5},
            new Object[] {1, "5-10%", 1, 11},
            new Object[] {2, "10-15%", 2, 16},
            new Object[] {3, "15-20%", 3, 22},
            new Object[] {4, ">20%", 4, 100});

    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d");
    private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z][a-z0-9-]*\\.[a-z0-9]+");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** region -> os -> type -> {r, s}. */
    private final Map<String, Map<String, Map<String, int[]>>> data = new TreeMap<>();

    private volatile URI url;

    private LabSpotAdvisor() {}

    /**
     * The data for a scenario: its {@code spotAdvisor:} section, and range 0 for every other type it uses.
     *
     * @throws SpotDrillConfigurationException naming the path, the value and the fix when the section is invalid
     */
    public static LabSpotAdvisor of(Scenario scenario) {
        LabSpotAdvisor a = new LabSpotAdvisor();
        for (Scenario.InstanceSpec i : scenario.instances()) {
            for (String os : OPERATING_SYSTEMS) {
                a.put(scenario.region(), os, i.type(), 0, defaultSavings(i.type(), os));
            }
        }
        scenario.extra("spotAdvisor").ifPresent(section -> a.read(section, scenario.source()));
        return a;
    }

    private void read(JsonNode section, String source) {
        if (!section.isObject()) {
            throw fail(source, "spotAdvisor", section.toString(), "must be a mapping of region -> OS -> type -> range");
        }
        for (Iterator<Map.Entry<String, JsonNode>> regions = section.fields(); regions.hasNext(); ) {
            Map.Entry<String, JsonNode> region = regions.next();
            String at = "spotAdvisor." + region.getKey();
            if (!REGION.matcher(region.getKey()).matches()) {
                throw fail(source, at, region.getKey(), "is not an AWS region name; write it like us-east-1");
            }
            if (!region.getValue().isObject()) {
                throw fail(source, at, region.getValue().toString(), "must be a mapping of Linux/Windows -> types");
            }
            for (Iterator<Map.Entry<String, JsonNode>> oses = region.getValue().fields(); oses.hasNext(); ) {
                Map.Entry<String, JsonNode> os = oses.next();
                String osAt = at + "." + os.getKey();
                if (!OPERATING_SYSTEMS.contains(os.getKey())) {
                    throw fail(source, osAt, os.getKey(), "is not an OS the feed rates; use Linux or Windows");
                }
                if (!os.getValue().isObject()) {
                    throw fail(source, osAt, os.getValue().toString(), "must be a mapping of instance type -> range");
                }
                for (Iterator<Map.Entry<String, JsonNode>> types = os.getValue().fields(); types.hasNext(); ) {
                    Map.Entry<String, JsonNode> t = types.next();
                    String typeAt = osAt + "." + t.getKey();
                    if (!INSTANCE_TYPE.matcher(t.getKey()).matches()) {
                        throw fail(source, typeAt, t.getKey(), "is not an instance type; write it like m5.large");
                    }
                    JsonNode v = t.getValue();
                    JsonNode r = v.isObject() ? v.path("r") : v;
                    if (!r.isIntegralNumber() || r.asInt() < 0 || r.asInt() >= RANGES.size()) {
                        throw fail(
                                source,
                                typeAt + (v.isObject() ? ".r" : ""),
                                r.asText(),
                                "must be a range index from 0 to 4 (0 \"<5%\", 1 \"5-10%\", 2 \"10-15%\", 3 \"15-20%\","
                                        + " 4 \">20%\")");
                    }
                    int s = defaultSavings(t.getKey(), os.getKey());
                    if (v.isObject() && !v.path("s").isMissingNode()) {
                        JsonNode sn = v.path("s");
                        if (!sn.isIntegralNumber() || sn.asInt() < 0 || sn.asInt() > 100) {
                            throw fail(source, typeAt + ".s", sn.asText(), "must be a savings percent from 0 to 100");
                        }
                        s = sn.asInt();
                    }
                    put(region.getKey(), os.getKey(), t.getKey(), r.asInt(), s);
                }
            }
        }
    }

    private synchronized void put(String region, String os, String type, int r, int s) {
        data.computeIfAbsent(region, k -> new TreeMap<>())
                .computeIfAbsent(os, k -> new TreeMap<>())
                .put(type, new int[] {r, s});
    }

    /**
     * Rates an instance type in a region and OS, at once and while the lab runs; the next fetch of the feed shows
     * it.
     *
     * @param rangeIndex 0 {@code "<5%"}, 1 {@code "5-10%"} (max 11), 2 {@code "10-15%"}, 3 {@code "15-20%"}, 4
     *     {@code ">20%"}
     * @throws SpotDrillConfigurationException naming the value and the fix when an argument is invalid
     */
    public void set(String region, String os, String instanceType, int rangeIndex) {
        if (region == null || !REGION.matcher(region).matches()) {
            throw new SpotDrillConfigurationException(
                    "spotAdvisor().set: region \"" + region + "\" is not an AWS region name; write it like us-east-1");
        }
        if (!OPERATING_SYSTEMS.contains(os)) {
            throw new SpotDrillConfigurationException(
                    "spotAdvisor().set: os \"" + os + "\" is not an OS the feed rates; use Linux or Windows");
        }
        if (instanceType == null || !INSTANCE_TYPE.matcher(instanceType).matches()) {
            throw new SpotDrillConfigurationException("spotAdvisor().set: instance type \"" + instanceType
                    + "\" is not an instance type; write it like m5.large");
        }
        if (rangeIndex < 0 || rangeIndex >= RANGES.size()) {
            throw new SpotDrillConfigurationException("spotAdvisor().set: range index " + rangeIndex
                    + " must be from 0 to 4 (0 \"<5%\", 1 \"5-10%\", 2 \"10-15%\", 3 \"15-20%\", 4 \">20%\")");
        }
        synchronized (this) {
            int[] old = data.getOrDefault(region, Map.of())
                    .getOrDefault(os, Map.of())
                    .get(instanceType);
            put(region, os, instanceType, rangeIndex, old == null ? defaultSavings(instanceType, os) : old[1]);
        }
    }

    /** The range index the feed gives a type, empty when it does not rate it there. */
    public synchronized OptionalInt rangeIndex(String region, String os, String instanceType) {
        int[] v = data.getOrDefault(region, Map.of()).getOrDefault(os, Map.of()).get(instanceType);
        return v == null ? OptionalInt.empty() : OptionalInt.of(v[0]);
    }

    /** The types rated in a region and OS, with their range index, sorted by type. */
    public synchronized Map<String, Integer> ratings(String region, String os) {
        Map<String, Integer> out = new TreeMap<>();
        data.getOrDefault(region, Map.of()).getOrDefault(os, Map.of()).forEach((t, v) -> out.put(t, v[0]));
        return out;
    }

    /** The feed's URL, once the lab serves it. */
    public URI url() {
        return Objects.requireNonNull(url, "the lab does not serve the feed yet");
    }

    void url(URI url) {
        this.url = url;
    }

    /** The feed as the lab serves it now: {@code global_rate}, {@code instance_types}, {@code ranges}, {@code spot_advisor}. */
    public String json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("global_rate", "<10%");
        ObjectNode types = root.putObject("instance_types");
        ObjectNode advisor = JSON.createObjectNode();
        synchronized (this) {
            TreeMap<String, Boolean> allTypes = new TreeMap<>();
            data.forEach((region, byOs) -> {
                ObjectNode r = advisor.putObject(region);
                byOs.forEach((os, byType) -> {
                    ObjectNode o = r.putObject(os);
                    byType.forEach((type, v) -> {
                        ObjectNode t = o.putObject(type);
                        t.put("s", v[1]);
                        t.put("r", v[0]);
                        allTypes.put(type, true);
                    });
                });
            });
            allTypes.keySet().forEach(t -> describe(types.putObject(t), t));
        }
        var ranges = root.putArray("ranges");
        for (Object[] r : RANGES) {
            ObjectNode n = ranges.addObject();
            n.put("index", (Integer) r[0]);
            n.put("label", (String) r[1]);
            n.put("dots", (Integer) r[2]);
            n.put("max", (Integer) r[3]);
        }
        root.set("spot_advisor", advisor);
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code instance_types[type]}: cores and RAM from the size and family, EMR support except for burstables. */
    private static void describe(ObjectNode node, String type) {
        String family = type.substring(0, type.indexOf('.'));
        String size = type.substring(type.indexOf('.') + 1);
        int cores;
        switch (size) {
            case "nano", "micro", "small", "medium", "large" -> cores = 2;
            case "xlarge" -> cores = 4;
            case "metal" -> cores = 96;
            default -> {
                int n = 1;
                try {
                    n = Integer.parseInt(size.replace("xlarge", ""));
                } catch (NumberFormatException e) {
                    // an unusual size: keep 1
                }
                cores = 4 * n;
            }
        }
        double perCore =
                switch (family.charAt(0)) {
                    case 'c' -> 2;
                    case 'r', 'x' -> 8;
                    default -> 4;
                };
        double ram =
                switch (size) {
                    case "nano" -> 0.5;
                    case "micro" -> 1;
                    case "small" -> 2;
                    case "medium" -> 4;
                    default -> cores * perCore;
                };
        node.put("emr", family.charAt(0) != 't');
        node.put("cores", cores);
        node.put("ram_gb", ram);
    }

    private static int defaultSavings(String type, String os) {
        int h = 0;
        for (byte b : (type + "/" + os).getBytes(StandardCharsets.UTF_8)) {
            h = 31 * h + b;
        }
        return 50 + Math.floorMod(h, 40);
    }

    private static SpotDrillConfigurationException fail(String source, String path, String value, String problem) {
        return new SpotDrillConfigurationException(
                "scenario " + source + ": " + path + " = \"" + value + "\" " + problem);
    }

    @Override
    public synchronized String toString() {
        return "LabSpotAdvisor[" + data.keySet() + "]";
    }
}
