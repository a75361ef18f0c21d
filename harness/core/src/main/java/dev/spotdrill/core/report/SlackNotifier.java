package dev.spotdrill.core.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.Secret;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.JvmExit;
import dev.spotdrill.core.drill.Verdict;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells Slack when a night failed: one message per JVM, posted when the JVM ends, if at least one of its drills failed.
 * The message says which drills missed what (or failed how), and links the report when {@value #REPORT_URL} is set.
 * Found by {@link java.util.ServiceLoader}; nothing in the tests calls it.
 *
 * <p>The webhook comes from the environment variable {@value #WEBHOOK_ENV} only, never from a configuration file or a
 * system property, and is held as a {@link Secret}: it never shows in a log, a report or an exception. Without it,
 * nothing is posted.
 *
 * <p>"A night" is one JVM: a nightly job runs the suite in one test JVM (surefire's default), so it posts at most once.
 * A suite split over several JVMs (surefire forks, CI shards) posts once per JVM that had a failure.
 */
public final class SlackNotifier implements DrillListener {
    /** The environment variable holding the incoming-webhook URL. */
    public static final String WEBHOOK_ENV = "SPOTDRILL_NOTIFY_SLACK_WEBHOOK";
    /** The report's URL for the message (system property, or {@code SPOTDRILL_REPORT_URL}). */
    public static final String REPORT_URL = "spotdrill.report.url";

    private final Night night;

    /** The JVM's night, posting at JVM end; the constructor that ServiceLoader uses. */
    public SlackNotifier() {
        this(Night.shared());
    }

    /** A listener adding to the given night. */
    public SlackNotifier(Night night) {
        this.night = Objects.requireNonNull(night, "night");
    }

    @Override
    public void drillFinished(DrillInfo drill, DrillReport report) {
        night.add(drill, report);
    }

    /** The drills of one night (one JVM) and the one message about them. */
    public static final class Night {
        private static final Logger LOG = LoggerFactory.getLogger(SlackNotifier.class);
        private static final ObjectMapper JSON = new ObjectMapper();
        private static final int MISSES_PER_DRILL = 5;
        private static volatile Night shared;

        private final Optional<Secret> webhook;
        private final Optional<String> reportUrl;
        private final boolean postAtExit;
        private final List<String> failed = new ArrayList<>();
        private int drills;
        private String world = "";
        private boolean posted;
        private boolean exitTask;

        private Night(Optional<Secret> webhook, Optional<String> reportUrl, boolean postAtExit) {
            this.webhook = webhook;
            this.reportUrl = reportUrl;
            this.postAtExit = postAtExit;
        }

        /** The JVM's night: the webhook from {@value #WEBHOOK_ENV}, posted when the JVM ends. */
        public static Night shared() {
            if (shared == null) {
                synchronized (Night.class) {
                    if (shared == null) {
                        Optional<Secret> hook = Optional.ofNullable(System.getenv(WEBHOOK_ENV))
                                .filter(s -> !s.isBlank())
                                .map(Secret::of);
                        Optional<String> url = Optional.ofNullable(System.getProperty(REPORT_URL))
                                .or(() -> Optional.ofNullable(System.getenv("SPOTDRILL_REPORT_URL")))
                                .filter(s -> !s.isBlank());
                        shared = new Night(hook, url, true);
                    }
                }
            }
            return shared;
        }

        /** A night posting to the given webhook only when told ({@link #post()}), for tests and tools. */
        public static Night of(Secret webhook, Optional<String> reportUrl) {
            return new Night(Optional.of(webhook), reportUrl, false);
        }

        /** Counts a finished drill, and remembers it when it failed. */
        public synchronized void add(DrillInfo drill, DrillReport report) {
            drills++;
            World w = drill.world();
            world = "world " + w.name() + ", " + w.region();
            if (!report.passed()) {
                failed.add(describe(drill, report));
            }
            if (postAtExit && webhook.isPresent() && !exitTask) {
                exitTask = true;
                JvmExit.onExit("slack", this::post);
            }
        }

        /** The message about the night so far, when a drill failed; never the webhook. */
        public synchronized Optional<String> message() {
            if (failed.isEmpty()) {
                return Optional.empty();
            }
            StringBuilder sb = new StringBuilder("spotdrill: ")
                    .append(failed.size())
                    .append(" of ")
                    .append(drills)
                    .append(" drill")
                    .append(drills == 1 ? "" : "s")
                    .append(" failed (")
                    .append(world)
                    .append(")");
            failed.forEach(f -> sb.append('\n').append(f));
            reportUrl.ifPresent(u -> sb.append("\nReport: ").append(u));
            return Optional.of(Redactor.redact(sb.toString()));
        }

        /**
         * Posts the message once, if a drill failed and there is a webhook; returns whether it posted. A failure to post
         * is logged (without the webhook) and never thrown.
         */
        public synchronized boolean post() {
            Optional<String> text = message();
            if (posted || text.isEmpty() || webhook.isEmpty()) {
                return false;
            }
            posted = true;
            try {
                String body = JSON.writeValueAsString(Map.of("text", slack(text.get())));
                HttpClient http = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
                HttpRequest request = HttpRequest.newBuilder(
                                URI.create(webhook.get().reveal()))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                        .build();
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 != 2) {
                    LOG.warn(
                            "spotdrill: Slack answered {} {} to the night's message; check {}",
                            r.statusCode(),
                            Redactor.redact(r.body()),
                            WEBHOOK_ENV);
                    return false;
                }
                return true;
            } catch (IOException | IllegalArgumentException e) {
                LOG.warn(
                        "spotdrill: could not post the night's message to Slack ({}); check {}",
                        Redactor.redact(e.getClass().getSimpleName() + ": " + e.getMessage()),
                        WEBHOOK_ENV);
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        /** {@code • Test.method (sd-...): what it missed, or how it failed}. */
        private static String describe(DrillInfo drill, DrillReport report) {
            StringBuilder sb = new StringBuilder("• ")
                    .append(drill.testName())
                    .append(" (")
                    .append(drill.runId())
                    .append("): ");
            List<String> misses = new ArrayList<>();
            for (Verdict v : report.verdicts()) {
                if (!v.met()) {
                    String first = v.message().lines().findFirst().orElse(v.expectation() + " missed");
                    misses.add(first
                            + v.deadline()
                                    .map(d -> " (deadline "
                                            + ReportText.offset(
                                                    report.timeline().startTime(), d) + ")")
                                    .orElse(""));
                }
            }
            if (!misses.isEmpty()) {
                List<String> shown = misses.subList(0, Math.min(MISSES_PER_DRILL, misses.size()));
                sb.append(String.join("; ", shown));
                if (misses.size() > shown.size()) {
                    sb.append("; and ").append(misses.size() - shown.size()).append(" more");
                }
            }
            report.failure().ifPresent(f -> {
                if (!misses.isEmpty()) {
                    sb.append("; ");
                }
                String m = String.valueOf(f.getMessage());
                sb.append(m.lines().findFirst().orElse(f.getClass().getSimpleName()));
            });
            return sb.toString();
        }

        /** Slack's mrkdwn needs &, < and > escaped. */
        private static String slack(String text) {
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        }

        @Override
        public synchronized String toString() {
            return "SlackNotifier.Night[" + drills + " drills, " + failed.size() + " failed, webhook "
                    + (webhook.isPresent() ? "set" : "not set") + "]";
        }
    }
}
