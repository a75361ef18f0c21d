package dev.spotdrill.lab;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The static part of an instance's IMDS, what aws-node-termination-handler and similar agents read at start-up:
 * the instance identity document, the meta-data directory listings and leaves (ids, addresses, placement, MAC,
 * AMI), and {@code events/maintenance/*} ({@code []}: nothing scheduled). The Spot notices are not here: they
 * change with the interruption and {@link ImdsServers} answers them.
 *
 * <p>Values an instance does not carry in the scenario (AMI id, MAC, public address) are derived from its id, so
 * they stay the same across runs.
 */
final class ImdsMetadata {
    /** What the meta-data root lists; a trailing slash marks a directory. */
    static final List<String> ROOT = List.of(
            "ami-id",
            "ami-launch-index",
            "ami-manifest-path",
            "events/",
            "hostname",
            "instance-id",
            "instance-life-cycle",
            "instance-type",
            "local-hostname",
            "local-ipv4",
            "mac",
            "placement/",
            "public-hostname",
            "public-ipv4",
            "reservation-id",
            "services/",
            "spot/");

    private static final Map<String, List<String>> DIRECTORIES = Map.of(
            "", ROOT,
            "events", List.of("maintenance/", "recommendations/"),
            "events/maintenance", List.of("history", "scheduled"),
            "events/recommendations", List.of("rebalance"),
            "placement", List.of("availability-zone", "availability-zone-id", "region"),
            "services", List.of("domain", "partition"),
            "spot", List.of("instance-action", "termination-time"));

    private ImdsMetadata() {}

    /** A directory listing of {@code meta-data/<dir>} (with or without its trailing slash), if it is one. */
    static Optional<String> listing(String dir) {
        String d = dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
        List<String> entries = DIRECTORIES.get(d);
        return entries == null ? Optional.empty() : Optional.of(String.join("\n", entries));
    }

    /** A static meta-data leaf, if the lab serves it. */
    static Optional<String> leaf(String key, Ec2Fleet.Instance i, String region, String account) {
        String value =
                switch (key) {
                    case "instance-id" -> i.id;
                    case "instance-type" -> i.type;
                    case "instance-life-cycle" -> i.lifecycle;
                    case "placement/availability-zone" -> i.zone;
                    case "placement/availability-zone-id" -> zoneId(i.zone, region);
                    case "placement/region" -> region;
                    case "local-hostname", "hostname" -> i.privateDns;
                    case "local-ipv4" -> i.privateIp;
                    case "public-ipv4" -> publicIp(i.id);
                    case "public-hostname" -> publicHostname(i.id, region);
                    case "mac" -> mac(i.id);
                    case "ami-id" -> amiId(region);
                    case "ami-launch-index" -> "0";
                    case "ami-manifest-path" -> "(unknown)";
                    case "reservation-id" -> "r-0" + hex("reservation " + i.id).substring(0, 16);
                    case "services/domain" -> "amazonaws.com";
                    case "services/partition" -> "aws";
                    case "events/maintenance/scheduled", "events/maintenance/history" -> "[]";
                    default -> null;
                };
        return Optional.ofNullable(value);
    }

    /** {@code dynamic/instance-identity/document}, as EC2 writes it (pretty-printed JSON). */
    static String identityDocument(Ec2Fleet.Instance i, String region, String account) {
        Map<String, String> doc = new LinkedHashMap<>();
        doc.put("accountId", account);
        doc.put("architecture", architecture(i.type));
        doc.put("availabilityZone", i.zone);
        doc.put("billingProducts", null);
        doc.put("devpayProductCodes", null);
        doc.put("marketplaceProductCodes", null);
        doc.put("imageId", amiId(region));
        doc.put("instanceId", i.id);
        doc.put("instanceType", i.type);
        doc.put("kernelId", null);
        doc.put("pendingTime", Http.rfc3339(i.launchTime));
        doc.put("privateIp", i.privateIp);
        doc.put("ramdiskId", null);
        doc.put("region", region);
        doc.put("version", "2017-09-30");
        StringBuilder sb = new StringBuilder("{\n");
        int n = 0;
        for (Map.Entry<String, String> e : doc.entrySet()) {
            sb.append("  \"").append(e.getKey()).append("\" : ");
            sb.append(e.getValue() == null ? "null" : "\"" + e.getValue() + "\"");
            sb.append(++n < doc.size() ? ",\n" : "\n");
        }
        return sb.append('}').toString();
    }

    static String architecture(String instanceType) {
        String family =
                instanceType.contains(".") ? instanceType.substring(0, instanceType.indexOf('.')) : instanceType;
        return family.matches("[a-z]+\\d+g[a-z]*") ? "arm64" : "x86_64";
    }

    static String amiId(String region) {
        return "ami-0" + hex("spotdrill lab AMI " + region).substring(0, 16);
    }

    static String mac(String instanceId) {
        String h = hex("mac " + instanceId);
        StringBuilder sb = new StringBuilder("0e");
        for (int k = 0; k < 5; k++) {
            sb.append(':').append(h, 2 * k, 2 * k + 2);
        }
        return sb.toString();
    }

    static String publicIp(String instanceId) {
        String h = hex("public " + instanceId);
        return "54." + (Integer.parseInt(h.substring(0, 2), 16) % 200 + 10) + "."
                + Integer.parseInt(h.substring(2, 4), 16) + "." + (Integer.parseInt(h.substring(4, 6), 16) % 250 + 1);
    }

    static String publicHostname(String instanceId, String region) {
        String dashed = "ec2-" + publicIp(instanceId).replace('.', '-');
        return region.equals("us-east-1")
                ? dashed + ".compute-1.amazonaws.com"
                : dashed + "." + region + ".compute.amazonaws.com";
    }

    /** {@code use1-az1} style zone ids: the region's short code and the zone letter's position. */
    static String zoneId(String zone, String region) {
        String[] parts = region.split("-");
        String code = parts.length == 3 ? parts[0] + parts[1].charAt(0) + parts[2] : region;
        char letter = zone.isEmpty() ? 'a' : zone.charAt(zone.length() - 1);
        return code + "-az" + (letter - 'a' + 1);
    }

    private static String hex(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
