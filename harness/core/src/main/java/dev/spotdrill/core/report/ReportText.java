package dev.spotdrill.core.report;

import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * The short texts that every report shares: world-time offsets from START and one-line verdicts.
 *
 * <p>Every method returns redacted text, so its result can go to a console or a report as it is.
 */
public final class ReportText {
    private ReportText() {}

    /**
     * A world-time offset in seconds with one decimal, e.g. {@code +2.1s}, {@code +30.0s} or {@code -1.5s}: the
     * same form as the engine's failure messages and text timeline, so one moment reads the same everywhere.
     */
    public static String offset(Duration d) {
        double s = d.toMillis() / 1000.0;
        String n = String.format(Locale.ROOT, "%.1f", Math.abs(s));
        boolean negative = s < 0 && !n.equals("0.0");
        return (negative ? "-" : "+") + n + "s";
    }

    /** The offset of {@code at} from START, or the instant itself when START is not known. */
    public static String offset(Optional<Instant> start, Instant at) {
        return start.map(s -> offset(Duration.between(s, at))).orElse(at.toString());
    }

    /**
     * One verdict as a line, for example
     * {@code i-0abc NOTICE +0.4s · @ExpectTaint(...) ✓ +2.1s (deadline +30.4s)} or
     * {@code i-0abc START +0.0s · @ExpectDrain ✗ missed (deadline +120.0s), last seen: 2 pods left}.
     *
     * @param start START, to measure offsets from
     */
    public static String verdictLine(Verdict v, Optional<Instant> start) {
        StringBuilder sb = new StringBuilder();
        sb.append(v.target().instanceId()).append(' ').append(v.window().from());
        Moment from = v.window().from();
        sb.append(' ')
                .append(v.windowStart().map(t -> offset(start, t)).orElse("never came"))
                .append(" · ")
                .append(v.expectation())
                .append(' ');
        String deadline = v.deadline().map(t -> offset(start, t)).orElse("unknown");
        if (v.met()) {
            sb.append("✓ ").append(offset(start, v.metAt().orElseThrow()));
            sb.append(" (deadline ").append(deadline).append(')');
        } else {
            sb.append("✗ missed (deadline ").append(deadline).append(')');
            if (v.windowStart().isEmpty()) {
                sb.append(": the window never opened, ").append(from).append(" was not seen");
            }
            if (!v.lastSeen().isEmpty()) {
                sb.append(", last seen: ").append(oneLine(v.lastSeen()));
            }
        }
        return Redactor.redact(sb.toString());
    }

    /** The text on one line: line breaks and tabs become spaces. */
    static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ").strip();
    }
}
