package dev.spotdrill.core.advisor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Spot Advisor data feed, parsed: the interruption {@code ranges}, and per region and operating system each
 * instance type's rating ({@code spot_advisor[region][os][type] = {s, r}}).
 *
 * <p>Immutable. {@link #typesAbove} answers the blacklister's question: which types in a region and OS have a
 * range whose maximum is above a threshold. The maxima come from the feed's own {@code ranges} (5/11/16/22/100
 * today), so a threshold of 10 includes the {@code "5-10%"} bucket, whose maximum is 11.
 */
public final class SpotAdvisorFeed {
    /** The operating systems the feed rates. */
    public static final List<String> OPERATING_SYSTEMS = List.of("Linux", "Windows");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final String globalRate;
    private final List<InterruptionRange> ranges;
    private final Map<String, JsonNode> instanceTypes;
    private final Map<String, Map<String, Map<String, TypeRating>>> ratings;

    private SpotAdvisorFeed(
            String source,
            String globalRate,
            List<InterruptionRange> ranges,
            Map<String, JsonNode> instanceTypes,
            Map<String, Map<String, Map<String, TypeRating>>> ratings) {
        this.source = source;
        this.globalRate = globalRate;
        this.ranges = List.copyOf(ranges);
        this.instanceTypes = Collections.unmodifiableMap(instanceTypes);
        this.ratings = Collections.unmodifiableMap(ratings);
    }

    /**
     * Parses the feed's JSON.
     *
     * @param json the feed's body
     * @param source where it came from (a URL), named in error messages
     * @throws MalformedSpotAdvisorFeedException naming the source, the path and the value when the JSON does not
     *     have the feed's schema
     */
    public static SpotAdvisorFeed parse(String json, String source) {
        Objects.requireNonNull(source, "source");
        JsonNode root;
        try {
            root = JSON.readTree(json == null ? "" : json);
        } catch (JsonProcessingException e) {
            throw malformed(source, "(root)", "is not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw malformed(source, "(root)", "must be a JSON object with ranges, instance_types and spot_advisor");
        }
        String globalRate = root.path("global_rate").asText("");

        JsonNode rangesNode = root.path("ranges");
        if (!rangesNode.isArray() || rangesNode.isEmpty()) {
            throw malformed(source, "ranges", "must be a non-empty array of {index, label, dots, max}");
        }
        Map<Integer, InterruptionRange> byIndex = new TreeMap<>();
        for (int i = 0; i < rangesNode.size(); i++) {
            JsonNode r = rangesNode.get(i);
            String at = "ranges[" + i + "]";
            JsonNode index = r.path("index");
            JsonNode max = r.path("max");
            if (!index.isIntegralNumber()) {
                throw malformed(source, at + ".index", "must be a whole number, was " + index);
            }
            if (!max.isNumber()) {
                throw malformed(source, at + ".max", "must be a number, was " + max);
            }
            InterruptionRange range = new InterruptionRange(
                    index.asInt(), r.path("label").asText(""), r.path("dots").asInt(0), max.asInt());
            if (byIndex.put(range.index(), range) != null) {
                throw malformed(source, at + ".index", "repeats index " + range.index());
            }
        }

        Map<String, JsonNode> types = new TreeMap<>();
        JsonNode typesNode = root.path("instance_types");
        if (!typesNode.isMissingNode() && !typesNode.isObject()) {
            throw malformed(source, "instance_types", "must be an object of type -> {emr, cores, ram_gb}");
        }
        typesNode
                .fields()
                .forEachRemaining(e -> types.put(e.getKey(), e.getValue().deepCopy()));

        JsonNode advisor = root.path("spot_advisor");
        if (!advisor.isObject()) {
            throw malformed(source, "spot_advisor", "must be an object of region -> os -> type -> {s, r}");
        }
        Map<String, Map<String, Map<String, TypeRating>>> ratings = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> regions = advisor.fields(); regions.hasNext(); ) {
            Map.Entry<String, JsonNode> region = regions.next();
            String regionAt = "spot_advisor." + region.getKey();
            if (!region.getValue().isObject()) {
                throw malformed(source, regionAt, "must be an object of os -> type -> {s, r}");
            }
            Map<String, Map<String, TypeRating>> byOs = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> oses = region.getValue().fields(); oses.hasNext(); ) {
                Map.Entry<String, JsonNode> os = oses.next();
                String osAt = regionAt + "." + os.getKey();
                if (!os.getValue().isObject()) {
                    throw malformed(source, osAt, "must be an object of type -> {s, r}");
                }
                Map<String, TypeRating> byType = new TreeMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> ts = os.getValue().fields(); ts.hasNext(); ) {
                    Map.Entry<String, JsonNode> t = ts.next();
                    String typeAt = osAt + "." + t.getKey();
                    JsonNode r = t.getValue().path("r");
                    if (!r.isIntegralNumber()) {
                        throw malformed(source, typeAt + ".r", "must be a range index, was " + r);
                    }
                    InterruptionRange range = byIndex.get(r.asInt());
                    if (range == null) {
                        throw malformed(
                                source,
                                typeAt + ".r",
                                "= " + r.asInt() + " is not an index of ranges " + byIndex.keySet());
                    }
                    byType.put(
                            t.getKey(),
                            new TypeRating(t.getKey(), t.getValue().path("s").asInt(0), range));
                }
                byOs.put(os.getKey(), Collections.unmodifiableMap(byType));
            }
            ratings.put(region.getKey(), Collections.unmodifiableMap(byOs));
        }
        return new SpotAdvisorFeed(source, globalRate, List.copyOf(byIndex.values()), types, ratings);
    }

    /** Where the feed came from, for messages. */
    public String source() {
        return source;
    }

    /** The feed's {@code global_rate}, for example {@code "<10%"}; empty when absent. */
    public String globalRate() {
        return globalRate;
    }

    /** The interruption ranges, by index. */
    public List<InterruptionRange> ranges() {
        return ranges;
    }

    /** The range with this index. */
    public Optional<InterruptionRange> range(int index) {
        return ranges.stream().filter(r -> r.index() == index).findFirst();
    }

    /** The instance types the feed describes ({@code instance_types}), sorted. */
    public SortedSet<String> instanceTypes() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(instanceTypes.keySet()));
    }

    /** The regions the feed rates, sorted. */
    public SortedSet<String> regions() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(ratings.keySet()));
    }

    /**
     * Every type's rating in a region and operating system, by type.
     *
     * @throws SpotAdvisorLookupException when the feed does not rate that region or OS
     */
    public Map<String, TypeRating> ratings(String region, String os) {
        Map<String, Map<String, TypeRating>> byOs = ratings.get(region);
        if (byOs == null) {
            throw new SpotAdvisorLookupException("region \"" + region + "\" is not in the Spot Advisor feed at "
                    + source + " (it rates " + ratings.size() + " regions, for example "
                    + String.join(", ", ratings.keySet().stream().limit(5).toList())
                    + "); use a region the feed rates, written like us-east-1");
        }
        Map<String, TypeRating> byType = byOs.get(os);
        if (byType == null) {
            throw new SpotAdvisorLookupException("operating system \"" + os + "\" is not in the Spot Advisor feed at "
                    + source + " for region " + region + " (it has " + String.join(", ", byOs.keySet())
                    + "); use one of those, spelt as the feed spells it");
        }
        return byType;
    }

    /** The rating of one type, empty when the feed does not rate it in that region and OS. */
    public Optional<TypeRating> rating(String region, String os, String instanceType) {
        return Optional.ofNullable(ratings(region, os).get(instanceType));
    }

    /**
     * The instance types in a region and OS whose interruption range has a maximum above the threshold, sorted.
     *
     * @param threshold a percentage from 0 to 100; a type is included when its range's {@code max > threshold}
     * @throws SpotDrillConfigurationException when the threshold is outside 0..100
     * @throws SpotAdvisorLookupException when the feed does not rate that region or OS
     */
    public SortedSet<String> typesAbove(String region, String os, int threshold) {
        checkThreshold(threshold);
        SortedSet<String> out = new TreeSet<>();
        ratings(region, os).forEach((type, rating) -> {
            if (rating.range().above(threshold)) {
                out.add(type);
            }
        });
        return Collections.unmodifiableSortedSet(out);
    }

    /** The ratings of {@link #typesAbove}, by type, for messages that show each type's range. */
    public Map<String, TypeRating> ratingsAbove(String region, String os, int threshold) {
        Map<String, TypeRating> out = new LinkedHashMap<>();
        typesAbove(region, os, threshold)
                .forEach(t -> out.put(t, ratings(region, os).get(t)));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Checks that a threshold is a percentage.
     *
     * @throws SpotDrillConfigurationException naming the value and the range when it is not in 0..100
     */
    public static void checkThreshold(int threshold) {
        if (threshold < 0 || threshold > 100) {
            throw new SpotDrillConfigurationException("threshold=" + threshold
                    + ": an interruption threshold is a percentage from 0 to 100; use for example threshold = 10");
        }
    }

    private static MalformedSpotAdvisorFeedException malformed(String source, String path, String problem) {
        return new MalformedSpotAdvisorFeedException("the Spot Advisor feed at " + source + " is malformed: " + path
                + " " + problem + "; point " + "spotdrill.spotAdvisor.url"
                + " at a spot-advisor-data.json with the feed's schema (default "
                + SpotAdvisorReader.DEFAULT_URL + ")");
    }

    @Override
    public String toString() {
        return "SpotAdvisorFeed[" + source + ", " + ranges.size() + " ranges, " + ratings.size() + " regions]";
    }
}
