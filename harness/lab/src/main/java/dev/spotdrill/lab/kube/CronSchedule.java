package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Optional;

/**
 * A CronJob schedule in the five-field cron syntax Kubernetes uses ({@code minute hour day-of-month month
 * day-of-week}, UTC), with {@code *}, {@code a}, {@code a-b}, {@code /step} and lists. As in cron, when both day
 * fields are restricted a day matching either one fires.
 */
final class CronSchedule {
    private final String text;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet weekdays;
    private final boolean anyDay;
    private final boolean anyWeekday;

    private CronSchedule(String text) {
        this.text = text;
        String[] f = text.trim().split("\\s+");
        if (f.length != 5) {
            throw bad(text, "must have five fields: minute hour day-of-month month day-of-week");
        }
        minutes = field(text, f[0], 0, 59);
        hours = field(text, f[1], 0, 23);
        days = field(text, f[2], 1, 31);
        months = field(text, f[3], 1, 12);
        BitSet w = field(text, f[4], 0, 7);
        if (w.get(7)) {
            w.set(0);
        }
        weekdays = w;
        anyDay = f[2].equals("*");
        anyWeekday = f[4].equals("*");
    }

    /**
     * Parses a schedule.
     *
     * @throws SpotDrillConfigurationException naming the schedule and the fix when it is not valid cron
     */
    static CronSchedule parse(String text) {
        if (text == null || text.isBlank()) {
            throw bad(String.valueOf(text), "must not be blank");
        }
        return new CronSchedule(text);
    }

    /** The first time strictly after {@code after} (to the minute) that the schedule fires. */
    Optional<Instant> next(Instant after) {
        ZonedDateTime t =
                after.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        ZonedDateTime limit = t.plusYears(5);
        while (t.isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
                continue;
            }
            if (!dayMatches(t)) {
                t = t.withHour(0).withMinute(0).plusDays(1);
                continue;
            }
            if (!hours.get(t.getHour())) {
                t = t.withMinute(0).plusHours(1);
                continue;
            }
            if (!minutes.get(t.getMinute())) {
                t = t.plusMinutes(1);
                continue;
            }
            return Optional.of(t.toInstant());
        }
        return Optional.empty();
    }

    private boolean dayMatches(ZonedDateTime t) {
        boolean dom = days.get(t.getDayOfMonth());
        boolean dow = weekdays.get(t.getDayOfWeek().getValue() % 7);
        if (anyDay && anyWeekday) {
            return true;
        }
        if (anyDay) {
            return dow;
        }
        if (anyWeekday) {
            return dom;
        }
        return dom || dow;
    }

    private static BitSet field(String text, String f, int min, int max) {
        BitSet out = new BitSet(max + 1);
        for (String part : f.split(",")) {
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                step = number(text, part.substring(slash + 1), 1, max);
                range = part.substring(0, slash);
            }
            int lo;
            int hi;
            if (range.equals("*")) {
                lo = min;
                hi = max;
            } else if (range.contains("-")) {
                lo = number(text, range.substring(0, range.indexOf('-')), min, max);
                hi = number(text, range.substring(range.indexOf('-') + 1), min, max);
                if (hi < lo) {
                    throw bad(text, "range " + range + " runs backwards");
                }
            } else {
                lo = number(text, range, min, max);
                hi = slash >= 0 ? max : lo;
            }
            for (int i = lo; i <= hi; i += step) {
                out.set(i);
            }
        }
        return out;
    }

    private static int number(String text, String s, int min, int max) {
        try {
            int n = Integer.parseInt(s);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw bad(text, "\"" + s + "\" is not a number from " + min + " to " + max);
    }

    private static SpotDrillConfigurationException bad(String text, String problem) {
        return new SpotDrillConfigurationException("CronJob schedule \"" + text + "\" " + problem
                + "; write five cron fields, for example \"0 */6 * * *\" (every 6 hours)");
    }

    @Override
    public String toString() {
        return text;
    }
}
