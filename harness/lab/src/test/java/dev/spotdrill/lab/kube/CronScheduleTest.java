package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
    private static Instant t(String s) {
        return Instant.parse(s);
    }

    @Test
    void everySixHoursFiresOnTheHoursDivisibleBySix() {
        CronSchedule c = CronSchedule.parse("0 */6 * * *");
        assertThat(c.next(t("2026-01-15T05:59:30Z"))).contains(t("2026-01-15T06:00:00Z"));
        assertThat(c.next(t("2026-01-15T06:00:00Z"))).contains(t("2026-01-15T12:00:00Z"));
        assertThat(c.next(t("2026-01-15T18:00:01Z"))).contains(t("2026-01-16T00:00:00Z"));
        assertThat(c.next(t("2026-12-31T23:00:00Z"))).contains(t("2027-01-01T00:00:00Z"));
    }

    @Test
    void listsRangesStepsAndDays() {
        assertThat(CronSchedule.parse("* * * * *").next(t("2026-01-15T10:00:59Z")))
                .contains(t("2026-01-15T10:01:00Z"));
        assertThat(CronSchedule.parse("15,45 9-10 * * *").next(t("2026-01-15T10:45:00Z")))
                .contains(t("2026-01-16T09:15:00Z"));
        // 2026-01-15 is a Thursday; Sunday is 0 and 7
        assertThat(CronSchedule.parse("0 0 * * 0").next(t("2026-01-15T00:00:00Z")))
                .contains(t("2026-01-18T00:00:00Z"));
        assertThat(CronSchedule.parse("0 0 * * 7").next(t("2026-01-15T00:00:00Z")))
                .contains(t("2026-01-18T00:00:00Z"));
        assertThat(CronSchedule.parse("0 0 1 2 *").next(t("2026-01-15T00:00:00Z")))
                .contains(t("2026-02-01T00:00:00Z"));
        // both day fields restricted: either one fires (the 20th, or the Sunday before it)
        assertThat(CronSchedule.parse("0 0 20 * 0").next(t("2026-01-15T00:00:00Z")))
                .contains(t("2026-01-18T00:00:00Z"));
        assertThat(CronSchedule.parse("0 0 30 2 *").next(t("2026-01-15T00:00:00Z")))
                .isEmpty();
    }

    @Test
    void badSchedulesNameTheValueAndTheFix() {
        assertThatThrownBy(() -> CronSchedule.parse("0 */6 * *"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("CronJob schedule \"0 */6 * *\" must have five fields")
                .hasMessageContaining("for example \"0 */6 * * *\"");
        assertThatThrownBy(() -> CronSchedule.parse("61 * * * *"))
                .hasMessageContaining("\"61\" is not a number from 0 to 59");
        assertThatThrownBy(() -> CronSchedule.parse("@hourly")).hasMessageContaining("must have five fields");
    }
}
