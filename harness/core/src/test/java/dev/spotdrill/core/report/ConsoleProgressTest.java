package dev.spotdrill.core.report;

import static dev.spotdrill.core.report.Fixtures.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.Secret;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Phase;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.drill.Window;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final ConsoleProgress console = new ConsoleProgress(lines::add);
    private final Target target = new Target("i-0abc", "m5.large", "us-east-1a", "ip-10-0-1-1", Map.of());
    private final DrillInfo drill = Fixtures.info(Fixtures.labWorld(), List.of());

    @Test
    void printsOneLinePerPhaseMomentAndVerdictWithOffsetsFromStart() {
        console.drillStarted(drill);
        console.phaseStarted(drill, Phase.RESOLVE);
        console.targetsResolved(drill, List.of(target), 42);
        console.phaseFinished(drill, Phase.RESOLVE, null);
        console.templateCreated(drill, "EXT123", "{}");
        console.experimentStarted(drill, "EXP456");
        console.momentReached(drill, Moment.START, "", at(0));
        console.momentReached(drill, Moment.NOTICE, "i-0abc", at(0.4));
        console.progress(drill, "waiting for 3 expectations\nuntil +120s");
        console.verdict(
                drill,
                Fixtures.met(
                        "taint spot-itn", target, Window.of(Moment.NOTICE, Duration.ofSeconds(30)), 0.4, 30.4, 2.1));
        console.verdict(drill, Fixtures.missed("@ExpectDrain", target, Window.untilInterruption(), 0, 120, "2 pods"));
        console.drillFinished(
                drill, Fixtures.report(List.of(target), new dev.spotdrill.core.drill.Timeline(), List.of(), null));

        assertThat(lines)
                .allMatch(l -> l.startsWith("[spotdrill] "))
                .containsExactly(
                        "[spotdrill] CheckoutSurvivesSpotLoss.checkoutKeepsServing · drill run-1 · world lab (us-east-1, pace 60)"
                                + " · lead time PT2M · 0 expectations",
                        "[spotdrill] RESOLVE …",
                        "[spotdrill] 1 target (seed 42): i-0abc (m5.large, us-east-1a, node ip-10-0-1-1)",
                        "[spotdrill] FIS template EXT123 created",
                        "[spotdrill] FIS experiment EXP456 started",
                        "[spotdrill] START +0.0s",
                        "[spotdrill] i-0abc NOTICE +0.4s",
                        "[spotdrill] waiting for 3 expectations until +120s",
                        "[spotdrill] i-0abc NOTICE +0.4s · taint spot-itn ✓ +2.1s (deadline +30.4s)",
                        "[spotdrill] i-0abc START +0.0s · @ExpectDrain ✗ missed (deadline +120.0s), last seen: 2 pods",
                        "[spotdrill] drill run-1 passed: 0/0 met · experiment EXP456 completed");
    }

    @Test
    void anObservationOnlyDrillSaysSoInsteadOfALeadTimeAndTargets() {
        DrillInfo only = new DrillInfo(
                "run-2",
                "BlacklistChecks.nightly",
                Fixtures.labWorld(),
                dev.spotdrill.core.drill.DrillSpec.observationOnly(List.of()));
        console.drillStarted(only);
        console.targetsResolved(only, List.of(), 7);
        console.momentReached(only, Moment.START, "", at(0));
        console.drillFinished(
                only,
                new dev.spotdrill.core.drill.DrillReport(
                        List.of(),
                        0L,
                        java.util.Optional.empty(),
                        java.util.Optional.empty(),
                        java.util.Optional.empty(),
                        java.util.Optional.empty(),
                        java.util.Optional.empty(),
                        new dev.spotdrill.core.drill.Timeline(),
                        List.of(),
                        java.util.Optional.empty(),
                        Map.of()));

        assertThat(lines)
                .containsExactly(
                        "[spotdrill] BlacklistChecks.nightly · drill run-2 · world lab (us-east-1, pace 60)"
                                + " · observation-only (no FIS experiment) · 0 expectations",
                        "[spotdrill] no targets: the drill only observes (no @SpotInterruption)",
                        "[spotdrill] START +0.0s",
                        "[spotdrill] drill run-2 passed: 0/0 met");
    }

    @Test
    void reportsFailuresProbeErrorsAndAMissingStart() {
        console.phaseFinished(
                drill, Phase.GUARDRAILS, new GuardrailException("Guardrail refused i-0abc: not Spot\nmore"));
        console.observed(
                drill,
                new Observation(
                        at(1), "imds", "i-0abc", Observation.Kinds.PROBE_ERROR, "connection refused", Map.of()));
        console.observed(drill, new Observation(at(1), "kube", "i-0abc", "POD_EVICTED", "quiet", Map.of()));
        Verdict neverOpened = new Verdict(
                "@ExpectCordon",
                target,
                Window.of(Moment.NOTICE, Duration.ofSeconds(30)),
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                "",
                "missed");
        console.verdict(drill, neverOpened);
        console.drillFinished(
                drill,
                Fixtures.report(
                        List.of(target),
                        new dev.spotdrill.core.drill.Timeline(),
                        List.of(neverOpened),
                        new IllegalStateException("boom")));

        assertThat(lines)
                .containsExactly(
                        "[spotdrill] GUARDRAILS failed: Guardrail refused i-0abc: not Spot",
                        "[spotdrill] i-0abc imds PROBE_ERROR 2025-06-01T10:00:01Z: connection refused",
                        "[spotdrill] i-0abc NOTICE never came · @ExpectCordon ✗ missed (deadline unknown): the window never"
                                + " opened, NOTICE was not seen",
                        "[spotdrill] drill run-1 FAILED: 0/1 met; boom · experiment EXP456 completed · START never came");
    }

    @Test
    void redactsSecretsFromEveryLine() {
        String castAi = "castai-" + System.nanoTime() + "-secret";
        Secret.of(castAi);
        AwsCredentials creds = AwsCredentials.of("AKIACONSOLE" + System.nanoTime(), "wJalrConsole" + System.nanoTime());
        World world = World.builder("aws")
                .region("us-east-1")
                .clock(WorldClock.system())
                .credentials(creds)
                .build();
        DrillInfo d = Fixtures.info(world, List.of());
        String secretKey = creds.secretAccessKey().reveal();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress toStream = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        toStream.progress(d, "key " + castAi + " id " + creds.accessKeyId() + " secret " + secretKey);
        toStream.phaseFinished(d, Phase.START, new IllegalStateException("denied for " + creds.accessKeyId()));
        toStream.verdict(d, Fixtures.missed("@ExpectX", target, Window.untilInterruption(), 0, 120, secretKey));

        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).doesNotContain(castAi, creds.accessKeyId(), secretKey).contains("key **** id **** secret ****");
        assertThat(out.lines()).hasSize(3);
    }

    @Test
    void isFoundByServiceLoader() {
        assertThat(DrillListener.load()).hasAtLeastOneElementOfType(ConsoleProgress.class);
    }
}
