package dev.spotdrill.core.report;

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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Fabricated drill events for the report tests. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");

    private Fixtures() {}

    static World labWorld() {
        return World.builder("lab")
                .region("us-east-1")
                .clock(WorldClock.paced(T0, 60))
                .fact("pace", "60")
                .build();
    }

    static DrillInfo info(World world, List<Expectation> expectations) {
        DrillSpec spec = new DrillSpec(Selector.nodes("workload=checkout"), 1, "PT2M", expectations, 42L);
        return new DrillInfo("run-1", "CheckoutSurvivesSpotLoss.checkoutKeepsServing", world, spec);
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
                return List.of(SourceRequest.of("imds"));
            }

            @Override
            public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
                return Evaluation.notYet("nothing");
            }
        };
    }

    static Target target(int i) {
        return new Target("i-0abc" + i, "m5.large", "us-east-1" + (char) ('a' + i % 3), "ip-10-0-1-" + i, Map.of());
    }

    static Instant at(double seconds) {
        return T0.plusMillis(Math.round(seconds * 1000));
    }

    static Verdict met(String name, Target t, Window w, double windowStart, double deadline, double metAt) {
        return new Verdict(
                name,
                t,
                w,
                Optional.of(at(windowStart)),
                Optional.of(at(deadline)),
                Optional.of(at(metAt)),
                "taint present",
                "");
    }

    static Verdict missed(String name, Target t, Window w, double windowStart, double deadline, String lastSeen) {
        return new Verdict(
                name,
                t,
                w,
                Optional.of(at(windowStart)),
                Optional.of(at(deadline)),
                Optional.empty(),
                lastSeen,
                name + " missed for " + t.instanceId() + ": deadline " + deadline + "s; last seen " + lastSeen);
    }

    /** A timeline started at T0 with a 2-minute lead time, a REBALANCE and NOTICE per target, and extra marks. */
    static Timeline timeline(List<Target> targets, int extraPerTarget) {
        Timeline tl = new Timeline();
        tl.start(T0, Duration.ofMinutes(2));
        tl.add(new Observation(
                at(-1), "fis", "", Observation.Kinds.EXPERIMENT_STATE, "initiating", Map.of("status", "initiating")));
        tl.add(new Observation(
                at(0), "fis", "", Observation.Kinds.EXPERIMENT_STATE, "running", Map.of("status", "running")));
        for (Target t : targets) {
            tl.add(new Observation(
                    at(0.2),
                    "imds",
                    t.instanceId(),
                    Observation.Kinds.REBALANCE,
                    "rebalance recommendation",
                    Map.of("body", "{\"noticeTime\":\"2025-06-01T10:00:00Z\"}")));
            tl.add(new Observation(
                    at(0.4),
                    "imds",
                    t.instanceId(),
                    Observation.Kinds.NOTICE,
                    "instance-action terminate",
                    Map.of("body", "{\"action\":\"terminate\",\"time\":\"2025-06-01T10:02:00Z\"}")));
            tl.markMoment(Moment.REBALANCE, t.instanceId(), at(0.2), "imds");
            tl.markMoment(Moment.NOTICE, t.instanceId(), at(0.4), "imds");
            tl.add(new Observation(
                    at(2.1),
                    "kube",
                    t.instanceId(),
                    "TAINT_ADDED",
                    "aws-node-termination-handler/spot-itn:NoSchedule",
                    Map.of()));
            for (int k = 0; k < extraPerTarget; k++) {
                tl.add(new Observation(
                        at(3 + k * 1.1),
                        "kube",
                        t.instanceId(),
                        "POD_EVICTED",
                        "pod shop/checkout-" + k + " evicted",
                        Map.of()));
            }
        }
        return tl;
    }

    static DrillReport report(List<Target> targets, Timeline tl, List<Verdict> verdicts, Throwable failure) {
        return new DrillReport(
                targets,
                42L,
                Optional.of("EXT123"),
                Optional.of("EXP456"),
                Optional.of("completed"),
                Optional.of("{\"experiment\":{\"id\":\"EXP456\"}}"),
                Optional.of("{\"description\":\"spotdrill run-1\"}"),
                tl,
                verdicts,
                Optional.ofNullable(failure),
                Map.of());
    }

    /** n targets x m expectations: even ones met, odd ones missed. */
    static List<Verdict> verdicts(List<Target> targets, int m) {
        List<Verdict> out = new ArrayList<>();
        for (Target t : targets) {
            for (int e = 0; e < m; e++) {
                String name = "@ExpectTaint(key=\"spot-itn-" + e + "\", from=NOTICE, within=\"PT30S\")";
                Window w = Window.of(Moment.NOTICE, Duration.ofSeconds(30));
                out.add(
                        e % 2 == 0
                                ? met(name, t, w, 0.4, 30.4, 2.1 + e)
                                : missed(name, t, w, 0.4, 30.4, "no taint on node"));
            }
        }
        return out;
    }
}
