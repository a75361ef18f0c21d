package dev.spotdrill.core.advisor;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The Spot Advisor source ({@value #KIND}): which instance types the feed rates above a threshold in the world's
 * region, for an operating system, as requests ask ({@code spotAdvisor{os=Linux, threshold=10}}).
 *
 * <p>It reads the feed before anything is created, so that an unknown region or OS, a threshold outside 0..100,
 * or a feed that cannot be read fails the test there; at START it writes one drill-level {@link #ABOVE_THRESHOLD}
 * observation per request, which {@code @ExpectBlacklistMatchesAdvisor} compares the blacklist with.
 */
public final class SpotAdvisorSource implements Source {
    /** The source's kind. */
    public static final String KIND = "spotAdvisor";
    /** The source of its observations. */
    public static final String SOURCE = KIND;
    /**
     * The feed's verdict for one request (drill-level); data {@code region}, {@code os}, {@code threshold},
     * {@code above} (the types above the threshold, comma-separated, sorted), {@code safe} (the other types the feed
     * rates there), {@code ranges} ({@code type=label} for each type above, comma-separated) and {@code url}.
     */
    public static final String ABOVE_THRESHOLD = "ABOVE_THRESHOLD";
    /** The request parameter naming the operating system, {@code Linux} or {@code Windows}. */
    public static final String OS = "os";
    /** The request parameter holding the threshold, a whole percentage. */
    public static final String THRESHOLD = "threshold";

    /** What check() read, by drill, for start() to write at START. */
    private final Map<String, Map<SourceRequest, Map<String, String>>> read = new ConcurrentHashMap<>();

    /** A request for the types above a threshold. */
    public static SourceRequest request(String os, int threshold) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(OS, os);
        p.put(THRESHOLD, Integer.toString(threshold));
        return new SourceRequest(KIND, p);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void check(SourceContext ctx, List<SourceRequest> requests) {
        read.put(ctx.drill().runId(), readAll(ctx, requests));
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        Map<SourceRequest, Map<String, String>> verdicts =
                read.remove(ctx.drill().runId());
        Map<SourceRequest, Map<String, String>> data = verdicts != null ? verdicts : readAll(ctx, requests);
        ctx.onStart(start -> data.values().forEach(d -> ctx.timeline()
                .add(new Observation(
                        start,
                        SOURCE,
                        "",
                        ABOVE_THRESHOLD,
                        "Spot Advisor (" + d.get("region") + ", " + d.get("os") + ") rates "
                                + count(d.get("above")) + " above " + d.get("threshold") + "%"
                                + (d.get("above").isEmpty()
                                        ? ""
                                        : ": " + d.get("ranges").replace("=", " ")),
                        d))));
        return () -> read.remove(ctx.drill().runId());
    }

    private static Map<SourceRequest, Map<String, String>> readAll(SourceContext ctx, List<SourceRequest> requests) {
        Map<SourceRequest, Map<String, String>> out = new LinkedHashMap<>();
        if (requests.isEmpty()) {
            return out;
        }
        SpotAdvisorReader reader = SpotAdvisorReader.resolve(ctx.config(), ctx.world());
        SpotAdvisorFeed feed = reader.read();
        String region = ctx.world().region();
        for (SourceRequest r : requests) {
            String os = r.param(OS);
            int threshold = threshold(r.param(THRESHOLD));
            Map<String, TypeRating> above = feed.ratingsAbove(region, os, threshold);
            List<String> safe = new ArrayList<>(feed.ratings(region, os).keySet());
            safe.removeAll(above.keySet());
            Map<String, String> d = new LinkedHashMap<>();
            d.put("region", region);
            d.put("os", os);
            d.put("threshold", Integer.toString(threshold));
            d.put("above", String.join(",", above.keySet()));
            d.put("safe", String.join(",", safe));
            d.put(
                    "ranges",
                    above.values().stream()
                            .map(t -> t.instanceType() + "=" + t.range().label())
                            .collect(Collectors.joining(", ")));
            d.put("url", reader.url().toString());
            out.put(r, d);
        }
        return out;
    }

    private static int threshold(String text) {
        int t;
        try {
            t = Integer.parseInt(text == null ? "" : text.trim());
        } catch (NumberFormatException e) {
            throw new SpotDrillConfigurationException("threshold=\"" + text
                    + "\": an interruption threshold is a whole percentage from 0 to 100; use for example 10");
        }
        SpotAdvisorFeed.checkThreshold(t);
        return t;
    }

    private static String count(String commaList) {
        int n = commaList.isEmpty() ? 0 : commaList.split(",").length;
        return n == 1 ? "1 type" : n + " types";
    }
}
