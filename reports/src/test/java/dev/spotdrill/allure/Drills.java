package dev.spotdrill.allure;

import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Evaluation;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.drill.Window;
import io.qameta.allure.AllureResultsWriter;
import io.qameta.allure.model.TestResult;
import io.qameta.allure.model.TestResultContainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Fabricated drills and an in-memory Allure results writer, for the listener tests. */
final class Drills {
    static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
    static final Window NOTICE_30S = Window.of(Moment.NOTICE, Duration.ofSeconds(30));
    static final String TAINT =
            "@ExpectTaint(key=\"aws-node-termination-handler/spot-itn\", from=NOTICE, within=\"PT30S\")";
    static final String DRAIN = "@ExpectDrain";

    private Drills() {}

    static World lab() {
        return World.builder("lab")
                .region("us-east-1")
                .clock(WorldClock.paced(T0, 60))
                .fact("pace", "60")
                .build();
    }

    static DrillInfo info(World world, String runId) {
        DrillSpec spec = new DrillSpec(
                Selector.nodes("workload=checkout"),
                1,
                "PT2M",
                List.of(expectation(TAINT, NOTICE_30S), expectation(DRAIN, Window.untilInterruption())),
                42L);
        return new DrillInfo(runId, "CheckoutSurvivesSpotLoss.checkoutKeepsServing", world, spec);
    }

    static Expectation expectation(String name, Window window) {
        return new Expectation() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Window window() {
                return window;
            }

            @Override
            public List<SourceRequest> sources() {
                return List.of(SourceRequest.of("kube"));
            }

            @Override
            public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
                return Evaluation.notYet("");
            }
        };
    }

    static Instant at(double seconds) {
        return T0.plusMillis(Math.round(seconds * 1000));
    }

    static final Target TARGET = new Target("i-0abc", "m5.large", "us-east-1a", "ip-10-0-1-1", Map.of());

    static Timeline timeline() {
        Timeline tl = new Timeline();
        tl.start(T0, Duration.ofMinutes(2));
        tl.add(new Observation(
                at(0), "fis", "", Observation.Kinds.EXPERIMENT_STATE, "running", Map.of("status", "running")));
        tl.add(new Observation(
                at(0.2),
                "imds",
                "i-0abc",
                Observation.Kinds.REBALANCE,
                "rebalance recommendation",
                Map.of("body", "{\"noticeTime\":\"2025-06-01T10:00:00Z\"}")));
        tl.add(new Observation(
                at(0.4),
                "imds",
                "i-0abc",
                Observation.Kinds.NOTICE,
                "instance-action terminate",
                Map.of("body", "{\"action\":\"terminate\",\"time\":\"2025-06-01T10:02:00Z\"}", "action", "terminate")));
        tl.markMoment(Moment.REBALANCE, "i-0abc", at(0.2), "imds");
        tl.markMoment(Moment.NOTICE, "i-0abc", at(0.4), "imds");
        tl.add(new Observation(
                at(2.1),
                "kube",
                "i-0abc",
                "TAINT_ADDED",
                "aws-node-termination-handler/spot-itn:NoSchedule on ip-10-0-1-1",
                Map.of()));
        return tl;
    }

    static Verdict met() {
        return new Verdict(
                TAINT,
                TARGET,
                NOTICE_30S,
                Optional.of(at(0.4)),
                Optional.of(at(30.4)),
                Optional.of(at(2.1)),
                "taint present",
                "");
    }

    static Verdict missed() {
        return new Verdict(
                DRAIN,
                TARGET,
                Window.untilInterruption(),
                Optional.of(at(0)),
                Optional.of(at(120)),
                Optional.empty(),
                "2 pods left on ip-10-0-1-1",
                "@ExpectDrain missed for i-0abc (m5.large, us-east-1a, node ip-10-0-1-1): deadline +120s; last seen 2 pods left");
    }

    static DrillReport report(Timeline tl, List<Verdict> verdicts, Throwable failure, Map<String, String> attachments) {
        return new DrillReport(
                List.of(TARGET),
                42L,
                Optional.of("EXT123"),
                Optional.of("EXP456"),
                Optional.of("completed"),
                Optional.of("{\"experiment\":{\"id\":\"EXP456\",\"state\":{\"status\":\"completed\"}}}"),
                Optional.of("{\"description\":\"spotdrill run-1\"}"),
                tl,
                verdicts,
                Optional.ofNullable(failure),
                attachments);
    }

    /** Keeps what Allure writes in memory. */
    static final class MemoryWriter implements AllureResultsWriter {
        final List<TestResult> results = new CopyOnWriteArrayList<>();
        final Map<String, String> attachments = new ConcurrentHashMap<>();

        @Override
        public void write(TestResult testResult) {
            results.add(testResult);
        }

        @Override
        public void write(TestResultContainer testResultContainer) {}

        @Override
        public void write(String source, InputStream attachment) {
            try {
                attachments.put(source, new String(attachment.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
