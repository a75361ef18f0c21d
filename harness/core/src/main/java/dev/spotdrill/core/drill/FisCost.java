package dev.spotdrill.core.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a drill's experiment cost in FIS: $0.10 per action-minute, each action's run time rounded to the nearest
 * minute, whatever the number of instances it interrupts. A drill has one action per 5 targets, so a target's share is
 * its action's cost divided among the action's targets.
 *
 * @param actions each action that ran, with its minutes and cost
 * @param actionMinutes the sum of the actions' rounded minutes
 * @param total actionMinutes × {@link #PRICE_PER_ACTION_MINUTE}
 */
public record FisCost(List<ActionCost> actions, long actionMinutes, BigDecimal total) {
    /** FIS's price of one action-minute, in US dollars. */
    public static final BigDecimal PRICE_PER_ACTION_MINUTE = new BigDecimal("0.10");

    private static final ObjectMapper JSON = new ObjectMapper();

    public FisCost {
        actions = List.copyOf(actions);
    }

    /**
     * One action's part.
     *
     * @param action the action's name in the template, e.g. {@code interrupt-1}
     * @param ran from the action's start to its end (or to its planned end, when FIS gave none)
     * @param minutes {@code ran} rounded to the nearest minute
     * @param cost minutes × $0.10
     * @param instanceIds the instances the action interrupts
     */
    public record ActionCost(String action, Duration ran, long minutes, BigDecimal cost, List<String> instanceIds) {
        public ActionCost {
            instanceIds = List.copyOf(instanceIds);
        }

        /** Each instance's share of the action's cost. */
        public BigDecimal share() {
            return instanceIds.isEmpty()
                    ? cost
                    : cost.divide(BigDecimal.valueOf(instanceIds.size()), 4, RoundingMode.HALF_UP);
        }
    }

    /** What each target cost: its share of its action's cost. */
    public Map<String, BigDecimal> perTarget() {
        Map<String, BigDecimal> out = new LinkedHashMap<>();
        for (ActionCost a : actions) {
            for (String id : a.instanceIds()) {
                out.merge(id, a.share(), BigDecimal::add);
            }
        }
        return out;
    }

    /** {@code $0.20}; a share that needs it gets a third decimal: {@code $0.067}. */
    public static String dollars(BigDecimal amount) {
        int scale = Math.max(2, Math.min(3, amount.stripTrailingZeros().scale()));
        return "$" + amount.setScale(scale, RoundingMode.HALF_UP).toPlainString();
    }

    /**
     * One line: {@code FIS cost $0.20 = 2 action-minutes × $0.10 (interrupt-1: 2 min for i-0a, i-0b, $0.100 each)}.
     */
    public String summary() {
        List<String> parts = new ArrayList<>();
        for (ActionCost a : actions) {
            parts.add(a.action() + ": " + a.minutes() + " min for " + String.join(", ", a.instanceIds())
                    + (a.instanceIds().size() > 1 ? ", " + dollars(a.share()) + " each" : ""));
        }
        return "FIS cost " + dollars(total) + " = " + actionMinutes + " action-minute" + (actionMinutes == 1 ? "" : "s")
                + " × " + dollars(PRICE_PER_ACTION_MINUTE)
                + (parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")");
    }

    /** The cost of an experiment, from its JSON as a drill reports it; empty when it has no actions or is unreadable. */
    public static Optional<FisCost> of(String experimentJson) {
        JsonNode e;
        try {
            e = JSON.readTree(experimentJson);
        } catch (IOException | RuntimeException x) {
            return Optional.empty();
        }
        JsonNode actions = e.path("actions");
        if (!actions.isObject() || actions.isEmpty()) {
            return Optional.empty();
        }
        Optional<Instant> experimentEnd = instant(e.path("endTime"));
        List<ActionCost> out = new ArrayList<>();
        long minutes = 0;
        for (var it = actions.fields(); it.hasNext(); ) {
            var a = it.next();
            Optional<Instant> start = instant(a.getValue().path("startTime"));
            if (start.isEmpty()) {
                continue; // never ran: not billed
            }
            Optional<Instant> end = instant(a.getValue().path("endTime")).or(() -> experimentEnd);
            Duration ran = end.map(x -> Duration.between(start.get(), x)).orElseGet(() -> planned(a.getValue()));
            if (ran.isNegative()) {
                ran = Duration.ZERO;
            }
            long m = Math.round(ran.toMillis() / 60_000.0);
            List<String> ids = new ArrayList<>();
            String target = a.getValue().path("targets").path("SpotInstances").asText("");
            for (JsonNode arn : e.path("targets").path(target).path("resourceArns")) {
                String s = arn.asText();
                ids.add(s.substring(s.lastIndexOf('/') + 1));
            }
            minutes += m;
            out.add(new ActionCost(a.getKey(), ran, m, PRICE_PER_ACTION_MINUTE.multiply(BigDecimal.valueOf(m)), ids));
        }
        if (out.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new FisCost(out, minutes, PRICE_PER_ACTION_MINUTE.multiply(BigDecimal.valueOf(minutes))));
    }

    private static Duration planned(JsonNode action) {
        try {
            return Duration.parse(
                    action.path("parameters").path("durationBeforeInterruption").asText("PT0S"));
        } catch (DateTimeParseException e) {
            return Duration.ZERO;
        }
    }

    private static Optional<Instant> instant(JsonNode n) {
        if (n == null
                || n.isNull()
                || n.isMissingNode()
                || n.asText().isEmpty()
                || n.asText().equals("null")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(n.asText()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
