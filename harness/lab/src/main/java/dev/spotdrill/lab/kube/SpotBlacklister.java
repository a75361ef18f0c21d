package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The reference Spot blacklister, the program a {@code spot-blacklist} Job's container runs: it reads the Spot
 * Advisor feed over HTTP and blacklists in CAST AI, in batches, every instance type whose interruption range's
 * maximum is above {@code INTERRUPTION_THRESHOLD}, for {@code BLACKLIST_HOURS}.
 *
 * <p>It is deliberately its own program: it parses the feed itself and does not share code with the harness, so
 * that the harness's verdicts about it are independent. It writes a plain-text log and ends with an exit code (0
 * done, 1 failed). Its faults ({@link SpotBlacklisterFaults}) are the bugs such a program could have.
 */
final class SpotBlacklister {
    /** The program's environment: its log, the world clock and a cancellable pause. */
    interface Io {
        void log(String line);

        Instant now();

        /** Waits this much world time; throws when the Job is cancelled meanwhile. */
        void pause(Duration world) throws InterruptedException;
    }

    /** A failure that ends the run with exit code 1; its message is the last log line. */
    private static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message, null, false, false);
        }
    }

    private record Candidate(String type, int index, String label, int bound) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ATTEMPTS = 4;

    private final HttpClient http;

    SpotBlacklister(HttpClient http) {
        this.http = http;
    }

    /** Runs the program to its end; the exit code is 0 when it did its job. */
    int run(Map<String, String> env, Map<String, String> faults, Io io) throws InterruptedException {
        try {
            body(env, faults, io);
            return 0;
        } catch (Failure f) {
            io.log("error: " + f.getMessage());
            return 1;
        }
    }

    private void body(Map<String, String> env, Map<String, String> faults, Io io) throws Failure, InterruptedException {
        if (faults.containsKey(SpotBlacklisterFaults.DOWN)) {
            throw new Failure("spot-blacklister cannot start: it is down (lab fault " + SpotBlacklisterFaults.DOWN
                    + "); nothing was read or blacklisted");
        }
        String region = required(env, "REGION");
        String os = env.getOrDefault("OS", "Linux");
        double threshold = number(env, "INTERRUPTION_THRESHOLD", "10");
        double hours = number(env, "BLACKLIST_HOURS", "5");
        boolean dryRun = bool(env, "DRY_RUN", "false") || faults.containsKey(SpotBlacklisterFaults.DRY_RUN);
        int batchSize = (int) number(env, "BATCH_SIZE", "10");
        Duration batchPause = duration(env, "BATCH_PAUSE", "5");
        boolean autoApprove = bool(env, "AUTO_APPROVE", "false");
        String advisorUrl = required(env, "SPOT_ADVISOR_URL");
        if (batchSize < 1) {
            throw new Failure("BATCH_SIZE=" + env.get("BATCH_SIZE") + " must be at least 1");
        }
        io.log("spot-blacklister: region=" + region + " os=" + os + " threshold=" + fmt(threshold) + "%"
                + " blacklist-hours=" + fmt(hours) + " batch-size=" + batchSize + " batch-pause="
                + batchPause.toSeconds() + "s dry-run=" + dryRun + " auto-approve=" + autoApprove);
        String readOs = faults.getOrDefault(SpotBlacklisterFaults.WRONG_OS, os);

        io.log("reading Spot Advisor data from " + advisorUrl);
        JsonNode feed = getFeed(advisorUrl);
        Map<Integer, int[]> bounds = new HashMap<>();
        Map<Integer, String> labels = new HashMap<>();
        List<String> rangeText = new ArrayList<>();
        for (JsonNode r : feed.path("ranges")) {
            int index = r.path("index").asInt();
            String label = r.path("label").asText();
            int max = r.path("max").asInt();
            int bound = faults.containsKey(SpotBlacklisterFaults.LABEL_BOUNDARIES) ? labelBound(label, max) : max;
            bounds.put(index, new int[] {bound});
            labels.put(index, label);
            rangeText.add(index + " " + label + " (max " + max + ")");
        }
        io.log("ranges: " + String.join(", ", rangeText));
        JsonNode rated = feed.path("spot_advisor").path(region).path(readOs);
        if (!rated.isObject()) {
            throw new Failure("the Spot Advisor data has no ratings for " + region + "/" + readOs);
        }
        List<Candidate> above = new ArrayList<>();
        int count = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = rated.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> t = it.next();
            count++;
            int r = t.getValue().path("r").asInt(-1);
            int[] b = bounds.get(r);
            if (b == null) {
                io.log("warning: " + t.getKey() + " has an unknown range index " + r + "; skipped");
                continue;
            }
            if (b[0] > threshold) {
                above.add(new Candidate(t.getKey(), r, labels.get(r), b[0]));
            }
        }
        above.sort(Comparator.comparingInt(Candidate::index).reversed().thenComparing(Candidate::type));
        io.log(region + "/" + readOs + ": " + count + " types rated, " + above.size() + " above " + fmt(threshold)
                + "%" + (above.isEmpty() ? "" : ": ")
                + above.stream().map(c -> c.type() + " (" + c.label() + ")").collect(Collectors.joining(", ")));
        List<Candidate> todo = above;
        if (faults.containsKey(SpotBlacklisterFaults.STOP_AFTER)) {
            int n = Integer.parseInt(faults.get(SpotBlacklisterFaults.STOP_AFTER));
            todo = above.subList(0, Math.min(n, above.size()));
        }
        if (todo.isEmpty()) {
            io.log("done: nothing to blacklist");
            return;
        }
        Instant expiresAt = io.now().plusSeconds(Math.round(hours * 3600)).truncatedTo(ChronoUnit.SECONDS);
        boolean withExpiry = !faults.containsKey(SpotBlacklisterFaults.NO_EXPIRY);
        if (dryRun) {
            for (Candidate c : todo) {
                io.log("dry run: would blacklist " + c.type() + " (spot) until " + expiresAt);
            }
            io.log("done (dry run): " + todo.size() + " types would be blacklisted; nothing changed");
            return;
        }
        if (!autoApprove) {
            throw new Failure("AUTO_APPROVE is not true and a Job has no terminal to confirm on: refusing to"
                    + " blacklist " + todo.size() + " types; set AUTO_APPROVE=true, or DRY_RUN=true to only report");
        }
        String castAi = required(env, "CASTAI_API_URL");
        String key = required(env, "CASTAI_API_KEY");
        String org = required(env, "CASTAI_ORGANIZATION_ID");
        String cluster = required(env, "CASTAI_CLUSTER_ID");
        int batches = (todo.size() + batchSize - 1) / batchSize;
        for (int b = 0; b < batches; b++) {
            if (b > 0) {
                io.log("pausing " + batchPause.toSeconds() + "s before the next batch");
                io.pause(batchPause);
            }
            List<Candidate> batch = todo.subList(b * batchSize, Math.min(todo.size(), (b + 1) * batchSize));
            io.log("batch " + (b + 1) + " of " + batches + ": "
                    + batch.stream().map(Candidate::type).collect(Collectors.joining(", ")));
            for (Candidate c : batch) {
                ObjectNode body = JSON.createObjectNode();
                body.put("organizationId", org);
                body.put("clusterId", cluster);
                body.put("instanceFamily", c.type());
                body.put("lifecycle", "spot");
                if (withExpiry) {
                    body.put("expiresAt", expiresAt.toString());
                }
                post(castAi, key, body.toString(), c.type(), io);
                io.log("blacklisted " + c.type() + " (spot)" + (withExpiry ? " until " + expiresAt : ""));
            }
        }
        io.log("done: " + todo.size() + " types blacklisted" + (withExpiry ? " until " + expiresAt : ""));
    }

    private JsonNode getFeed(String url) throws Failure, InterruptedException {
        HttpResponse<String> r;
        try {
            r = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new Failure("cannot read the Spot Advisor data from " + url + ": " + e);
        }
        if (r.statusCode() != 200) {
            throw new Failure("the Spot Advisor data at " + url + " answered " + r.statusCode());
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new Failure("the Spot Advisor data at " + url + " is not JSON");
        }
    }

    private void post(String base, String key, String body, String type, Io io) throws Failure, InterruptedException {
        URI uri = URI.create(base.replaceAll("/+$", "") + "/v1/inventory/blacklist/add");
        Duration backoff = Duration.ofSeconds(2);
        for (int attempt = 1; ; attempt++) {
            String problem;
            Duration wait = backoff;
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(10))
                                .header("X-API-Key", key)
                                .header("Content-Type", "application/json")
                                .header("User-Agent", "spot-blacklister/1.0")
                                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                                .build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                int s = r.statusCode();
                if (s >= 200 && s < 300) {
                    return;
                }
                problem = "CAST AI answered " + s + " for " + type + ": " + message(r.body());
                if (s != 429 && s < 500) {
                    throw new Failure(problem);
                }
                if (r.headers().firstValue("Retry-After").isPresent()) {
                    try {
                        wait = Duration.ofSeconds(Long.parseLong(
                                r.headers().firstValue("Retry-After").get().trim()));
                    } catch (NumberFormatException e) {
                        // keep the backoff
                    }
                }
            } catch (IOException e) {
                problem = "cannot reach CAST AI at " + base + " for " + type + ": " + e;
            }
            if (attempt >= MAX_ATTEMPTS) {
                throw new Failure(problem + " (gave up after " + attempt + " attempts)");
            }
            io.log(problem + "; retrying in " + wait.toSeconds() + "s");
            io.pause(wait);
            backoff = backoff.multipliedBy(2);
        }
    }

    /** The upper bound a label says: 5 for "<5%", 10 for "5-10%", the feed's max for ">20%". */
    private static int labelBound(String label, int max) {
        String l = label.replace("%", "").trim();
        try {
            if (l.startsWith("<")) {
                return Integer.parseInt(l.substring(1).trim());
            }
            if (l.contains("-")) {
                return Integer.parseInt(l.substring(l.lastIndexOf('-') + 1).trim());
            }
        } catch (NumberFormatException e) {
            return max;
        }
        return max;
    }

    private static String message(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.path("message").isTextual()) {
                return n.path("message").asText();
            }
        } catch (IOException e) {
            // not JSON
        }
        return body == null ? "" : body.strip();
    }

    private static String required(Map<String, String> env, String name) throws Failure {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new Failure(name + " is not set");
        }
        return v.trim();
    }

    private static double number(Map<String, String> env, String name, String dflt) throws Failure {
        String v = env.getOrDefault(name, dflt).trim();
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new Failure(name + "=" + v + " is not a number");
        }
    }

    private static boolean bool(Map<String, String> env, String name, String dflt) throws Failure {
        String v = env.getOrDefault(name, dflt).trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no", "" -> false;
            default -> throw new Failure(name + "=" + v + " must be true or false");
        };
    }

    /** Seconds ("5"), with a unit ("5s", "2m") or ISO-8601 ("PT5S"). */
    private static Duration duration(Map<String, String> env, String name, String dflt) throws Failure {
        String v = env.getOrDefault(name, dflt).trim();
        try {
            if (v.startsWith("PT") || v.startsWith("pt")) {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new Failure(name + "=" + v + " is not a duration; write seconds such as 5");
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
