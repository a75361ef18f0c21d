package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** What aws-node-termination-handler and similar agents read from IMDS at start-up, and IMDSv2's proxy rule. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImdsStartupPathsTest {
    private static final String A01 = "i-0c0ffee0000000a01";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private SpotLab lab;
    private LabClients c;
    private String token;

    @BeforeAll
    void start() throws Exception {
        lab = SpotLab.start(LabOptions.builder().pace(60).build());
        c = new LabClients(lab.world());
        token = send(HttpRequest.newBuilder(uri("/latest/api/token"))
                        .header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                        .PUT(HttpRequest.BodyPublishers.noBody()))
                .body();
    }

    @AfterAll
    void close() {
        c.close();
        lab.close();
    }

    private URI uri(String path) {
        return lab.world().imdsEndpoint(A01).resolve(path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("X-aws-ec2-metadata-token", token));
    }

    @Test
    void theInstanceIdentityDocumentDescribesTheInstance() throws Exception {
        HttpResponse<String> r = get("/latest/dynamic/instance-identity/document");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode doc = JSON.readTree(r.body());

        assertThat(doc.path("region").asText()).isEqualTo("us-east-1");
        assertThat(doc.path("accountId").asText()).isEqualTo("123456789012");
        assertThat(doc.path("instanceId").asText()).isEqualTo(A01);
        assertThat(doc.path("instanceType").asText()).isEqualTo("m5.large");
        assertThat(doc.path("availabilityZone").asText()).isEqualTo("us-east-1a");
        assertThat(doc.path("architecture").asText()).isEqualTo("x86_64");
        assertThat(doc.path("imageId").asText()).matches("ami-0[0-9a-f]{16}");
        assertThat(doc.path("privateIp").asText()).matches("10\\.0\\.\\d+\\.\\d+");
        assertThat(doc.path("pendingTime").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(doc.path("version").asText()).isEqualTo("2017-09-30");
        assertThat(doc.has("kernelId")).isTrue();
        // the SDK's own client reads it too
        assertThat(c.imds(A01).get("/latest/dynamic/instance-identity/document").asString())
                .contains("\"instanceId\" : \"" + A01 + "\"");
    }

    @Test
    void metaDataLeavesAndListingsAnAgentReadsAtStartUp() throws Exception {
        String document = get("/latest/dynamic/instance-identity/document").body();

        assertThat(get("/latest/meta-data/").body().lines())
                .contains("ami-id", "instance-id", "instance-type", "local-hostname", "local-ipv4", "mac")
                .contains("placement/", "public-hostname", "public-ipv4", "events/", "spot/");
        assertThat(get("/latest/meta-data/instance-id").body()).isEqualTo(A01);
        assertThat(get("/latest/meta-data/instance-type").body()).isEqualTo("m5.large");
        assertThat(get("/latest/meta-data/local-hostname").body()).isEqualTo("ip-10-0-1-11.ec2.internal");
        assertThat(get("/latest/meta-data/local-ipv4").body()).matches("10\\.0\\.\\d+\\.\\d+");
        assertThat(get("/latest/meta-data/public-ipv4").body()).matches("54\\.\\d+\\.\\d+\\.\\d+");
        assertThat(get("/latest/meta-data/public-hostname").body())
                .matches("ec2-54-\\d+-\\d+-\\d+\\.compute-1\\.amazonaws\\.com");
        assertThat(get("/latest/meta-data/mac").body()).matches("0e(:[0-9a-f]{2}){5}");
        assertThat(document)
                .contains("\"imageId\" : \"" + get("/latest/meta-data/ami-id").body() + "\"");
        assertThat(get("/latest/meta-data/placement/").body().lines())
                .containsExactly("availability-zone", "availability-zone-id", "region");
        assertThat(get("/latest/meta-data/placement/availability-zone").body()).isEqualTo("us-east-1a");
        assertThat(get("/latest/meta-data/placement/availability-zone-id").body())
                .isEqualTo("use1-az1");
        assertThat(get("/latest/meta-data/placement/region").body()).isEqualTo("us-east-1");
        assertThat(get("/latest/meta-data/events/maintenance/").body().lines()).containsExactly("history", "scheduled");
        assertThat(get("/latest/meta-data/events/maintenance/scheduled").body()).isEqualTo("[]");
        assertThat(get("/latest/meta-data/spot/instance-action").statusCode()).isEqualTo(404);
        assertThat(get("/latest/meta-data/no-such-thing").statusCode()).isEqualTo(404);
        assertThat(get("/latest/dynamic/").body()).isEqualTo("instance-identity/");
    }

    @Test
    void aTokenRequestThroughAProxyIsRefusedAndReadsNeedAToken() throws Exception {
        HttpResponse<String> proxied = send(HttpRequest.newBuilder(uri("/latest/api/token"))
                .header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                .header("X-Forwarded-For", "10.0.9.9")
                .PUT(HttpRequest.BodyPublishers.noBody()));
        assertThat(proxied.statusCode()).isEqualTo(403);
        assertThat(proxied.body()).isEqualTo("Forbidden");
        assertThat(send(HttpRequest.newBuilder(uri("/latest/dynamic/instance-identity/document")))
                        .statusCode())
                .isEqualTo(401);
        assertThat(send(HttpRequest.newBuilder(uri("/latest/meta-data/public-ipv4")))
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void architectureZoneIdsAndHostnamesFollowEc2sRules() {
        assertThat(ImdsMetadata.architecture("m6g.large")).isEqualTo("arm64");
        assertThat(ImdsMetadata.architecture("c7gn.xlarge")).isEqualTo("arm64");
        assertThat(ImdsMetadata.architecture("m5.large")).isEqualTo("x86_64");
        assertThat(ImdsMetadata.zoneId("eu-west-1c", "eu-west-1")).isEqualTo("euw1-az3");
        assertThat(ImdsMetadata.publicHostname("i-1", "eu-west-1")).endsWith(".eu-west-1.compute.amazonaws.com");
    }
}
