package dev.spotdrill.core.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true, https = false)
class ProbePodImdsTest {
    static final String NOTICE = "/latest/meta-data/spot/instance-action";
    static final String REBALANCE = "/latest/meta-data/events/recommendations/rebalance";
    static final String ID = "i-0abc1234567890def";
    static final Target TARGET = new Target(ID, "m5.large", "us-east-1a", "ip-10-0-1-17.ec2.internal", Map.of());
    static final String NAME = "spotdrill-imds-sd-1-0abc1234567890def";
    static final Instant T0 = Instant.parse("2026-01-15T10:28:00Z");

    KubernetesMockServer server;
    KubernetesClient client;

    final Timeline timeline = new Timeline();
    final AtomicReference<Instant> now = new AtomicReference<>(T0);
    final WorldClock clock = new WorldClock() {
        @Override
        public Instant now() {
            return now.get();
        }

        @Override
        public double pace() {
            return 60;
        }
    };

    @AfterEach
    void noProbeThreadIsLeft() {
        await().alias("no spotdrill-imds-probe thread alive")
                .atMost(Duration.ofSeconds(20))
                .until(() -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().startsWith("spotdrill-imds-probe-")));
    }

    // --- against the Kubernetes API (Fabric8 mock server, CRUD mode) ---

    @Test
    void startCreatesThePodWithTheSpecFollowsItsLogAndCloseDeletesIt() {
        server.expect()
                .get()
                .withPath("/api/v1/namespaces/default/pods/" + NAME
                        + "/log?pretty=false&container=imds-probe&follow=true")
                .andReturn(
                        200,
                        line(NOTICE, 404, "") + line(REBALANCE, 200, "{\"noticeTime\":\"2026-01-15T10:28:00Z\"}")
                                + "garbage\n"
                                + line(NOTICE, 200, "{\"action\":\"terminate\",\"time\":\"2026-01-15T10:30:00Z\"}"))
                .always();
        CompletableFuture<Void> kubelet = setStatusOnceCreated(new PodStatusBuilder()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .build());

        ProbePodImds probe =
                ProbePodImds.start(client, "default", "sd-1", TARGET, timeline, clock, "example.org/probe:1");
        kubelet.join();

        Pod created = client.pods().inNamespace("default").withName(NAME).get();
        assertThat(probe.podName()).isEqualTo(NAME);
        assertThat(created.getSpec().getNodeName()).isEqualTo("ip-10-0-1-17.ec2.internal");
        assertThat(created.getSpec().getHostNetwork()).isTrue();
        assertThat(created.getSpec().getTolerations()).singleElement().satisfies(t -> assertThat(t.getOperator())
                .isEqualTo("Exists"));
        assertThat(created.getSpec().getContainers().get(0).getImage()).isEqualTo("example.org/probe:1");
        assertThat(created.getMetadata().getLabels()).containsEntry("app.kubernetes.io/name", "spotdrill-imds-probe");

        await().alias("REBALANCE and NOTICE from the followed log")
                .atMost(Duration.ofSeconds(30))
                .until(() -> timeline.about(ID).size() == 2);
        assertThat(timeline.about(ID))
                .extracting(Observation::kind)
                .containsExactly(Observation.Kinds.REBALANCE, Observation.Kinds.NOTICE);

        probe.close();
        assertThat(client.pods().inNamespace("default").withName(NAME).get()).isNull();
        probe.close(); // twice is fine
    }

    @Test
    void podThatNeverRunsFailsWithItsNamePhaseAndTheFixAndIsDeleted() {
        assertThatThrownBy(() -> ProbePodImds.start(
                        client,
                        "default",
                        "sd-1",
                        TARGET,
                        timeline,
                        clock,
                        "example.org/probe:1",
                        Duration.ofSeconds(2)))
                .isInstanceOf(SpotDrillException.class)
                .hasMessage("IMDS probe pod default/" + NAME + " on node ip-10-0-1-17.ec2.internal did not run within"
                        + " PT2S: phase unknown (no status yet: is a kubelet serving the node?); check that node"
                        + " ip-10-0-1-17.ec2.internal exists and can pull example.org/probe:1 (kubectl -n default"
                        + " describe pod " + NAME + "), set spotdrill.imds.probeImage to an image with sh and curl"
                        + " that the node can pull, or use spotdrill.imds.via=direct");

        assertThat(client.pods().inNamespace("default").list().getItems()).isEmpty();
    }

    @Test
    void imagePullBackOffFailsAtOnceWithTheKubeletsReason() {
        setStatusOnceCreated(new PodStatusBuilder()
                .withPhase("Pending")
                .withContainerStatuses(new ContainerStatusBuilder()
                        .withName("imds-probe")
                        .withNewState()
                        .withNewWaiting()
                        .withReason("ImagePullBackOff")
                        .withMessage("Back-off pulling image \"example.org/nope:1\"")
                        .endWaiting()
                        .endState()
                        .build())
                .build());

        assertThatThrownBy(() -> ProbePodImds.start(
                        client, "chaos", "sd-1", TARGET, timeline, clock, "example.org/nope:1", Duration.ofMinutes(5)))
                .isInstanceOf(SpotDrillException.class)
                .hasMessageStartingWith("IMDS probe pod chaos/" + NAME + " on node ip-10-0-1-17.ec2.internal cannot"
                        + " run (container ImagePullBackOff): phase Pending, container waiting: ImagePullBackOff"
                        + " Back-off pulling image \"example.org/nope:1\"; check that node")
                .hasMessageContaining("set spotdrill.imds.probeImage to an image with sh and curl");

        assertThat(client.pods().inNamespace("chaos").list().getItems()).isEmpty();
    }

    @Test
    void aPodThatCannotBeCreatedFailsWithTheStatusAndTheRbacFix() {
        client.pods()
                .inNamespace("default")
                .resource(ProbePodSpec.build("default", "sd-1", TARGET, "img"))
                .create();

        assertThatThrownBy(() -> ProbePodImds.start(client, "default", "sd-1", TARGET, timeline, clock, "img"))
                .isInstanceOf(SpotDrillException.class)
                .hasMessageStartingWith("could not create the IMDS probe pod default/" + NAME
                        + " on node ip-10-0-1-17.ec2.internal: HTTP 409 ")
                .hasMessageEndingWith("; the harness needs RBAC to create, get and delete pods and get pods/log in"
                        + " namespace default, or use spotdrill.imds.via=direct");
    }

    private CompletableFuture<Void> setStatusOnceCreated(PodStatus status) {
        return CompletableFuture.runAsync(() -> {
            Pod pod = await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> client.pods().inAnyNamespace().list().getItems().stream()
                                    .filter(p -> p.getMetadata().getName().equals(NAME))
                                    .findFirst()
                                    .orElse(null),
                            p -> p != null);
            client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(NAME)
                    .editStatus(p -> {
                        p.setStatus(status);
                        return p;
                    });
        });
    }

    // --- the log line handler, fed directly ---

    @Test
    void notFoundLinesAreReadingsNotObservations() {
        ProbePodImds probe = handlerOnly();

        probe.onLine(line(NOTICE, 404, ""));
        probe.onLine(line(REBALANCE, 404, ""));

        assertThat(timeline.observations()).isEmpty();
        assertThat(timeline.status(ID, "imds:instance-action"))
                .contains("GET /latest/meta-data/spot/instance-action -> 404 Not Found at 2026-01-15T10:28:00Z");
        assertThat(timeline.status(ID, "imds:rebalance"))
                .contains("GET /latest/meta-data/events/recommendations/rebalance -> 404 Not Found at"
                        + " 2026-01-15T10:28:00Z");
    }

    @Test
    void firstRebalanceAndNoticeBecomeObservationsAtTheHarnessClockWithThePodTimeKept() {
        ProbePodImds probe = handlerOnly();
        now.set(T0.plusSeconds(3));
        probe.onLine(line(REBALANCE, 200, "{\"noticeTime\":\"2026-01-15T10:28:00Z\"}"));
        now.set(T0.plusSeconds(5));
        probe.onLine(line(NOTICE, 200, "{\"action\":\"terminate\",\"time\":\"2026-01-15T10:30:00Z\"}"));
        probe.onLine(line(NOTICE, 200, "{\"action\":\"terminate\",\"time\":\"2026-01-15T10:30:09Z\"}"));
        probe.onLine(line(REBALANCE, 200, "{\"noticeTime\":\"2026-01-15T10:28:09Z\"}"));

        List<Observation> seen = timeline.about(ID);
        assertThat(seen).hasSize(2);
        Observation rebalance = seen.get(0);
        assertThat(rebalance.at()).isEqualTo(T0.plusSeconds(3));
        assertThat(rebalance.source()).isEqualTo("imds");
        assertThat(rebalance.kind()).isEqualTo(Observation.Kinds.REBALANCE);
        assertThat(rebalance.detail()).isEqualTo("rebalance recommendation {\"noticeTime\":\"2026-01-15T10:28:00Z\"}");
        assertThat(rebalance.data())
                .containsEntry("body", "{\"noticeTime\":\"2026-01-15T10:28:00Z\"}")
                .containsEntry("noticeTime", "2026-01-15T10:28:00Z")
                .containsEntry("path", REBALANCE)
                .containsEntry("podAt", "2026-01-15T10:27:59Z");
        Observation notice = seen.get(1);
        assertThat(notice.at()).isEqualTo(T0.plusSeconds(5));
        assertThat(notice.kind()).isEqualTo(Observation.Kinds.NOTICE);
        assertThat(notice.detail()).isEqualTo("instance-action terminate at 2026-01-15T10:30:00Z");
        assertThat(notice.data())
                .containsEntry("action", "terminate")
                .containsEntry("time", "2026-01-15T10:30:00Z")
                .containsEntry("path", NOTICE)
                .containsEntry("podAt", "2026-01-15T10:27:59Z");
        assertThat(timeline.status(ID, "imds:instance-action"))
                .contains("GET /latest/meta-data/spot/instance-action -> 200 at 2026-01-15T10:28:05Z");
    }

    @Test
    void garbageUnknownPathsAndFailuresAddNoObservation() {
        ProbePodImds probe = handlerOnly();

        probe.onLine("sh: curl: not found");
        probe.onLine("{\"path\":\"" + NOTICE + "\",\"status\":200,\"body\":\"{\\\"act");
        probe.onLine(line("/latest/meta-data/spot/termination-time", 200, "2026-01-15T10:30:00Z"));
        probe.onLine(line(NOTICE, 401, ""));
        assertThat(timeline.status(ID, "imds:instance-action"))
                .contains("GET /latest/meta-data/spot/instance-action -> 401 at 2026-01-15T10:28:00Z");
        probe.onLine(line(NOTICE, 0, ""));

        assertThat(timeline.observations()).isEmpty();
        assertThat(timeline.status(ID, "imds:instance-action"))
                .contains("GET /latest/meta-data/spot/instance-action -> no answer (probe pod got no HTTP response)"
                        + " at 2026-01-15T10:28:00Z");
        assertThat(timeline.status(ID, "imds:rebalance")).isEmpty();
    }

    @Test
    void aLogThatEndsBeforeTheNoticeIsAProbeError() {
        ProbePodImds probe = handlerOnly();
        probe.onLine(line(REBALANCE, 200, "{\"noticeTime\":\"2026-01-15T10:28:00Z\"}"));

        probe.onLogEnded("the log ended");

        assertThat(timeline.last(o -> o.kind().equals(Observation.Kinds.PROBE_ERROR)))
                .hasValueSatisfying(o -> assertThat(o.detail())
                        .isEqualTo("IMDS probe pod default/" + NAME
                                + " stopped reporting: the log ended (was it evicted or deleted?)"));
        assertThat(timeline.status(ID, "imds:instance-action"))
                .contains("probe pod " + NAME + " stopped reporting at 2026-01-15T10:28:00Z");
    }

    @Test
    void aLogThatEndsAfterBothNoticesOrAfterCloseIsNoError() {
        ProbePodImds done = handlerOnly();
        done.onLine(line(REBALANCE, 200, "{}"));
        done.onLine(line(NOTICE, 200, "{}"));
        done.onLogEnded("the log ended");
        ProbePodImds closed = handlerOnly();
        closed.close();
        closed.onLogEnded("the log ended");

        assertThat(timeline.observations()).extracting(Observation::kind).doesNotContain(Observation.Kinds.PROBE_ERROR);
    }

    private ProbePodImds handlerOnly() {
        return new ProbePodImds(client, "default", NAME, TARGET, timeline, clock);
    }

    static String line(String path, int status, String body) {
        return "{\"path\":\"" + path + "\",\"status\":" + status + ",\"body\":\""
                + body.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"at\":\"2026-01-15T10:27:59Z\"}\n";
    }
}
