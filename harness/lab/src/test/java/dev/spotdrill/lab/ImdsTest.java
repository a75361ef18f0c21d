package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataClientException;
import software.amazon.awssdk.services.fis.model.ExperimentStatus;

/** The per-instance IMDSv2 servers: token flow, metadata, notices and their faults. */
class ImdsTest {
    private static final String A01 = "i-0c0ffee0000000a01";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final HttpClient http = HttpClient.newHttpClient();
    private SpotLab lab;
    private LabClients c;

    private void start(LabOptions.Builder b) {
        lab = SpotLab.start(b.build());
        c = new LabClients(lab.world());
    }

    @AfterEach
    void close() {
        if (c != null) {
            c.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return lab.world().imdsEndpoint(A01).resolve(path);
    }

    private String token(String ttl) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/latest/api/token"))
                .header("X-aws-ec2-metadata-token-ttl-seconds", ttl)
                .PUT(HttpRequest.BodyPublishers.noBody()));
        assertThat(r.statusCode()).as("PUT token ttl=%s", ttl).isEqualTo(200);
        assertThat(r.headers().firstValue("X-aws-ec2-metadata-token-ttl-seconds"))
                .contains(ttl);
        return r.body();
    }

    private int get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (token != null) {
            b.header("X-aws-ec2-metadata-token", token);
        }
        return send(b).statusCode();
    }

    @Test
    void tokenTtlMustBeFrom1To21600() throws Exception {
        start(LabOptions.builder().pace(60));
        for (String bad : new String[] {"0", "21601", "-5", "soon"}) {
            assertThat(send(HttpRequest.newBuilder(uri("/latest/api/token"))
                                    .header("X-aws-ec2-metadata-token-ttl-seconds", bad)
                                    .PUT(HttpRequest.BodyPublishers.noBody()))
                            .statusCode())
                    .as("ttl %s", bad)
                    .isEqualTo(400);
        }
        assertThat(send(HttpRequest.newBuilder(uri("/latest/api/token")).PUT(HttpRequest.BodyPublishers.noBody()))
                        .statusCode())
                .isEqualTo(400);
        assertThat(token("1")).isNotBlank();
        assertThat(token("21600")).isNotBlank();
    }

    @Test
    void getsNeedALiveToken() throws Exception {
        start(LabOptions.builder().pace(60));
        assertThat(get("/latest/meta-data/instance-id", null)).isEqualTo(401);
        assertThat(get("/latest/meta-data/instance-id", "made-up")).isEqualTo(401);
        String shortLived = token("30");
        assertThat(get("/latest/meta-data/instance-id", shortLived)).isEqualTo(200);
        Instant issued = lab.clock().now();
        await("token expiry").atMost(WAIT).until(() -> lab.clock().now().isAfter(issued.plusSeconds(31)));
        assertThat(get("/latest/meta-data/instance-id", shortLived)).isEqualTo(401);
    }

    @Test
    void tokenTtlFaultCapsTokensAndTheSdkClientRefreshesOn401() throws Exception {
        start(LabOptions.builder().pace(60).faults("imds.token-ttl=30"));
        String capped = token("21600");
        Instant issued = lab.clock().now();
        await("capped token expiry").atMost(WAIT).until(() -> lab.clock().now().isAfter(issued.plusSeconds(31)));
        assertThat(get("/latest/meta-data/instance-id", capped)).isEqualTo(401);
        Ec2MetadataClient imds = c.imds(A01);
        assertThat(imds.get("/latest/meta-data/instance-id").asString()).isEqualTo(A01);
    }

    @Test
    void metadataDescribesTheInstance() {
        start(LabOptions.builder().pace(60));
        Ec2MetadataClient imds = c.imds(A01);
        assertThat(imds.get("/latest/meta-data/instance-id").asString()).isEqualTo(A01);
        assertThat(imds.get("/latest/meta-data/instance-type").asString()).isEqualTo("m5.large");
        assertThat(imds.get("/latest/meta-data/placement/availability-zone").asString())
                .isEqualTo("us-east-1a");
        assertThat(imds.get("/latest/meta-data/instance-life-cycle").asString()).isEqualTo("spot");
        assertThat(c.imds("i-0c0ffee0000000b01")
                        .get("/latest/meta-data/instance-life-cycle")
                        .asString())
                .isEqualTo("on-demand");
        assertThatThrownBy(() -> imds.get("/latest/meta-data/events/recommendations/rebalance"))
                .isInstanceOf(Ec2MetadataClientException.class)
                .satisfies(e -> assertThat(((Ec2MetadataClientException) e).statusCode())
                        .isEqualTo(404));
        assertThatThrownBy(() -> lab.world().imdsEndpoint("i-0000000000000dead"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no instance \"i-0000000000000dead\"");
    }

    private Instant interrupt(String lead) {
        String t = c.fis.createExperimentTemplate(
                        LabClients.spotTemplate(lead, A01).build())
                .experimentTemplate()
                .id();
        String exp = c.fis.startExperiment(r -> r.experimentTemplateId(t))
                .experiment()
                .id();
        await().atMost(WAIT)
                .until(() ->
                        c.fis.getExperiment(r -> r.id(exp)).experiment().state().status() == ExperimentStatus.RUNNING);
        return c.fis.getExperiment(r -> r.id(exp))
                .experiment()
                .actions()
                .get("interrupt")
                .startTime();
    }

    @Test
    void noNoticeAndNoRebalanceFaultsHideNoticesButTheInstanceStillTerminates() {
        start(LabOptions.builder().pace(60).faults("imds.no-notice", "imds.no-rebalance"));
        Ec2MetadataClient imds = c.imds(A01);
        Instant start = interrupt("PT2M");
        await().atMost(WAIT)
                .until(() -> lab.instance(A01).orElseThrow().noticeTime().isPresent());
        assertThatThrownBy(() -> imds.get("/latest/meta-data/spot/instance-action"))
                .isInstanceOf(Ec2MetadataClientException.class);
        assertThatThrownBy(() -> imds.get("/latest/meta-data/events/recommendations/rebalance"))
                .isInstanceOf(Ec2MetadataClientException.class);
        assertThat(lab.instance(A01).orElseThrow().rebalanceTime()).contains(start);
        await().atMost(WAIT).until(() -> lab.instance(A01).orElseThrow().state().equals("terminated"));
    }

    @Test
    void noticeDelayFaultShowsTheNoticeLateWithTheSameTime() {
        start(LabOptions.builder().pace(60).faults("imds.notice-delay=PT1M"));
        Ec2MetadataClient imds = c.imds(A01);
        Instant start = interrupt("PT5M");
        Instant noticeAt = start.plus(Duration.ofMinutes(3));
        String body = await("delayed notice")
                .atMost(WAIT)
                .ignoreExceptions()
                .until(() -> imds.get("/latest/meta-data/spot/instance-action").asString(), b -> true);
        assertThat(lab.clock().now()).isAfterOrEqualTo(noticeAt.plus(Duration.ofMinutes(1)));
        assertThat(body).contains(start.plus(Duration.ofMinutes(5)).toString());
    }

    @Test
    void imdsAnswers503OnceTheInstanceIsTerminated() throws Exception {
        start(LabOptions.builder().pace(60));
        String t = token("21600");
        interrupt("PT2M");
        await().atMost(WAIT).until(() -> lab.instance(A01).orElseThrow().state().equals("terminated"));
        assertThat(get("/latest/meta-data/instance-id", t)).isEqualTo(503);
        assertThatThrownBy(() -> c.imds(A01).get("/latest/meta-data/instance-id"))
                .isInstanceOf(SdkClientException.class);
    }

    @Test
    void imdsCallsAreLogged() throws Exception {
        start(LabOptions.builder().pace(60));
        get("/latest/meta-data/instance-id", token("60"));
        assertThat(lab.callLog().calls("imds", "PUT token")).singleElement().satisfies(call -> {
            assertThat(call.status()).isEqualTo(200);
            assertThat(call.resource()).isEqualTo(A01);
        });
        assertThat(lab.callLog().count("imds", "GET /latest/meta-data/instance-id"))
                .isEqualTo(1);
    }
}
