package dev.spotdrill.core.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.AwsBackend.Instance;
import dev.spotdrill.core.internal.FisRoleGuard;
import dev.spotdrill.core.internal.TemplateRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What refuses a drill before anything is created, and the claims that keep two processes off one instance. */
class SafetyGuardrailsTest {
    private static final String ROLE = "arn:aws:iam::123456789012:role/spotdrill-fis";
    private static final String A = "i-0a0000000000000a1";
    private static final String B = "i-0a0000000000000a2";
    private final AwsBackend backend = mock(AwsBackend.class);

    private static World world(String region) {
        return World.builder("lab")
                .region(region)
                .clock(WorldClock.paced(Instant.parse("2026-01-01T00:00:00Z"), 600))
                .build();
    }

    private static Instance spot(String id, String zone) {
        return new Instance(
                id, "m5.large", zone, "spot", "running", Map.of("spotdrill/allowed", "true", "team", "checkout"));
    }

    private static DrillOptions options(Optional<String> roleArn, Duration quotaWait, int maxTargets) {
        return new DrillOptions(
                "spotdrill/allowed",
                "true",
                List.of(),
                maxTargets,
                roleArn,
                "spotdrill-fis",
                Optional.empty(),
                quotaWait,
                "direct",
                Optional.empty(),
                "unused");
    }

    private void accountActionAndRole() {
        when(backend.callerAccount()).thenReturn("123456789012");
        when(backend.fisActionIds()).thenReturn(List.of(TemplateRequest.ACTION_ID));
        when(backend.role("spotdrill-fis"))
                .thenReturn(
                        Optional.of(new AwsBackend.Role("spotdrill-fis", ROLE, FisRoleGuard.trustPolicy(), Map.of())));
        when(backend.simulate(eq(ROLE), anyString(), anyString(), anyMap())).thenAnswer(a -> {
            Map<String, String> ctx = a.getArgument(3);
            return new AwsBackend.Simulation(
                    "true".equals(ctx.get("aws:ResourceTag/spotdrill/allowed")) ? "allowed" : "implicitDeny",
                    List.of());
        });
    }

    private void nothingCreated() {
        verify(backend, never()).createTags(anyList(), anyMap());
        verify(backend, never()).createTemplate(any());
        verify(backend, never()).createRole(anyString(), anyString(), anyString(), anyMap());
        verify(backend, never()).startExperiment(anyString(), anyString(), anyMap());
    }

    @Test
    void aLeadTimeOverFifteenMinutesAndACountOverTheCapAreRefusedBeforeAnyCall() {
        World world = world("us-east-1");
        assertThatThrownBy(() -> Drill.prepare(
                        world,
                        new DrillSpec(Selector.instances(A), 1, "PT16M", List.of(), null),
                        DrillOptions.defaults(),
                        "t",
                        List.of(),
                        backend))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage(
                        "@SpotInterruption(leadTime=\"PT16M\"): FIS takes a lead time of at most PT15M; use PT15M or"
                                + " less");
        assertThatThrownBy(() -> Drill.prepare(
                        world,
                        new DrillSpec(Selector.tags("team=checkout"), 3, "PT2M", List.of(), null),
                        options(Optional.empty(), Duration.ofMinutes(1), 2),
                        "t",
                        List.of(),
                        backend))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("@SpotInterruption(count=3): more than spotdrill.guard.maxTargets=2 instances; lower count,"
                        + " or raise spotdrill.guard.maxTargets if this blast radius is intended");
        org.mockito.Mockito.verifyNoInteractions(backend);
    }

    @Test
    void aRegionWhoseFisLacksTheSpotActionIsRefusedNamingItBeforeAnythingIsCreated() {
        World jakarta = world("ap-southeast-3");
        when(backend.describe(List.of("i-0a0000000000000e1")))
                .thenReturn(List.of(spot("i-0a0000000000000e1", "ap-southeast-3a")));
        when(backend.callerAccount()).thenReturn("123456789012");
        when(backend.fisActionIds()).thenReturn(List.of("aws:ec2:stop-instances"));
        Drill drill = Drill.prepare(
                jakarta,
                new DrillSpec(Selector.instances("i-0a0000000000000e1"), 1, "PT2M", List.of(), null),
                DrillOptions.defaults(),
                "t",
                List.of(),
                backend);

        assertThatThrownBy(drill::start)
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("FIS does not offer aws:ec2:send-spot-instance-interruptions in ap-southeast-3:"
                        + " ListActions there does not list it")
                .hasMessageContaining(
                        "nothing was created; set spotdrill.aws.region to a region whose FIS offers the" + " action");
        drill.close();
        nothingCreated();
    }

    @Test
    void aGivenRoleWithoutThePermissionIsRefusedBeforeAnythingIsCreated() {
        World world = world("us-east-1");
        String broken = "arn:aws:iam::123456789012:role/no-spot";
        when(backend.describe(List.of(A))).thenReturn(List.of(spot(A, "us-east-1a")));
        accountActionAndRole();
        when(backend.role("no-spot"))
                .thenReturn(Optional.of(new AwsBackend.Role("no-spot", broken, FisRoleGuard.trustPolicy(), Map.of())));
        when(backend.simulate(eq(broken), anyString(), anyString(), anyMap()))
                .thenReturn(new AwsBackend.Simulation("implicitDeny", List.of()));
        Drill drill = Drill.prepare(
                world,
                new DrillSpec(Selector.instances(A), 1, "PT2M", List.of(), null),
                options(Optional.of(broken), Duration.ofMinutes(1), 5),
                "t",
                List.of(),
                backend);

        assertThatThrownBy(drill::start)
                .isInstanceOf(GuardrailException.class)
                .hasMessage("Guardrail refused the drill before anything was created: the FIS role " + broken
                        + " would fail: IAM does not allow it ec2:SendSpotInstanceInterruptions on"
                        + " arn:aws:ec2:us-east-1:123456789012:instance/" + A + " (implicitDeny), so FIS would fail the"
                        + " experiment mid-run; allow ec2:SendSpotInstanceInterruptions on instances tagged"
                        + " spotdrill/allowed=true (Condition StringEquals aws:ResourceTag/spotdrill/allowed = true), or"
                        + " drop spotdrill.fis.roleArn and let spotdrill provision its role (spotdrill.fis.roleName)");
        drill.close();
        nothingCreated();
    }

    @Test
    void aRoleThatDoesNotTrustFisIsRefused() {
        World world = world("us-east-1");
        when(backend.describe(List.of(A))).thenReturn(List.of(spot(A, "us-east-1a")));
        accountActionAndRole();
        when(backend.role("spotdrill-fis"))
                .thenReturn(Optional.of(new AwsBackend.Role(
                        "spotdrill-fis",
                        ROLE,
                        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},"
                                + "\"Action\":\"sts:AssumeRole\"}]}",
                        Map.of())));
        Drill drill = Drill.prepare(
                world,
                new DrillSpec(Selector.instances(A), 1, "PT2M", List.of(), null),
                options(Optional.empty(), Duration.ofMinutes(1), 5),
                "t",
                List.of(),
                backend);

        assertThatThrownBy(drill::start)
                .isInstanceOf(GuardrailException.class)
                .hasMessageContaining("the FIS role " + ROLE + " would fail: its trust policy does not let"
                        + " fis.amazonaws.com assume it; add the statement");
        drill.close();
        nothingCreated();
    }

    @Test
    void explicitIdsClaimedByAnotherLiveRunWaitThenAreRefusedNamingIt() {
        World world = world("us-east-1");
        when(backend.describe(List.of(A))).thenReturn(List.of(spot(A, "us-east-1a")));
        accountActionAndRole();
        Instant until =
                world.clock().now().plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        when(backend.instanceTags(List.of(A)))
                .thenReturn(Map.of(A, Map.of("spotdrill:claim:sd-other00000", until.toString())));
        List<String> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        DrillListener listener = new DrillListener() {
            @Override
            public void progress(DrillInfo drill, String line) {
                progress.add(line);
            }
        };
        Drill drill = Drill.prepare(
                world,
                new DrillSpec(Selector.instances(A), 1, "PT2M", List.of(), null),
                options(Optional.empty(), Duration.ofMinutes(2), 5),
                "t",
                List.of(listener),
                backend);

        assertThatThrownBy(drill::start)
                .isInstanceOf(GuardrailException.class)
                .hasMessageStartingWith("Guardrail refused the drill: " + A + " stayed claimed by another spotdrill run"
                        + " for spotdrill.fis.quotaWait=PT2M (" + A + " claimed by spotdrill run sd-other00000 until "
                        + until + ")");
        drill.close();
        assertThat(progress).anySatisfy(l -> assertThat(l)
                .startsWith("waiting for another spotdrill run to release " + A + " claimed by spotdrill run"
                        + " sd-other00000"));
        nothingCreated();
    }

    @Test
    void aTagSelectorPicksTheInstanceNoOtherRunHoldsAndClaimsIt() {
        World world = world("us-east-1");
        when(backend.findRunningByTags(Map.of("team", "checkout")))
                .thenReturn(List.of(spot(A, "us-east-1a"), spot(B, "us-east-1b")));
        accountActionAndRole();
        Instant until = world.clock().now().plus(Duration.ofHours(1));
        Map<String, Map<String, String>> tags = new LinkedHashMap<>();
        tags.put(A, Map.of("spotdrill:claim:sd-other00000", until.toString()));
        tags.put(B, Map.of());
        when(backend.instanceTags(List.of(A, B))).thenReturn(tags);
        when(backend.instanceTags(List.of(B))).thenReturn(Map.of(B, Map.of()));
        // an expired claim of a dead run does not hold an instance
        when(backend.taggedExperiments("spotdrill:run-id")).thenReturn(List.of());
        when(backend.createTemplate(any())).thenReturn("EXT1");
        Instant now = world.clock().now();
        ExperimentView running = new ExperimentView(
                "EXP1", "EXT1", "running", "", "", "", Optional.of(now), Optional.of(now), Optional.empty(), "{}");
        ExperimentView stopped = new ExperimentView(
                "EXP1", "EXT1", "stopped", "", "", "", Optional.of(now), Optional.of(now), Optional.of(now), "{}");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        when(backend.startExperiment(eq("EXT1"), anyString(), anyMap())).thenReturn(running);
        when(backend.getExperiment("EXP1")).thenAnswer(a -> stop.get() ? stopped : running);
        org.mockito.Mockito.doAnswer(a -> {
                    stop.set(true);
                    return null;
                })
                .when(backend)
                .stopExperiment("EXP1");

        try (Drill drill = Drill.prepare(
                world,
                new DrillSpec(Selector.tags("team=checkout"), 1, "PT2M", List.of(), 7L),
                options(Optional.empty(), Duration.ofMinutes(1), 5),
                "t",
                List.of(),
                backend)) {
            drill.start();
            assertThat(drill.targets()).extracting(Target::instanceId).containsExactly(B);
            // claimed once, then renewed while the drill lives; never the other run's instance
            verify(backend, org.mockito.Mockito.atLeastOnce()).createTags(eq(List.of(B)), anyMap());
            verify(backend, never()).createTags(eq(List.of(A)), anyMap());
            drill.abort(new IllegalStateException("done"));
        }
        String runId = runIdOf();
        verify(backend).deleteTags(List.of(B), List.of("spotdrill:claim:" + runId));
    }

    private String runIdOf() {
        var captor = org.mockito.ArgumentCaptor.forClass(Map.class);
        verify(backend, org.mockito.Mockito.atLeastOnce()).createTags(eq(List.of(B)), captor.capture());
        return captor.getValue().keySet().iterator().next().toString().substring("spotdrill:claim:".length());
    }
}
