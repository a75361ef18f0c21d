package dev.spotdrill.core.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.TemplateRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/** The gathering, template and start protocol of coalesced drills, over a mocked FIS. */
class CoalescerTest {
    private static final String ROLE = "arn:aws:iam::123456789012:role/spotdrill-fis";
    private final World world = World.builder("lab")
            .region("us-east-1")
            .clock(WorldClock.paced(Instant.parse("2026-01-01T00:00:00Z"), 600))
            .build();
    private final AwsBackend backend = mock(AwsBackend.class);
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final String key = "test-" + UUID.randomUUID();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static String arn(int n) {
        return String.format("arn:aws:ec2:us-east-1:123456789012:instance/i-0%016x", n);
    }

    private Coalescer.Entry entry(String runId, String lead, String... arns) {
        DrillSpec spec = new DrillSpec(Selector.instances("i-00000000000000001"), 1, lead, List.of(), null);
        return new Coalescer.Entry(
                new DrillInfo(runId, "T." + runId, world, spec),
                List.of(arns),
                Duration.parse(lead),
                Map.of("spotdrill:run-id", runId),
                new Gate());
    }

    private Future<Coalescer.Seat> join(Coalescer.Entry e, Duration window) {
        return pool.submit(() -> Coalescer.join(key, window, backend, ROLE, Optional.empty(), e));
    }

    private static ExperimentView view(String json) {
        return new ExperimentView(
                "EXP1", "EXT1", "running", "", "", "", Optional.empty(), Optional.empty(), Optional.empty(), json);
    }

    /**
     * Announced drills close their batch once all have joined and none has been preparing for the quiet time, well
     * before a long window; and drills announcing and joining while leaders gather never deadlock (a leader asks
     * whether drills are still preparing while it holds its batch).
     */
    @Test
    void announcedDrillsCloseTheirBatchEarlyAndNeverDeadlock() throws Exception {
        when(backend.createTemplate(any())).thenReturn("EXT1");
        long t0 = System.nanoTime();
        for (int round = 0; round < 20; round++) {
            List<Future<Coalescer.Seat>> seats = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Runnable announced = Coalescer.preparing();
                Coalescer.Entry e = entry("sd-r" + round + "d" + i, "PT2M", arn(round * 4 + i + 1));
                String batchKey = key + round;
                seats.add(pool.submit(() -> Coalescer.join(
                        batchKey, Duration.ofMinutes(1), backend, ROLE, Optional.empty(), e, announced)));
            }
            for (Future<Coalescer.Seat> f : seats) {
                assertThat(f.get(10, java.util.concurrent.TimeUnit.SECONDS).templateId())
                        .isEqualTo("EXT1");
            }
        }
        // 20 batches with a one-minute window each: closed early, not after their windows
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void drillsWithinTheWindowShareOneTemplateEachWithItsOwnActionTargetAndLead() throws Exception {
        when(backend.createTemplate(any())).thenReturn("EXT1");
        Future<Coalescer.Seat> a = join(entry("sd-aaaaaaaaaaaa", "PT2M", arn(1)), Duration.ofMillis(500));
        Future<Coalescer.Seat> b = join(entry("sd-bbbbbbbbbbbb", "PT3M", arn(2), arn(3)), Duration.ofMillis(500));

        Coalescer.Seat sa = a.get(10, TimeUnit.SECONDS);
        Coalescer.Seat sb = b.get(10, TimeUnit.SECONDS);
        ArgumentCaptor<TemplateRequest> req = ArgumentCaptor.forClass(TemplateRequest.class);
        verify(backend, times(1)).createTemplate(req.capture());
        assertThat(req.getValue().actions())
                .extracting(
                        TemplateRequest.Action::name, TemplateRequest.Action::arns, TemplateRequest.Action::leadTime)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(
                                "sd-aaaaaaaaaaaa-1", List.of(arn(1)), Duration.ofMinutes(2)),
                        org.assertj.core.groups.Tuple.tuple(
                                "sd-bbbbbbbbbbbb-1", List.of(arn(2), arn(3)), Duration.ofMinutes(3)));
        assertThat(req.getValue().tags().get(Coalescer.COALESCED_TAG))
                .contains("sd-aaaaaaaaaaaa")
                .contains("sd-bbbbbbbbbbbb");
        assertThat(sa.templateId()).isEqualTo("EXT1").isEqualTo(sb.templateId());
        assertThat(sa.drills()).isEqualTo(2);
        // each drill's part of the template names its own instances only
        assertThat(sa.templateJson()).contains(arn(1)).doesNotContain(arn(2)).contains("PT120S");
        assertThat(sb.templateJson())
                .contains(arn(2), arn(3))
                .doesNotContain(arn(1))
                .contains("PT180S");

        // the last seat to be ready starts the experiment once, for both
        when(backend.startExperiment(eq("EXT1"), anyString(), anyMap())).thenReturn(view("{}"));
        Future<ExperimentView> va = pool.submit(() -> sa.start(t -> backend.startExperiment(t, "tok", Map.of())));
        Future<ExperimentView> vb = pool.submit(() -> sb.start(t -> backend.startExperiment(t, "tok", Map.of())));
        assertThat(va.get(10, TimeUnit.SECONDS).id()).isEqualTo("EXP1");
        assertThat(vb.get(10, TimeUnit.SECONDS).id()).isEqualTo("EXP1");
        verify(backend, times(1)).startExperiment(eq("EXT1"), anyString(), anyMap());

        // the first out leaves the template to the other; the last one out deletes it
        assertThat(sa.leaveUnlessLast()).isTrue();
        assertThat(sb.others()).isZero();
        assertThat(sb.leaveUnlessLast()).isFalse();
        assertThat(sb.leave()).isTrue();
    }

    @Test
    void aFullBatchClosesAtOnceAndTheNextDrillsOpenAnother() throws Exception {
        when(backend.createTemplate(any())).thenReturn("EXT1", "EXT2");
        List<Future<Coalescer.Seat>> seats = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            seats.add(join(entry(String.format("sd-%012d", i), "PT2M", arn(i)), Duration.ofSeconds(1)));
        }
        List<String> ids = new ArrayList<>();
        for (Future<Coalescer.Seat> f : seats) {
            ids.add(f.get(10, TimeUnit.SECONDS).templateId());
        }
        ArgumentCaptor<TemplateRequest> req = ArgumentCaptor.forClass(TemplateRequest.class);
        verify(backend, times(2)).createTemplate(req.capture());
        assertThat(req.getAllValues())
                .extracting(r -> r.actions().size())
                .containsExactlyInAnyOrder(Coalescer.MAX_ACTIONS, 2);
        assertThat(ids).containsOnly("EXT1", "EXT2");
        assertThat(Coalescer.open()).isZero();
    }

    @Test
    void aDrillThatLeavesBeforeTheStartIsLeftOutOfANewTemplate() throws Exception {
        when(backend.createTemplate(any())).thenReturn("EXT1", "EXT2");
        Future<Coalescer.Seat> a = join(entry("sd-aaaaaaaaaaaa", "PT2M", arn(1)), Duration.ofMillis(500));
        Future<Coalescer.Seat> c = join(entry("sd-cccccccccccc", "PT2M", arn(9)), Duration.ofMillis(500));
        Coalescer.Seat sa = a.get(10, TimeUnit.SECONDS);
        Coalescer.Seat sc = c.get(10, TimeUnit.SECONDS);

        // c's sources failed: it leaves before the start, and is not the last one
        assertThat(sc.leave()).isFalse();
        when(backend.startExperiment(eq("EXT2"), anyString(), anyMap())).thenReturn(view("{}"));
        sa.start(t -> backend.startExperiment(t, "tok", Map.of()));

        ArgumentCaptor<TemplateRequest> req = ArgumentCaptor.forClass(TemplateRequest.class);
        verify(backend, times(2)).createTemplate(req.capture());
        assertThat(req.getAllValues().get(1).instanceArns()).containsExactly(arn(1));
        verify(backend).deleteTemplate("EXT1");
        verify(backend, never()).startExperiment(eq("EXT1"), anyString(), anyMap());
        assertThat(sa.templateId()).isEqualTo("EXT2");
        assertThatThrownBy(() -> sc.start(t -> backend.startExperiment(t, "tok", Map.of())))
                .hasMessageContaining("the coalesced FIS experiment started without drill sd-cccccccccccc");
    }

    @Test
    void aTemplateThatFisRefusesFailsEveryDrillOfTheBatchSayingWhy() throws Exception {
        when(backend.createTemplate(any()))
                .thenThrow(new SpotDrillException("FIS refused the experiment template: nope"));
        Future<Coalescer.Seat> a = join(entry("sd-aaaaaaaaaaaa", "PT2M", arn(1)), Duration.ofMillis(300));
        Future<Coalescer.Seat> b = join(entry("sd-bbbbbbbbbbbb", "PT2M", arn(2)), Duration.ofMillis(300));
        for (Future<Coalescer.Seat> f : List.of(a, b)) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SpotDrillException.class)
                    .cause()
                    .hasMessage("the coalesced FIS template of 2 drills could not be created: FIS refused the"
                            + " experiment template: nope");
        }
    }

    @Test
    void theReportKeepsOnlyTheDrillsOwnActionsAndTargets() {
        String json = "{\"id\":\"EXP1\",\"targets\":{\"sd-a-1\":{\"resourceArns\":[\"" + arn(1) + "\"]},"
                + "\"sd-b-1\":{\"resourceArns\":[\"" + arn(2) + "\"]}},\"actions\":{"
                + "\"sd-a-1\":{\"targets\":{\"SpotInstances\":\"sd-a-1\"},\"state\":{\"status\":\"running\"},"
                + "\"startTime\":\"2026-01-01T00:00:05Z\"},"
                + "\"sd-b-1\":{\"targets\":{\"SpotInstances\":\"sd-b-1\"},\"state\":{\"status\":\"failed\","
                + "\"reason\":\"boom\"},\"startTime\":\"2026-01-01T00:00:01Z\"}}}";
        String own = Coalescer.ownJson(json, Set.of("sd-a-1"), 1);
        assertThat(own)
                .contains(arn(1), "sd-a-1", "shared with 1 other drill(s)")
                .doesNotContain(arn(2), "sd-b-1");
        ExperimentView v = view(json);
        assertThat(Coalescer.ownStart(v, Set.of("sd-a-1"))).contains(Instant.parse("2026-01-01T00:00:05Z"));
        assertThat(Coalescer.ownStatus(v, Set.of("sd-a-1"))).contains("running");
        assertThat(Coalescer.ownStatus(v, Set.of("sd-b-1"))).contains("failed");
        assertThat(Coalescer.ownReason(v, Set.of("sd-b-1"), "failed")).isEqualTo("sd-b-1: boom");
        assertThat(Coalescer.ownStatus(v, Set.of("sd-missing-1"))).isEmpty();
    }

    @Test
    void theGatherWindowIsCheckedBeforeAnythingIsCalled() {
        assertThat(DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.fis.coalesce", "PT2S")), world)
                        .coalesce())
                .contains(Duration.ofSeconds(2));
        assertThat(DrillOptions.from(SpotDrillConfig.of(Map.of()), world).coalesce())
                .isEmpty();
        assertThatThrownBy(() -> DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.fis.coalesce", "PT0S")), world))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("spotdrill.fis.coalesce=\"PT0S\": the gather window must be more than zero and at most PT1M"
                        + " (wall time); for example spotdrill.fis.coalesce=PT2S, or leave it unset to give each drill"
                        + " its own experiment");
        assertThatThrownBy(() -> DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.fis.coalesce", "2s")), world))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("spotdrill.fis.coalesce=\"2s\": not an ISO-8601 duration; write it like PT2M or PT90S");
    }
}
