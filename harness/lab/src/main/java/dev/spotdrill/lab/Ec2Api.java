package dev.spotdrill.lab;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * EC2 (query protocol, Version 2016-11-15): DescribeInstances with ids, filters and pagination; CreateTags, DeleteTags
 * and DescribeTags on instances (see {@link Ec2Tags}).
 */
final class Ec2Api extends QueryApi {
    private static final String NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private static final Pattern ID = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Pattern INDEXED =
            Pattern.compile("(InstanceId|Filter)\\.(\\d+)(?:\\.(Name|Value)(?:\\.(\\d+))?)?");

    private final Ec2Fleet fleet;
    private final Ec2Tags tags;

    Ec2Api(LabContext ctx, Ec2Fleet fleet) {
        super(ctx, "ec2", "2016-11-15");
        this.fleet = fleet;
        this.tags = new Ec2Tags(fleet);
    }

    @Override
    Result dispatch(String action, Map<String, String> params) {
        return switch (action) {
            case "DescribeInstances" -> describeInstances(params);
            case "CreateTags" -> new Result(tags.create(params), String.join(",", Ec2Tags.resourceIds(params)));
            case "DeleteTags" -> new Result(tags.delete(params), String.join(",", Ec2Tags.resourceIds(params)));
            case "DescribeTags" -> tags.describe(params);
            default -> throw unknownAction(action);
        };
    }

    private Result describeInstances(Map<String, String> params) {
        TreeMap<Integer, String> ids = new TreeMap<>();
        TreeMap<Integer, String> filterNames = new TreeMap<>();
        TreeMap<Integer, TreeMap<Integer, String>> filterValues = new TreeMap<>();
        for (Map.Entry<String, String> e : params.entrySet()) {
            var m = INDEXED.matcher(e.getKey());
            if (!m.matches()) {
                continue;
            }
            int n = Integer.parseInt(m.group(2));
            if (m.group(1).equals("InstanceId") && m.group(3) == null) {
                ids.put(n, e.getValue());
            } else if ("Name".equals(m.group(3))) {
                filterNames.put(n, e.getValue());
            } else if ("Value".equals(m.group(3)) && m.group(4) != null) {
                filterValues.computeIfAbsent(n, k -> new TreeMap<>()).put(Integer.parseInt(m.group(4)), e.getValue());
            }
        }
        Integer maxResults = null;
        if (params.containsKey("MaxResults")) {
            if (!ids.isEmpty()) {
                throw new ApiError(
                        400,
                        "InvalidParameterCombination",
                        "The parameter instancesSet cannot be used with the parameter maxResults");
            }
            try {
                maxResults = Integer.parseInt(params.get("MaxResults"));
            } catch (NumberFormatException e) {
                maxResults = -1;
            }
            if (maxResults < 5 || maxResults > 1000) {
                throw new ApiError(
                        400,
                        "InvalidParameterValue",
                        "Value ( " + params.get("MaxResults")
                                + " ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.");
            }
        }
        for (String id : ids.values()) {
            if (!ID.matcher(id).matches()) {
                throw new ApiError(400, "InvalidInstanceID.Malformed", "Invalid id: \"" + id + "\"");
            }
        }
        List<String> missing = ids.values().stream()
                .filter(id -> fleet.get(id).isEmpty())
                .distinct()
                .toList();
        if (!missing.isEmpty()) {
            throw new ApiError(
                    400,
                    "InvalidInstanceID.NotFound",
                    missing.size() == 1
                            ? "The instance ID '" + missing.get(0) + "' does not exist"
                            : "The instance IDs '" + String.join(", ", missing) + "' do not exist");
        }
        List<Predicate<Ec2Fleet.Instance>> filters = new ArrayList<>();
        for (Map.Entry<Integer, String> f : filterNames.entrySet()) {
            List<String> values = new ArrayList<>(
                    filterValues.getOrDefault(f.getKey(), new TreeMap<>()).values());
            filters.add(filter(f.getValue(), values));
        }
        List<Ec2Fleet.Instance> matching = new ArrayList<>();
        for (Ec2Fleet.Instance i : fleet.all()) {
            if ((ids.isEmpty() || ids.containsValue(i.id)) && filters.stream().allMatch(p -> p.test(i))) {
                matching.add(i);
            }
        }
        int from = 0;
        String token = params.get("NextToken");
        if (token != null && !token.isEmpty()) {
            try {
                from = Integer.parseInt(
                        new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8).replace("lab-page-", ""));
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "InvalidParameterValue", "Invalid NextToken: \"" + token + "\"");
            }
        }
        int to = maxResults == null ? matching.size() : Math.min(matching.size(), from + maxResults);
        List<Ec2Fleet.Instance> page = from >= matching.size() ? List.of() : matching.subList(from, to);
        StringBuilder x = new StringBuilder();
        x.append("<DescribeInstancesResponse xmlns=\"").append(NS).append("\"><requestId>@@REQUEST_ID@@</requestId>");
        x.append("<reservationSet>");
        for (Ec2Fleet.Instance i : page) {
            x.append("<item><reservationId>r-")
                    .append(i.id.substring(2))
                    .append("</reservationId><ownerId>")
                    .append(ctx.account())
                    .append("</ownerId><groupSet/><instancesSet>");
            instance(x, i);
            x.append("</instancesSet></item>");
        }
        x.append("</reservationSet>");
        if (to < matching.size()) {
            x.append("<nextToken>")
                    .append(Base64.getEncoder().encodeToString(("lab-page-" + to).getBytes(StandardCharsets.UTF_8)))
                    .append("</nextToken>");
        }
        x.append("</DescribeInstancesResponse>");
        String resource = page.stream().map(i -> i.id).collect(Collectors.joining(","));
        return new Result(x.toString(), resource);
    }

    private void instance(StringBuilder x, Ec2Fleet.Instance i) {
        x.append("<item><instanceId>").append(i.id).append("</instanceId>");
        x.append("<imageId>ami-0abcdef1234567890</imageId>");
        x.append("<instanceState><code>")
                .append(Ec2Fleet.stateCode(i.state))
                .append("</code><name>")
                .append(i.state)
                .append("</name></instanceState>");
        boolean gone = i.state.equals("terminated");
        x.append("<privateDnsName>").append(gone ? "" : Http.xml(i.privateDns)).append("</privateDnsName>");
        x.append("<dnsName/><amiLaunchIndex>0</amiLaunchIndex>");
        x.append("<instanceType>").append(Http.xml(i.type)).append("</instanceType>");
        x.append("<launchTime>").append(Http.iso(i.launchTime)).append("</launchTime>");
        x.append("<placement><availabilityZone>")
                .append(i.zone)
                .append("</availabilityZone><groupName/><tenancy>default</tenancy></placement>");
        if (!gone) {
            x.append("<privateIpAddress>").append(i.privateIp).append("</privateIpAddress>");
        }
        x.append("<architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType>");
        if (i.spot()) {
            x.append("<instanceLifecycle>spot</instanceLifecycle><spotInstanceRequestId>")
                    .append(i.spotRequestId)
                    .append("</spotInstanceRequestId>");
        }
        if (!i.tags.isEmpty()) {
            x.append("<tagSet>");
            new TreeMap<>(i.tags).forEach((k, v) -> x.append("<item><key>")
                    .append(Http.xml(k))
                    .append("</key><value>")
                    .append(Http.xml(v))
                    .append("</value></item>"));
            x.append("</tagSet>");
        }
        if (i.interruptAt != null && !i.state.equals("running")) {
            x.append("<stateReason><code>Server.SpotInstanceTermination</code><message>"
                    + "Server.SpotInstanceTermination: Spot instance termination</message></stateReason>");
        }
        x.append("</item>");
    }

    private Predicate<Ec2Fleet.Instance> filter(String name, List<String> values) {
        if (values.isEmpty()) {
            throw new ApiError(400, "InvalidParameterValue", "The filter '" + name + "' has no values");
        }
        List<Pattern> globs = values.stream().map(Ec2Api::glob).toList();
        Predicate<String> any =
                v -> v != null && globs.stream().anyMatch(g -> g.matcher(v).matches());
        if (name.startsWith("tag:")) {
            String key = name.substring(4);
            return i -> any.test(i.tags.get(key));
        }
        return switch (name) {
            case "instance-id" -> i -> any.test(i.id);
            case "tag-key" -> i -> i.tags.keySet().stream().anyMatch(any);
            case "tag-value" -> i -> i.tags.values().stream().anyMatch(any);
            case "instance-state-name" -> i -> any.test(i.state);
            case "instance-state-code" -> i -> any.test(Integer.toString(Ec2Fleet.stateCode(i.state)));
            case "instance-lifecycle" -> i -> i.spot() && any.test("spot");
            case "availability-zone", "placement.availability-zone" -> i -> any.test(i.zone);
            case "instance-type" -> i -> any.test(i.type);
            case "private-dns-name" -> i -> any.test(i.privateDns);
            case "spot-instance-request-id" -> i -> any.test(i.spotRequestId);
            default -> throw new ApiError(400, "InvalidParameterValue", "The filter '" + name + "' is invalid");
        };
    }

    static Pattern glob(String value) {
        StringBuilder re = new StringBuilder();
        for (char c : value.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    @Override
    String errorXml(ApiError e, String requestId) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>" + Http.xml(e.code)
                + "</Code><Message>" + Http.xml(e.getMessage()) + "</Message></Error></Errors><RequestID>"
                + requestId + "</RequestID></Response>";
    }

    @Override
    ApiError authError(boolean missing) {
        return missing
                ? new ApiError(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
                : new ApiError(401, "AuthFailure", "AWS was not able to validate the provided access credentials");
    }
}
