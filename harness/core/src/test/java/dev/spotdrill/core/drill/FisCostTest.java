package dev.spotdrill.core.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** FIS's price: $0.10 per action-minute, rounded to the nearest minute per action, whatever the number of targets. */
class FisCostTest {

    private static String experiment(String actions, String targets, String end) {
        return "{\"id\":\"EXP1\",\"actions\":{" + actions + "},\"targets\":{" + targets + "},\"endTime\":" + end + "}";
    }

    private static String action(String name, String target, String lead, String start, String end) {
        return "\"" + name + "\":{\"actionId\":\"aws:ec2:send-spot-instance-interruptions\",\"parameters\":"
                + "{\"durationBeforeInterruption\":\"" + lead + "\"},\"targets\":{\"SpotInstances\":\"" + target
                + "\"},\"startTime\":" + (start == null ? "null" : "\"" + start + "\"") + ",\"endTime\":"
                + (end == null ? "null" : "\"" + end + "\"") + "}";
    }

    private static String target(String name, String... ids) {
        StringBuilder sb = new StringBuilder("\"" + name + "\":{\"resourceArns\":[");
        for (int i = 0; i < ids.length; i++) {
            sb.append(i == 0 ? "" : ",")
                    .append("\"arn:aws:ec2:us-east-1:123456789012:instance/")
                    .append(ids[i])
                    .append('"');
        }
        return sb.append("]}").toString();
    }

    @Test
    void sevenTargetsInTwoActionsCostTheActionsMinutesNotTheInstances() {
        String json = experiment(
                action("interrupt-1", "spot-instances-1", "PT135S", "2026-01-01T00:00:00Z", "2026-01-01T00:02:15Z")
                        + ","
                        + action(
                                "interrupt-2",
                                "spot-instances-2",
                                "PT150S",
                                "2026-01-01T00:00:00Z",
                                "2026-01-01T00:02:30Z"),
                target("spot-instances-1", "i-1", "i-2", "i-3", "i-4", "i-5") + ","
                        + target("spot-instances-2", "i-6", "i-7"),
                "\"2026-01-01T00:02:30Z\"");

        FisCost cost = FisCost.of(json).orElseThrow();

        // 2.25 minutes round to 2, 2.5 to 3
        assertThat(cost.actions()).extracting(FisCost.ActionCost::minutes).containsExactly(2L, 3L);
        assertThat(cost.actionMinutes()).isEqualTo(5);
        assertThat(cost.total()).isEqualByComparingTo("0.50");
        assertThat(cost.perTarget().get("i-1")).isEqualByComparingTo("0.04");
        assertThat(cost.perTarget().get("i-7")).isEqualByComparingTo("0.15");
        assertThat(cost.perTarget().values().stream().reduce(BigDecimal.ZERO, BigDecimal::add))
                .isEqualByComparingTo("0.50");
        assertThat(cost.summary())
                .isEqualTo("FIS cost $0.50 = 5 action-minutes × $0.10 (interrupt-1: 2 min for i-1, i-2, i-3, i-4, i-5,"
                        + " $0.04 each; interrupt-2: 3 min for i-6, i-7, $0.15 each)");
    }

    @Test
    void aStoppedActionCostsWhatItRanAndOneThatNeverStartedNothing() {
        String json = experiment(
                action("interrupt-1", "t", "PT10M", "2026-01-01T00:00:00Z", "2026-01-01T00:00:40Z") + ","
                        + action("interrupt-2", "u", "PT10M", null, null),
                target("t", "i-1") + "," + target("u", "i-2"),
                "\"2026-01-01T00:00:41Z\"");

        FisCost cost = FisCost.of(json).orElseThrow();

        assertThat(cost.actions()).singleElement().satisfies(a -> {
            assertThat(a.minutes()).isEqualTo(1); // 40 s round to one minute
            assertThat(a.cost()).isEqualByComparingTo("0.10");
        });
        assertThat(cost.summary()).isEqualTo("FIS cost $0.10 = 1 action-minute × $0.10 (interrupt-1: 1 min for i-1)");
        assertThat(FisCost.of("{\"actions\":{}}")).isEmpty();
        assertThat(FisCost.of("not json")).isEmpty();
    }
}
