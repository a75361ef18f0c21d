package dev.spotdrill.core.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.spotdrill.core.ExperimentFailedException;
import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.AwsBackend.Instance;
import dev.spotdrill.core.internal.TemplateRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class DrillTest {
    private final World world = World.builder("lab")
            .region("us-east-1")
            .clock(WorldClock.paced(Instant.parse("2026-01-01T00:00:00Z"), 600))
            .build();
    private final AwsBackend backend = mock(AwsBackend.class);

    private static Instance spot(String id) {
        return new Instance(id, "m5.large", "us-east-1a", "spot", "running", Map.of("spotdrill/allowed", "true"));
    }

    private static String id(int n) {
        return String.format("i-0%016x", n);
    }

    private ExperimentView view(String status, Instant actionsStart) {
        return new ExperimentView(
                "EXP1",
                "EXT1",
                status,
                status.equals("failed") ? "Target resolution failed" : "",
                status.equals("failed") ? "InternalError" : "",
                "",
                Optional.of(actionsStart),
                Optional.ofNullable(actionsStart),
                Optional.empty(),
                "{}");
    }

    private DrillSpec spec(Selector selector, int count) {
        return new DrillSpec(selector, count, "PT2M", List.of(), null);
    }

    private void runningExperiment() {
        when(backend.callerAccount()).thenReturn("123456789012");
        fisOffersTheActionAndTheRoleIsFine();
        when(backend.createTemplate(any())).thenReturn("EXT1");
        Instant now = world.clock().now();
        when(backend.startExperiment(eq("EXT1"), anyString(), anyMap())).thenReturn(view("initiating", now));
        when(backend.getExperiment("EXP1")).thenReturn(view("running", now), view("completed", now));
    }

    static final String ROLE = "arn:aws:iam::123456789012:role/spotdrill-fis";

    private void fisOffersTheActionAndTheRoleIsFine() {
        when(backend.callerAccount()).thenReturn("123456789012");
        when(backend.fisActionIds()).thenReturn(List.of(TemplateRequest.ACTION_ID));
        when(backend.role("spotdrill-fis"))
                .thenReturn(Optional.of(new AwsBackend.Role(
                        "spotdrill-fis", ROLE, dev.spotdrill.core.internal.FisRoleGuard.trustPolicy(), Map.of())));
        when(backend.simulate(eq(ROLE), anyString(), anyString(), anyMap())).thenAnswer(a -> {
            Map<String, String> ctx = a.getArgument(3);
            return new AwsBackend.Simulation(
                    "true".equals(ctx.get("aws:ResourceTag/spotdrill/allowed")) ? "allowed" : "implicitDeny",
                    List.of());
        });
    }

    @Test
    void groupsFiveInstancesPerActionWithExplicitArns() {
        List<String> ids = IntStream.rangeClosed(1, 7).mapToObj(DrillTest::id).toList();
        when(backend.describe(ids)).thenReturn(ids.stream().map(DrillTest::spot).toList());
        runningExperiment();
        DrillOptions options = new DrillOptions(
                "spotdrill/allowed",
                "true",
                List.of(),
                10,
                Optional.empty(),
                "spotdrill-fis",
                Optional.empty(),
                DrillOptions.DEFAULT_QUOTA_WAIT,
                "direct",
                Optional.empty(),
                "unused-probe-image");

        try (Drill drill = Drill.prepare(
                world, spec(new Selector(Selector.Kind.INSTANCES, ids), 0), options, "t", List.of(), backend)) {
            drill.start();
        }

        ArgumentCaptor<TemplateRequest> request = ArgumentCaptor.forClass(TemplateRequest.class);
        verify(backend).createTemplate(request.capture());
        assertThat(request.getValue().groups()).hasSize(2);
        assertThat(request.getValue().groups().get(0)).hasSize(5);
        assertThat(request.getValue().instanceArns())
                .first()
                .isEqualTo("arn:aws:ec2:us-east-1:123456789012:instance/" + id(1));
        assertThat(request.getValue().json())
                .contains("\"interrupt-2\"", "\"durationBeforeInterruption\" : \"PT120S\"", "\"source\" : \"none\"")
                .contains("spotdrill:run-id", "spotdrill:test", "spotdrill:created-at");
        verify(backend).deleteTemplate("EXT1");
    }

    @Test
    void refusesAnOnDemandInstanceBeforeAnyMutatingCall() {
        String od = id(9);
        when(backend.describe(List.of(od)))
                .thenReturn(List.of(new Instance(
                        od, "m5.large", "us-east-1a", "on-demand", "running", Map.of("spotdrill/allowed", "true"))));
        Drill drill =
                Drill.prepare(world, spec(Selector.instances(od), 1), DrillOptions.defaults(), "t", List.of(), backend);

        assertThatThrownBy(drill::start)
                .isInstanceOf(GuardrailException.class)
                .hasMessageContaining("Guardrail refused " + od)
                .hasMessageContaining("on-demand instance and FIS interrupts only Spot instances")
                .hasMessageContaining("select Spot instances only");
        drill.close();
        verify(backend, never()).createTemplate(any());
        verify(backend, never()).createRole(anyString(), anyString(), anyString(), anyMap());
        verify(backend, never()).createTags(any(), anyMap());
        verify(backend, never()).startExperiment(anyString(), anyString(), anyMap());
    }

    @Test
    void countSelectsDeterministicallyWithTheSeed() {
        List<Instance> fleet =
                IntStream.rangeClosed(1, 8).mapToObj(n -> spot(id(n))).toList();
        when(backend.findRunningByTags(Map.of("team", "shop"))).thenReturn(fleet);
        runningExperiment();
        List<List<String>> picks = new ArrayList<>();
        for (long seed : new long[] {7, 7, 8}) {
            try (Drill drill = Drill.prepare(
                    world,
                    new DrillSpec(Selector.tags("team=shop"), 2, "PT2M", List.of(), seed),
                    DrillOptions.defaults(),
                    "t",
                    List.of(),
                    backend)) {
                drill.start();
                picks.add(drill.targets().stream().map(Target::instanceId).toList());
                assertThat(drill.seed()).isEqualTo(seed);
            }
        }
        assertThat(picks.get(0)).hasSize(2).isEqualTo(picks.get(1));
        // the seed is what picks them: another seed picks other instances
        assertThat(picks.get(2)).hasSize(2).isNotEqualTo(picks.get(0));
    }

    @Test
    void waitsForAQuotaSlotAndSaysSo() {
        when(backend.describe(List.of(id(1)))).thenReturn(List.of(spot(id(1))));
        runningExperiment();
        Instant now = world.clock().now();
        when(backend.startExperiment(eq("EXT1"), anyString(), anyMap()))
                .thenThrow(new AwsBackend.QuotaExceededException("quota"))
                .thenThrow(new AwsBackend.QuotaExceededException("quota"))
                .thenReturn(view("running", now));
        List<String> lines = new CopyOnWriteArrayList<>();
        DrillListener listener = new DrillListener() {
            @Override
            public void progress(DrillInfo drill, String line) {
                lines.add(line);
            }
        };
        try (Drill drill = Drill.prepare(
                world, spec(Selector.instances(id(1)), 1), DrillOptions.defaults(), "t", List.of(listener), backend)) {
            drill.start();
            assertThat(drill.experimentId()).contains("EXP1");
        }
        assertThat(lines).filteredOn(l -> l.contains("no free experiment slot")).hasSize(2);
    }

    @Test
    void anExperimentThatFailsBeforeRunningFailsTheDrillAndTheTemplateIsDeleted() {
        when(backend.describe(List.of(id(1)))).thenReturn(List.of(spot(id(1))));
        runningExperiment();
        Instant now = world.clock().now();
        when(backend.getExperiment("EXP1")).thenReturn(view("failed", now));
        Drill drill = Drill.prepare(
                world, spec(Selector.instances(id(1)), 1), DrillOptions.defaults(), "t", List.of(), backend);

        assertThatThrownBy(drill::start)
                .isInstanceOf(ExperimentFailedException.class)
                .hasMessage("FIS experiment EXP1 ended failed: Target resolution failed (error InternalError)");
        drill.close();
        verify(backend).deleteTemplate("EXT1");
    }

    /** A continuous expectation that reports what it is given: held with evidence, or nothing seen at all. */
    private static Expectation continuous(String name, boolean evidence) {
        return new Expectation() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Window window() {
                return Window.untilInterruption();
            }

            @Override
            public List<SourceRequest> sources() {
                return List.of();
            }

            @Override
            public Evaluation evaluate(Timeline timeline, Target target, Instant windowStart, Instant deadline) {
                return evidence
                        ? Evaluation.metAt(windowStart, "held; 3 Ready at +0.0s")
                        : Evaluation.notYet("no Ready count seen yet");
            }

            @Override
            public boolean continuous() {
                return true;
            }
        };
    }

    @Test
    void aMomentNoSourceCanSeeIsRefusedBeforeAnythingIsCreated() {
        // a runner off EC2 (no IMDS answers), and only the IMDS and EC2 sources on the class path
        World offEc2 = World.builder("aws")
                .region("us-east-1")
                .clock(world.clock())
                .imdsEndpoints(id -> java.net.URI.create("http://127.0.0.1:9"))
                .build();
        when(backend.describe(List.of(id(1)))).thenReturn(List.of(spot(id(1))));
        DrillSpec spec = new DrillSpec(
                Selector.instances(id(1)),
                1,
                "PT2M",
                List.of(Expectations.termination(Window.of(Moment.NOTICE, java.time.Duration.ofMinutes(3)))),
                null);
        Drill drill = Drill.prepare(
                offEc2,
                spec,
                DrillOptions.defaults(),
                "t",
                List.of(),
                backend,
                List.of(new dev.spotdrill.core.aws.ImdsSource(), new dev.spotdrill.core.aws.Ec2StateSource()));

        assertThatThrownBy(drill::start)
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("@ExpectTermination is measured from NOTICE, but no source can see NOTICE for these"
                        + " targets in the aws world: IMDS cannot be read here (spotdrill.imds.via=direct reads this"
                        + " runner's own IMDS, and http://127.0.0.1:9 did not answer); a probe pod can read it"
                        + " (spotdrill.imds.via=probe-pod, with @SpotInterruption(nodes = ...)); make NOTICE"
                        + " observable as said, or measure from START (from = Moment.START)");
        drill.close();
        verify(backend, never()).createTemplate(any());
        verify(backend, never()).startExperiment(anyString(), anyString(), anyMap());
    }

    @Test
    void aContinuousExpectationPassesOnlyOnEvidence() {
        when(backend.describe(List.of(id(1)))).thenReturn(List.of(spot(id(1))));
        runningExperiment();
        DrillSpec spec = new DrillSpec(
                Selector.instances(id(1)),
                1,
                "PT2M",
                List.of(continuous("@Held", true), continuous("@Unseen", false)),
                null);

        List<Verdict> verdicts;
        try (Drill drill = Drill.prepare(world, spec, DrillOptions.defaults(), "t", List.of(), backend)) {
            drill.start();
            verdicts = drill.awaitVerdicts();
        }

        assertThat(verdicts)
                .extracting(Verdict::expectation, Verdict::met)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("@Held", true),
                        org.assertj.core.groups.Tuple.tuple("@Unseen", false));
        assertThat(verdicts.get(1).message())
                .startsWith("@Unseen missed for " + id(1))
                .contains("last seen: no Ready count seen yet");
    }

    @Test
    void badSpecsAreRefusedBeforeAnyCall() {
        assertThatThrownBy(() -> Drill.prepare(
                        world,
                        new DrillSpec(Selector.instances(id(1)), 1, "PT1M", List.of(), null),
                        DrillOptions.defaults(),
                        "t",
                        List.of(),
                        backend))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("@SpotInterruption(leadTime=\"PT1M\"): FIS needs a lead time of at least PT2M; use PT2M or"
                        + " more");
        assertThatThrownBy(() -> Drill.prepare(
                        world,
                        new DrillSpec(Selector.instances("i-xyz"), 1, "PT2M", List.of(), null),
                        DrillOptions.defaults(),
                        "t",
                        List.of(),
                        backend))
                .hasMessageContaining("@SpotInterruption(instances=\"i-xyz\"): not an EC2 instance id");
        assertThatThrownBy(() -> Drill.prepare(
                        world,
                        new DrillSpec(Selector.tags("team"), 1, "PT2M", List.of(), null),
                        DrillOptions.defaults(),
                        "t",
                        List.of(),
                        backend))
                .hasMessageContaining("@SpotInterruption(tags=\"team\"): a tag is written key=value");
        assertThatThrownBy(() -> Drill.prepare(
                        world,
                        new DrillSpec(Selector.nodes("a=b"), 1, "PT2M", List.of(), null),
                        DrillOptions.defaults(),
                        "t",
                        List.of(),
                        backend))
                .hasMessageContaining("the lab world has no Kubernetes access");
        assertThatThrownBy(() -> Drill.prepare(
                        world,
                        new DrillSpec(
                                Selector.instances(id(1)),
                                1,
                                "PT2M",
                                List.of(Expectations.termination(Window.from(Moment.INTERRUPTION))),
                                null),
                        DrillOptions.defaults(),
                        "t",
                        List.of(),
                        backend))
                .hasMessageContaining("a window from INTERRUPTION needs a length");
        org.mockito.Mockito.verifyNoInteractions(backend);
    }
}
