package dev.spotdrill.lab;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * EC2's tag calls on instances, as strict as EC2: {@code CreateTags} (overwrites a key's value, at most 50 tags per
 * resource, {@code aws:} keys reserved), {@code DeleteTags} (a given value deletes the tag only when it matches; no tag
 * at all deletes every user tag) and {@code DescribeTags} (filters {@code key}, {@code value}, {@code resource-id},
 * {@code resource-type}, {@code tag:<key>}, with {@code *} and {@code ?} wildcards, and paging). The lab knows only
 * instances, so another resource id is refused as EC2 refuses an unknown one. Called holding the lab lock.
 */
final class Ec2Tags {
    static final String NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
    static final int MAX_TAGS = 50;
    private static final Pattern RESOURCE = Pattern.compile("ResourceId\\.(\\d+)");
    private static final Pattern TAG = Pattern.compile("Tag\\.(\\d+)\\.(Key|Value)");
    private static final Pattern FILTER = Pattern.compile("Filter\\.(\\d+)\\.(Name|Value\\.(\\d+))");
    private static final Pattern INSTANCE_ID = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Pattern ANY_ID = Pattern.compile("[a-z]+-[0-9a-f]{8,17}");

    private final Ec2Fleet fleet;

    Ec2Tags(Ec2Fleet fleet) {
        this.fleet = fleet;
    }

    /** The ResourceId.N parameters, in order. */
    static List<String> resourceIds(Map<String, String> params) {
        TreeMap<Integer, String> ids = new TreeMap<>();
        params.forEach((k, v) -> {
            Matcher m = RESOURCE.matcher(k);
            if (m.matches()) {
                ids.put(Integer.parseInt(m.group(1)), v);
            }
        });
        return new ArrayList<>(ids.values());
    }

    /** One Tag.N: a key and, when given, a value (null when the parameter is absent). */
    private record TagParam(String key, String value) {}

    private static List<TagParam> tagParams(Map<String, String> params) {
        TreeMap<Integer, String[]> tags = new TreeMap<>();
        params.forEach((k, v) -> {
            Matcher m = TAG.matcher(k);
            if (m.matches()) {
                String[] kv = tags.computeIfAbsent(Integer.parseInt(m.group(1)), n -> new String[2]);
                kv[m.group(2).equals("Key") ? 0 : 1] = v;
            }
        });
        List<TagParam> out = new ArrayList<>();
        for (String[] kv : tags.values()) {
            if (kv[0] == null || kv[0].isEmpty()) {
                throw new ApiError(
                        400,
                        "InvalidParameterValue",
                        "Value ( '' ) for parameter Tag key is invalid. Tag key cannot be null or empty.");
            }
            out.add(new TagParam(kv[0], kv[1]));
        }
        return out;
    }

    private List<Ec2Fleet.Instance> instances(List<String> ids) {
        if (ids.isEmpty()) {
            throw new ApiError(400, "MissingParameter", "The request must contain the parameter resourceIdSet");
        }
        List<Ec2Fleet.Instance> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String id : ids) {
            if (!ANY_ID.matcher(id).matches()) {
                throw new ApiError(400, "InvalidID", "The ID '" + id + "' is not valid");
            }
            if (!INSTANCE_ID.matcher(id).matches()) {
                // the lab has instances only: any other resource does not exist here
                throw new ApiError(400, "InvalidID", "The ID '" + id + "' is not valid");
            }
            fleet.get(id).ifPresentOrElse(out::add, () -> missing.add(id));
        }
        if (!missing.isEmpty()) {
            throw new ApiError(
                    400,
                    "InvalidInstanceID.NotFound",
                    missing.size() == 1
                            ? "The instance ID '" + missing.get(0) + "' does not exist"
                            : "The instance IDs '" + String.join(", ", missing) + "' do not exist");
        }
        return out;
    }

    private static void checkKey(String key) {
        if (key.toLowerCase(java.util.Locale.ROOT).startsWith("aws:")) {
            throw new ApiError(
                    400,
                    "InvalidParameterValue",
                    "Value ( " + key + " ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved"
                            + " for internal use");
        }
        if (key.length() > 128) {
            throw new ApiError(
                    400,
                    "InvalidParameterValue",
                    "Value ( " + key + " ) for parameter key is invalid. Tag keys can have at most 128 characters");
        }
    }

    /** CreateTags: every resource checked first, then every tag written (an existing key is overwritten). */
    String create(Map<String, String> params) {
        List<Ec2Fleet.Instance> targets = instances(resourceIds(params));
        List<TagParam> tags = tagParams(params);
        if (tags.isEmpty()) {
            throw new ApiError(400, "MissingParameter", "The request must contain the parameter tagSet");
        }
        for (TagParam t : tags) {
            checkKey(t.key());
            if (t.value() != null && t.value().length() > 256) {
                throw new ApiError(
                        400,
                        "InvalidParameterValue",
                        "Value ( " + t.value().substring(0, 20) + "... ) for parameter value is invalid. Tag values"
                                + " can have at most 256 characters");
            }
        }
        for (Ec2Fleet.Instance i : targets) {
            long added = tags.stream()
                    .map(TagParam::key)
                    .distinct()
                    .filter(k -> !i.tags.containsKey(k))
                    .count();
            if (i.tags.size() + added > MAX_TAGS) {
                throw new ApiError(
                        400,
                        "TagLimitExceeded",
                        "The maximum number of Tags for a resource has been reached (" + MAX_TAGS + " on " + i.id
                                + ")");
            }
        }
        for (Ec2Fleet.Instance i : targets) {
            for (TagParam t : tags) {
                i.tags.put(t.key(), t.value() == null ? "" : t.value());
            }
        }
        return returnTrue("CreateTagsResponse");
    }

    /** DeleteTags: a tag with a value goes only when the value matches; no tag at all deletes every user tag. */
    String delete(Map<String, String> params) {
        List<Ec2Fleet.Instance> targets = instances(resourceIds(params));
        List<TagParam> tags = tagParams(params);
        tags.forEach(t -> checkKey(t.key()));
        for (Ec2Fleet.Instance i : targets) {
            if (tags.isEmpty()) {
                i.tags.keySet().removeIf(k -> !k.startsWith("aws:"));
                continue;
            }
            for (TagParam t : tags) {
                if (t.value() == null || t.value().equals(i.tags.get(t.key()))) {
                    i.tags.remove(t.key());
                }
            }
        }
        return returnTrue("DeleteTagsResponse");
    }

    /** DescribeTags over every instance's tags, filtered and paged. */
    QueryApi.Result describe(Map<String, String> params) {
        TreeMap<Integer, String> names = new TreeMap<>();
        TreeMap<Integer, List<String>> values = new TreeMap<>();
        params.forEach((k, v) -> {
            Matcher m = FILTER.matcher(k);
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                if (m.group(2).equals("Name")) {
                    names.put(n, v);
                } else {
                    values.computeIfAbsent(n, x -> new ArrayList<>()).add(v);
                }
            }
        });
        List<Predicate<Row>> filters = new ArrayList<>();
        names.forEach((n, name) -> filters.add(filter(name, values.getOrDefault(n, List.of()))));
        Integer max = null;
        if (params.containsKey("MaxResults")) {
            try {
                max = Integer.parseInt(params.get("MaxResults"));
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 5 || max > 1000) {
                throw new ApiError(
                        400,
                        "InvalidParameterValue",
                        "Value ( " + params.get("MaxResults")
                                + " ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.");
            }
        }
        // sorted as EC2 lists them: by resource, then key
        List<Row> rows = new ArrayList<>();
        for (Ec2Fleet.Instance i : fleet.all()) {
            new TreeMap<>(i.tags).forEach((k, v) -> rows.add(new Row(i, k, v)));
        }
        rows.removeIf(r -> !filters.stream().allMatch(f -> f.test(r)));
        int from = 0;
        String token = params.get("NextToken");
        if (token != null && !token.isEmpty()) {
            try {
                from = Integer.parseInt(
                        new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8).replace("lab-tags-", ""));
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "InvalidParameterValue", "Invalid NextToken: \"" + token + "\"");
            }
        }
        int to = max == null ? rows.size() : Math.min(rows.size(), from + max);
        StringBuilder x = new StringBuilder("<DescribeTagsResponse xmlns=\"" + NS + "\">");
        x.append("<requestId>@@REQUEST_ID@@</requestId><tagSet>");
        Map<String, Boolean> resources = new LinkedHashMap<>();
        for (Row r : from >= rows.size() ? List.<Row>of() : rows.subList(from, to)) {
            resources.put(r.instance().id, true);
            x.append("<item><resourceId>")
                    .append(r.instance().id)
                    .append("</resourceId><resourceType>instance</resourceType><key>")
                    .append(Http.xml(r.key()))
                    .append("</key><value>")
                    .append(Http.xml(r.value()))
                    .append("</value></item>");
        }
        x.append("</tagSet>");
        if (to < rows.size()) {
            x.append("<nextToken>")
                    .append(Base64.getEncoder().encodeToString(("lab-tags-" + to).getBytes(StandardCharsets.UTF_8)))
                    .append("</nextToken>");
        }
        x.append("</DescribeTagsResponse>");
        return new QueryApi.Result(x.toString(), String.join(",", resources.keySet()));
    }

    /** One tag of one instance, as DescribeTags lists it. */
    private record Row(Ec2Fleet.Instance instance, String key, String value) {}

    private static Predicate<Row> filter(String name, List<String> values) {
        if (values.isEmpty()) {
            throw new ApiError(400, "InvalidParameterValue", "The filter '" + name + "' has no values");
        }
        List<Pattern> globs = values.stream().map(Ec2Api::glob).toList();
        Predicate<String> any =
                v -> v != null && globs.stream().anyMatch(g -> g.matcher(v).matches());
        if (name.startsWith("tag:")) {
            String key = name.substring(4);
            // the resource carries that tag with one of the values; the row may be any of its tags
            return r -> any.test(r.instance().tags.get(key));
        }
        return switch (name) {
            case "key" -> r -> any.test(r.key());
            case "value" -> r -> any.test(r.value());
            case "resource-id" -> r -> any.test(r.instance().id);
            case "resource-type" -> r -> any.test("instance");
            default -> throw new ApiError(400, "InvalidParameterValue", "The filter '" + name + "' is invalid");
        };
    }

    private static String returnTrue(String element) {
        return "<" + element + " xmlns=\"" + NS + "\"><requestId>@@REQUEST_ID@@</requestId><return>true</return></"
                + element + ">";
    }
}
