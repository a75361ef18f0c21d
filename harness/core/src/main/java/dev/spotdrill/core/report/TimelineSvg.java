package dev.spotdrill.core.report;

import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Draws a drill's timeline as a self-contained SVG picture, with no browser or library.
 *
 * <p>The x axis is world time in seconds from START. START and INTERRUPTION are vertical lines across the
 * picture. Each target has a lane: its observations are labelled marks, its REBALANCE and NOTICE moments are
 * dashed lines, and each of its expectations is a bar from the window's start to its deadline, with a green
 * ✓ where it was met or a red ✗ at the deadline with the last state seen. All text is redacted and escaped.
 */
public final class TimelineSvg {
    static final double PLOT_WIDTH = 900;
    static final int LABEL_LEVELS = 3;

    private static final double CHAR_WIDTH = 6.6;
    private static final double SMALL_CHAR_WIDTH = 5.8;
    private static final double RIGHT_WIDTH = 380;
    private static final double MARGIN = 12;
    private static final double LANE_HEADER = 30;
    private static final double LEVEL_HEIGHT = 12;
    private static final double MARK_ROW = 14;
    private static final double VERDICT_ROW = 18;
    private static final double LANE_GAP = 8;
    private static final double LABEL_OFFSET = 4;
    private static final double LABEL_GAP = 8;
    private static final String MET = "#1a7f37";
    private static final String MISSED = "#cf222e";
    /** Sources get these colours in the order they first appear on the timeline. */
    private static final List<String> PALETTE =
            List.of("#8250df", "#0969da", "#1f883d", "#bf8700", "#e16f24", "#bc4c00", "#1b7c83", "#57606a");

    private TimelineSvg() {}

    /** The picture of a finished drill: its targets, timeline and verdicts, titled with the test and world. */
    public static String render(DrillInfo drill, DrillReport report) {
        Objects.requireNonNull(drill, "drill");
        Objects.requireNonNull(report, "report");
        World w = drill.world();
        StringBuilder sub = new StringBuilder();
        sub.append("world ")
                .append(w.name())
                .append(" · ")
                .append(w.region())
                .append(" · pace ")
                .append(number(w.clock().pace()))
                .append(
                        drill.spec().observationOnly()
                                ? " · observation-only"
                                : " · lead time " + drill.spec().leadTimeText());
        report.experimentId().ifPresent(id -> sub.append(" · experiment ").append(id));
        report.experimentStatus().ifPresent(s -> sub.append(" (").append(s).append(')'));
        report.failure().ifPresent(f -> sub.append(" · drill failed: ").append(ReportText.oneLine(f.getMessage())));
        return render(
                drill.testName() + " · drill " + drill.runId(),
                sub.toString(),
                report.timeline(),
                report.targets(),
                report.verdicts());
    }

    /**
     * The picture of a timeline, for callers without a {@link DrillReport}.
     *
     * @param title the heading, e.g. the test name
     * @param subtitle a second line, e.g. the world; may be empty
     */
    public static String render(
            String title, String subtitle, Timeline timeline, List<Target> targets, List<Verdict> verdicts) {
        Objects.requireNonNull(timeline, "timeline");
        return new Layout(
                        title == null ? "" : title,
                        subtitle == null ? "" : subtitle,
                        timeline,
                        List.copyOf(targets),
                        List.copyOf(verdicts))
                .draw();
    }

    /** One horizontal band of the picture: the drill's own facts, or one target. */
    private static final class Lane {
        final String id;
        final String label;
        final List<Observation> observations = new ArrayList<>();
        final List<Verdict> verdicts = new ArrayList<>();
        double top;
        double height;

        Lane(String id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    private static final class Layout {
        final String title;
        final String subtitle;
        final Timeline timeline;
        final Optional<Instant> start;
        final Instant origin;
        final List<Lane> lanes = new ArrayList<>();
        final StringBuilder svg = new StringBuilder(64 * 1024);
        final Set<String> sources = new LinkedHashSet<>();

        /** A source's colour: by the order sources first appear, so no source is named here. */
        String color(String source) {
            int i = new ArrayList<>(sources).indexOf(source);
            return PALETTE.get(Math.floorMod(i < 0 ? source.hashCode() : i, PALETTE.size()));
        }

        double t0;
        double t1;
        double plotLeft;
        double plotTop;
        double plotBottom;
        double width;
        int hiddenLabels;

        Layout(String title, String subtitle, Timeline timeline, List<Target> targets, List<Verdict> verdicts) {
            this.title = title;
            this.subtitle = subtitle;
            this.timeline = timeline;
            this.start = timeline.startTime();
            List<Observation> observations = new ArrayList<>(timeline.observations());
            observations.sort(Comparator.comparing(Observation::at));

            Map<String, Lane> byId = new LinkedHashMap<>();
            Lane drillLane = new Lane("", "drill");
            for (Target t : targets) {
                byId.putIfAbsent(t.instanceId(), new Lane(t.instanceId(), t.describe()));
            }
            for (Verdict v : verdicts) {
                if (v.target().isDrill()) {
                    drillLane.verdicts.add(v);
                    continue;
                }
                byId.computeIfAbsent(
                                v.target().instanceId(),
                                id -> new Lane(id, v.target().describe()))
                        .verdicts
                        .add(v);
            }
            for (Observation o : observations) {
                Lane lane =
                        o.targetId().isEmpty() ? drillLane : byId.computeIfAbsent(o.targetId(), id -> new Lane(id, id));
                lane.observations.add(o);
                sources.add(o.source());
            }
            if (!drillLane.observations.isEmpty() || !drillLane.verdicts.isEmpty()) {
                lanes.add(drillLane);
            }
            lanes.addAll(byId.values());

            this.origin = start.or(
                            () -> observations.stream().map(Observation::at).findFirst())
                    .or(() -> verdicts.stream()
                            .flatMap(v -> Stream.of(v.windowStart(), v.deadline(), v.metAt())
                                    .flatMap(Optional::stream))
                            .min(Comparator.naturalOrder()))
                    .orElse(Instant.EPOCH);
            range(observations, verdicts);
        }

        private void range(List<Observation> observations, List<Verdict> verdicts) {
            double min = 0;
            double max = 0;
            List<Instant> all = new ArrayList<>();
            timeline.interruptionTime().ifPresent(all::add);
            observations.forEach(o -> all.add(o.at()));
            for (Verdict v : verdicts) {
                v.windowStart().ifPresent(all::add);
                v.deadline().ifPresent(all::add);
                v.metAt().ifPresent(all::add);
            }
            for (Instant i : all) {
                double s = sec(i);
                min = Math.min(min, s);
                max = Math.max(max, s);
            }
            if (max - min < 1) {
                max = min + 1;
            }
            double pad = (max - min) * 0.03;
            t0 = min < 0 ? min - pad : min;
            t1 = max + pad;
        }

        double sec(Instant at) {
            return Duration.between(origin, at).toMillis() / 1000.0;
        }

        double x(Instant at) {
            return x(sec(at));
        }

        double x(double s) {
            return plotLeft + (s - t0) / (t1 - t0) * PLOT_WIDTH;
        }

        String draw() {
            int labelChars = 24;
            for (Lane lane : lanes) {
                labelChars = Math.max(labelChars, lane.label.length());
                for (Verdict v : lane.verdicts) {
                    labelChars = Math.max(labelChars, v.expectation().length() + 2);
                }
            }
            labelChars = Math.min(labelChars, 64);
            plotLeft = MARGIN + labelChars * CHAR_WIDTH + 12;
            width = plotLeft + PLOT_WIDTH + 16 + RIGHT_WIDTH + MARGIN;
            plotTop = 78;

            double y = plotTop + 4;
            for (Lane lane : lanes) {
                lane.top = y;
                lane.height =
                        LANE_HEADER + LABEL_LEVELS * LEVEL_HEIGHT + MARK_ROW + lane.verdicts.size() * VERDICT_ROW + 6;
                y += lane.height + LANE_GAP;
            }
            if (lanes.isEmpty()) {
                y += 40;
            }
            plotBottom = y;
            double legendTop = plotBottom + 14;
            double height = legendTop + 64;

            svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                    .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                    .append(n(width))
                    .append("\" height=\"")
                    .append(n(height))
                    .append("\" viewBox=\"0 0 ")
                    .append(n(width))
                    .append(' ')
                    .append(n(height))
                    .append("\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n");
            svg.append("<title>").append(esc(title)).append("</title>\n");
            svg.append("<rect x=\"0\" y=\"0\" width=\"")
                    .append(n(width))
                    .append("\" height=\"")
                    .append(n(height))
                    .append("\" fill=\"#ffffff\"/>\n");
            text(MARGIN, 20, title, "start", "font-size=\"15\" font-weight=\"bold\"", null);
            String times = start.isPresent()
                    ? "x: world time in seconds from START (" + start.get() + ")"
                    : "x: world time in seconds from the first observation; START never came";
            text(MARGIN, 38, subtitle.isEmpty() ? times : subtitle + " · " + times, "start", "fill=\"#57606a\"", null);

            axis();
            for (int i = 0; i < lanes.size(); i++) {
                lane(lanes.get(i), i);
            }
            if (lanes.isEmpty()) {
                text(
                        plotLeft + 8,
                        plotTop + 28,
                        "no targets, observations or verdicts",
                        "start",
                        "fill=\"#57606a\"",
                        null);
            }
            globalMoments();
            legend(legendTop);
            svg.append("</svg>\n");
            return Redactor.redact(svg.toString());
        }

        private void axis() {
            double span = t1 - t0;
            double[] steps = {0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200};
            double step = steps[steps.length - 1];
            for (double s : steps) {
                if (span / s <= 12) {
                    step = s;
                    break;
                }
            }
            svg.append("<g class=\"axis\">\n");
            line(plotLeft, plotTop, plotLeft + PLOT_WIDTH, plotTop, "#57606a", 1, null);
            for (double s = Math.ceil(t0 / step) * step; s <= t1 + 1e-9; s += step) {
                double x = x(s);
                line(x, plotTop, x, plotBottom, "#eaeef2", 1, null);
                line(x, plotTop - 4, x, plotTop, "#57606a", 1, null);
                text(x, plotTop - 7, tick(s), "middle", "font-size=\"10\" fill=\"#57606a\"", null);
            }
            svg.append("</g>\n");
        }

        private void lane(Lane lane, int index) {
            svg.append("<g class=\"lane\" data-target=\"").append(esc(lane.id)).append("\">\n");
            svg.append("<rect x=\"")
                    .append(n(MARGIN / 2))
                    .append("\" y=\"")
                    .append(n(lane.top))
                    .append("\" width=\"")
                    .append(n(width - MARGIN))
                    .append("\" height=\"")
                    .append(n(lane.height))
                    .append("\" fill=\"")
                    .append(index % 2 == 0 ? "#f6f8fa" : "#ffffff")
                    .append("\" stroke=\"#d0d7de\"/>\n");
            text(MARGIN, lane.top + 14, lane.label, "start", "font-weight=\"bold\"", labelChars());

            if (!lane.id.isEmpty()) {
                Optional<Instant> rebalance = timeline.moment(Moment.REBALANCE, lane.id);
                Optional<Instant> notice = timeline.moment(Moment.NOTICE, lane.id);
                laneMoment(lane, Moment.REBALANCE, rebalance, "#bf8700", lane.top + 13);
                // a NOTICE close to the REBALANCE gets its label on the row below, so that the two do not overlap
                boolean close = rebalance.isPresent()
                        && notice.isPresent()
                        && Math.abs(x(notice.get()) - x(rebalance.get())) < 110;
                laneMoment(lane, Moment.NOTICE, notice, "#8250df", lane.top + (close ? 25 : 13));
            }
            observations(lane);
            double rowTop = lane.top + LANE_HEADER + LABEL_LEVELS * LEVEL_HEIGHT + MARK_ROW;
            for (Verdict v : lane.verdicts) {
                verdict(v, rowTop + VERDICT_ROW / 2);
                rowTop += VERDICT_ROW;
            }
            svg.append("</g>\n");
        }

        private int labelChars() {
            return (int) ((plotLeft - MARGIN - 12) / CHAR_WIDTH);
        }

        private void laneMoment(Lane lane, Moment moment, Optional<Instant> at, String color, double labelY) {
            if (at.isEmpty()) {
                return;
            }
            double x = x(at.get());
            svg.append("<line class=\"moment\" data-moment=\"")
                    .append(moment)
                    .append("\" x1=\"")
                    .append(n(x))
                    .append("\" y1=\"")
                    .append(n(lane.top + 2))
                    .append("\" x2=\"")
                    .append(n(x))
                    .append("\" y2=\"")
                    .append(n(lane.top + lane.height - 2))
                    .append("\" stroke=\"")
                    .append(color)
                    .append("\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>\n");
            text(
                    x + 3,
                    labelY,
                    moment + " " + ReportText.offset(start, at.get()),
                    "start",
                    "font-size=\"10\" font-weight=\"bold\" fill=\"" + color + "\"",
                    null);
        }

        private void observations(Lane lane) {
            double markY = lane.top + LANE_HEADER + LABEL_LEVELS * LEVEL_HEIGHT + MARK_ROW / 2;
            double[] lastRight = new double[LABEL_LEVELS];
            java.util.Arrays.fill(lastRight, Double.NEGATIVE_INFINITY);
            String lastLabel = "";
            double lastLabelX = Double.NEGATIVE_INFINITY;
            for (Observation o : lane.observations) {
                double x = x(o.at());
                String color = color(o.source());
                String label = markLabel(o);
                double w = label.length() * SMALL_CHAR_WIDTH + 4;
                int level = -1;
                // a run of the same label (e.g. many POD_EVICTED) is labelled once every 120 px
                boolean repeat = label.equals(lastLabel) && x - lastLabelX < 120;
                // labels start just right of their mark (clear of a START line drawn through it), 8 px apart
                double lx = x + LABEL_OFFSET;
                for (int l = 0; !repeat && l < LABEL_LEVELS; l++) {
                    if (lx >= lastRight[l] && lx + w <= plotLeft + PLOT_WIDTH + RIGHT_WIDTH) {
                        level = l;
                        break;
                    }
                }
                String tip = ReportText.offset(start, o.at()) + "  " + o.source() + " " + o.kind()
                        + (o.detail().isEmpty() ? "" : "  " + ReportText.oneLine(o.detail()));
                svg.append("<g class=\"observation\" data-kind=\"")
                        .append(esc(o.kind()))
                        .append("\" data-source=\"")
                        .append(esc(o.source()))
                        .append("\">");
                svg.append("<title>").append(esc(tip)).append("</title>");
                if (level >= 0) {
                    lastRight[level] = lx + w + LABEL_GAP;
                    lastLabel = label;
                    lastLabelX = x;
                    double ly = markY - MARK_ROW / 2 - level * LEVEL_HEIGHT - 2;
                    line(x, markY - 4, x, ly + 2, "#afb8c1", 1, null);
                    text(lx, ly, label, "start", "font-size=\"10\" fill=\"" + color + "\"", null);
                } else {
                    hiddenLabels++;
                }
                svg.append("<circle cx=\"")
                        .append(n(x))
                        .append("\" cy=\"")
                        .append(n(markY))
                        .append("\" r=\"3.5\" fill=\"")
                        .append(color)
                        .append("\"/></g>\n");
            }
        }

        private static String markLabel(Observation o) {
            String extra = o.data().getOrDefault("state", o.data().getOrDefault("status", ""));
            String label = extra.isEmpty() ? o.kind() : o.kind() + " " + extra;
            return label.length() > 32 ? label.substring(0, 31) + "…" : label;
        }

        private void verdict(Verdict v, double cy) {
            String status = v.met() ? "met" : "missed";
            svg.append("<g class=\"expectation\" data-expectation=\"")
                    .append(esc(v.expectation()))
                    .append("\" data-target=\"")
                    .append(esc(v.target().instanceId()))
                    .append("\" data-verdict=\"")
                    .append(status)
                    .append("\">\n");
            text(MARGIN + 12, cy + 4, v.expectation(), "start", null, labelChars() - 2);
            String color = v.met() ? MET : MISSED;
            if (v.windowStart().isPresent() && v.deadline().isPresent()) {
                double x1 = x(v.windowStart().get());
                double x2 = Math.max(x(v.deadline().get()), x1 + 1);
                svg.append("<rect class=\"window\" x=\"")
                        .append(n(x1))
                        .append("\" y=\"")
                        .append(n(cy - 5))
                        .append("\" width=\"")
                        .append(n(x2 - x1))
                        .append("\" height=\"10\" rx=\"2\" fill=\"")
                        .append(v.met() ? "#dafbe1" : "#ffebe9")
                        .append("\" stroke=\"")
                        .append(color)
                        .append("\" stroke-width=\"0.8\"><title>")
                        .append(esc(v.window().describe() + ": "
                                + ReportText.offset(start, v.windowStart().get()) + " .. "
                                + ReportText.offset(start, v.deadline().get())))
                        .append("</title></rect>\n");
            } else if (v.windowStart().isEmpty()) {
                text(
                        plotLeft + 4,
                        cy + 4,
                        "window never opened: " + v.window().from() + " was not seen",
                        "start",
                        "font-style=\"italic\" fill=\"#57606a\"",
                        null);
            }
            double markX;
            if (v.met()) {
                markX = x(v.metAt().get());
            } else {
                markX = v.deadline().map(this::x).orElse(plotLeft + PLOT_WIDTH - 6);
            }
            svg.append("<text class=\"verdict-mark ")
                    .append(status)
                    .append("\" x=\"")
                    .append(n(markX))
                    .append("\" y=\"")
                    .append(n(cy + 5))
                    .append("\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\" fill=\"")
                    .append(color)
                    .append("\">")
                    .append(v.met() ? "✓" : "✗")
                    .append("</text>\n");
            String deadline = v.deadline().map(t -> ReportText.offset(start, t)).orElse("unknown");
            String summary = v.met()
                    ? "✓ met " + ReportText.offset(start, v.metAt().get()) + " (deadline " + deadline + ")"
                    : "✗ missed at deadline " + deadline
                            + (v.lastSeen().isEmpty() ? "" : " · last seen: " + ReportText.oneLine(v.lastSeen()));
            text(
                    plotLeft + PLOT_WIDTH + 16,
                    cy + 4,
                    summary,
                    "start",
                    "class=\"verdict-text\" fill=\"" + color + "\"",
                    (int) (RIGHT_WIDTH / CHAR_WIDTH));
            svg.append("</g>\n");
        }

        private void globalMoments() {
            svg.append("<g class=\"moments\">\n");
            start.ifPresent(s -> globalMoment(Moment.START, s, "#1f883d"));
            timeline.interruptionTime().ifPresent(t -> globalMoment(Moment.INTERRUPTION, t, MISSED));
            svg.append("</g>\n");
        }

        private void globalMoment(Moment moment, Instant at, String color) {
            double x = x(at);
            svg.append("<line class=\"moment\" data-moment=\"")
                    .append(moment)
                    .append("\" x1=\"")
                    .append(n(x))
                    .append("\" y1=\"")
                    .append(n(plotTop - 26))
                    .append("\" x2=\"")
                    .append(n(x))
                    .append("\" y2=\"")
                    .append(n(plotBottom))
                    .append("\" stroke=\"")
                    .append(color)
                    .append("\" stroke-width=\"2\"/>\n");
            text(
                    x,
                    plotTop - 28,
                    moment + " " + ReportText.offset(start, at),
                    "middle",
                    "font-size=\"11\" font-weight=\"bold\" fill=\"" + color + "\"",
                    null);
        }

        private void legend(double top) {
            svg.append("<g class=\"legend\">\n");
            double x = MARGIN;
            double y = top + 12;
            // an observation-only drill has no INTERRUPTION, and REBALANCE and NOTICE only if a source saw them
            boolean interrupting = timeline.interruptionTime().isPresent();
            boolean moments = interrupting
                    || timeline.moment(Moment.REBALANCE, "").isPresent()
                    || timeline.moment(Moment.NOTICE, "").isPresent();
            line(x, y - 10, x, y + 2, "#1f883d", 2, null);
            text(x + 6, y, interrupting ? "START / INTERRUPTION (red)" : "START", "start", null, null);
            x += interrupting ? 190 : 60;
            if (moments) {
                line(x, y - 10, x, y + 2, "#bf8700", 1.5, "5,3");
                text(x + 6, y, "REBALANCE", "start", null, null);
                x += 90;
                line(x, y - 10, x, y + 2, "#8250df", 1.5, "5,3");
                text(x + 6, y, "NOTICE (per target)", "start", null, null);
                x += 140;
            }
            svg.append("<rect x=\"")
                    .append(n(x))
                    .append("\" y=\"")
                    .append(n(y - 9))
                    .append("\" width=\"36\" height=\"10\" fill=\"#dafbe1\" stroke=\"")
                    .append(MET)
                    .append("\"/>\n");
            text(x + 42, y, "window start .. deadline", "start", null, null);
            x += 200;
            text(x, y + 1, "✓", "start", "font-weight=\"bold\" font-size=\"14\" fill=\"" + MET + "\"", null);
            text(x + 14, y, "met at", "start", null, null);
            x += 70;
            text(x, y + 1, "✗", "start", "font-weight=\"bold\" font-size=\"14\" fill=\"" + MISSED + "\"", null);
            text(x + 14, y, "missed at the deadline (last state seen on the right)", "start", null, null);

            x = MARGIN;
            y += 22;
            text(x, y, "observations:", "start", "fill=\"#57606a\"", null);
            x += 90;
            for (String source : sources) {
                String color = color(source);
                svg.append("<circle cx=\"")
                        .append(n(x + 4))
                        .append("\" cy=\"")
                        .append(n(y - 4))
                        .append("\" r=\"3.5\" fill=\"")
                        .append(color)
                        .append("\"/>\n");
                text(x + 11, y, source, "start", null, null);
                x += 24 + source.length() * CHAR_WIDTH;
            }
            if (hiddenLabels > 0) {
                text(
                        x + 10,
                        y,
                        hiddenLabels + " mark labels hidden for space; hover a mark, or read the timeline text",
                        "start",
                        "fill=\"#57606a\"",
                        null);
            }
            svg.append("</g>\n");
        }

        private void line(double x1, double y1, double x2, double y2, String color, double w, String dash) {
            svg.append("<line x1=\"")
                    .append(n(x1))
                    .append("\" y1=\"")
                    .append(n(y1))
                    .append("\" x2=\"")
                    .append(n(x2))
                    .append("\" y2=\"")
                    .append(n(y2))
                    .append("\" stroke=\"")
                    .append(color)
                    .append("\" stroke-width=\"")
                    .append(n(w))
                    .append('"');
            if (dash != null) {
                svg.append(" stroke-dasharray=\"").append(dash).append('"');
            }
            svg.append("/>\n");
        }

        /** A text; when {@code maxChars} is given and exceeded, it is cut with … and the whole text is its tooltip. */
        private void text(double x, double y, String text, String anchor, String attrs, Integer maxChars) {
            String t = Redactor.redact(text);
            boolean cut = maxChars != null && t.length() > maxChars;
            svg.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append('"');
            if (!"start".equals(anchor)) {
                svg.append(" text-anchor=\"").append(anchor).append('"');
            }
            if (attrs != null) {
                svg.append(' ').append(attrs);
            }
            svg.append('>');
            if (cut) {
                svg.append("<title>").append(esc(t)).append("</title>");
                t = t.substring(0, Math.max(1, maxChars - 1)) + "…";
            }
            svg.append(esc(t)).append("</text>\n");
        }
    }

    /** The text escaped for XML content and attributes; characters XML cannot hold are dropped. */
    static String esc(String text) {
        String s = Redactor.redact(text == null ? "" : text);
        StringBuilder sb = new StringBuilder(s.length() + 16);
        s.codePoints().forEach(c -> {
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                case '\n', '\r', '\t' -> sb.append(' ');
                default -> {
                    boolean legal = (c >= 0x20 && c <= 0xD7FF)
                            || (c >= 0xE000 && c <= 0xFFFD)
                            || (c >= 0x10000 && c <= 0x10FFFF);
                    if (legal) {
                        sb.appendCodePoint(c);
                    }
                }
            }
        });
        return sb.toString();
    }

    private static String n(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e9) {
            return Long.toString((long) d);
        }
        return String.format(Locale.ROOT, "%.1f", d);
    }

    /** An axis tick: {@code +30s}, {@code +2.5s}, {@code -1s}. */
    static String tick(double seconds) {
        String t = ReportText.offset(Duration.ofMillis(Math.round(seconds * 1000)));
        return t.endsWith(".0s") ? t.substring(0, t.length() - 3) + "s" : t;
    }

    static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.valueOf(d);
    }
}
