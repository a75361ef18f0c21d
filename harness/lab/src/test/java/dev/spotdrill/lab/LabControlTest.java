package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.AwsService;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The control endpoint of a running lab: its description, run-time faults, the call log, and who it answers. */
class LabControlTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    static SpotLab lab;
    static LabControl control;

    @BeforeAll
    static void start() {
        lab = SpotLab.start(LabOptions.builder().pace(60).build());
        control = LabControl.start(lab);
    }

    @AfterAll
    static void stop() {
        control.close();
        lab.close();
    }

    @AfterEach
    void clearFaults() {
        lab.faults().clearAll();
    }

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    static Answer call(String method, String path, String jsonBody) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(control.url() + path)).timeout(Duration.ofSeconds(10));
        if (jsonBody != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    @Test
    void theWorldDescriptionNamesEveryEndpointEachInstancesImdsAndTheClockButNoSecret() throws Exception {
        Answer a = call("GET", "/v1/world", null);

        assertThat(a.status()).isEqualTo(200);
        JsonNode d = a.json();
        assertThat(d.path("lab").asText()).isEqualTo(lab.id());
        assertThat(d.path("region").asText()).isEqualTo("us-east-1");
        assertThat(d.path("account").asText()).isEqualTo("123456789012");
        assertThat(d.path("pace").asDouble()).isEqualTo(60.0);
        assertThat(d.path("control").asText()).isEqualTo(control.url().toString());
        for (AwsService s : new AwsService[] {
            AwsService.FIS, AwsService.EC2, AwsService.STS, AwsService.IAM, AwsService.SQS, AwsService.EVENTBRIDGE
        }) {
            assertThat(d.path("endpoints")
                            .path(s.name().toLowerCase(java.util.Locale.ROOT))
                            .asText())
                    .as("%s", s)
                    .isEqualTo(lab.world().endpoint(s).orElseThrow().toString());
        }
        assertThat(d.path("kube").path("master").asText())
                .isEqualTo(lab.cluster().orElseThrow().masterUrl().toString());
        assertThat(d.path("instances")).hasSize(lab.instances().size());
        JsonNode a01 = d.path("instances").get(0);
        assertThat(a01.path("id").asText()).isEqualTo("i-0c0ffee0000000a01");
        assertThat(a01.path("node").asText()).isEqualTo("ip-10-0-1-11.ec2.internal");
        assertThat(a01.path("imds").asText())
                .isEqualTo(lab.world().imdsEndpoint("i-0c0ffee0000000a01").toString());
        assertThat(java.time.Instant.parse(d.path("clock").path("worldAnchor").asText()))
                .isEqualTo(lab.worldAnchor());
        assertThat(d.path("settings").path("spotdrill.castai.url").asText())
                .isEqualTo(lab.castAi().url().toString());

        AwsCredentials c = lab.world().credentials().orElseThrow();
        assertThat(a.body())
                .doesNotContain(c.secretAccessKey().reveal())
                .doesNotContain(c.accessKeyId())
                .doesNotContain(lab.castAi().apiKey().reveal())
                .doesNotContain("credentials");
    }

    @Test
    void theAttachCallAloneGivesTheCredentialsAndTheWorldSecrets() throws Exception {
        Answer a = call("POST", "/v1/attach", "{}");

        assertThat(a.status()).isEqualTo(200);
        AwsCredentials c = lab.world().credentials().orElseThrow();
        JsonNode d = a.json();
        assertThat(d.path("credentials").path("accessKeyId").asText()).isEqualTo(c.accessKeyId());
        assertThat(d.path("credentials").path("secretAccessKey").asText())
                .isEqualTo(c.secretAccessKey().reveal());
        assertThat(d.path("secrets").path("SPOTDRILL_CASTAI_API_KEY").asText())
                .isEqualTo(lab.castAi().apiKey().reveal());
        // not through a GET, which a page's <img> or a link could send
        assertThat(call("GET", "/v1/attach", null).status()).isEqualTo(405);
    }

    @Test
    void aFaultSetAtRunTimeIsOnAndClearedAgain() throws Exception {
        Answer set = call("POST", "/v1/faults", "{\"fault\":\"terminationHandler.drain-delay=PT3M\"}");

        assertThat(set.status()).isEqualTo(200);
        assertThat(set.json()
                        .path("active")
                        .path("terminationHandler.drain-delay")
                        .asText())
                .isEqualTo("PT3M");
        assertThat(lab.faults().value("terminationHandler.drain-delay")).contains("PT3M");

        Answer cleared = call("DELETE", "/v1/faults/terminationHandler.drain-delay", null);
        assertThat(cleared.status()).isEqualTo(200);
        assertThat(cleared.json().path("active").size()).isZero();
        assertThat(lab.faults().active("terminationHandler.drain-delay")).isFalse();
    }

    @Test
    void aBadFaultIsRefusedWithTheProblemAndTheFixAndChangesNothing() throws Exception {
        Answer badValue = call("POST", "/v1/faults", "{\"fault\":\"terminationHandler.drain-delay=soon\"}");
        Answer unknown = call("POST", "/v1/faults", "{\"fault\":\"imds.no-notise\"}");
        Answer noValue = call("POST", "/v1/faults", "{\"fault\":\"imds.no-notice=1\"}");
        Answer badEffect = call("POST", "/v1/faults", "{\"fault\":\"terminationHandler.taint-effect=Sometimes\"}");
        Answer notJson = call("POST", "/v1/faults", "{\"name\":\"imds.no-notice\"}");

        assertThat(badValue.status()).isEqualTo(400);
        assertThat(badValue.json().path("error").asText())
                .isEqualTo("\"terminationHandler.drain-delay=soon\": fault terminationHandler.drain-delay is not an"
                        + " ISO-8601 duration; write it like PT30S or PT3M (usage: terminationHandler.drain-delay=<ISO-8601"
                        + " duration, e.g. PT30S>)");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("error").asText())
                .startsWith("\"imds.no-notise\": unknown fault \"imds.no-notise\"; known faults: ")
                .contains("imds.no-notice (IMDS never shows the spot instance-action notice)");
        assertThat(noValue.json().path("error").asText())
                .contains("fault imds.no-notice takes no value; write it without \"=...\"");
        assertThat(badEffect.status()).isEqualTo(400);
        assertThat(badEffect.json().path("error").asText()).contains("Sometimes");
        assertThat(notJson.json().path("error").asText())
                .isEqualTo("POST /v1/faults needs {\"fault\":\"component.fault[=value]\"}, e.g."
                        + " {\"fault\":\"imds.no-notice\"}");
        assertThat(lab.faults().snapshot()).isEmpty();
        assertThat(call("DELETE", "/v1/faults/imds.no-notise", null)
                        .json()
                        .path("error")
                        .asText())
                .contains("unknown fault \"imds.no-notise\"");
    }

    @Test
    void theCallLogIsServedAndFilteredByWorldTime() throws Exception {
        java.time.Instant before = lab.clock().now();
        try (LabClients clients = new LabClients(lab.world())) {
            clients.sts.getCallerIdentity();
        }

        JsonNode all = call("GET", "/v1/calls", null).json();
        JsonNode since = call("GET", "/v1/calls?since=" + before, null).json();
        Answer bad = call("GET", "/v1/calls?since=yesterday", null);

        assertThat(all.isArray()).isTrue();
        assertThat(since).anySatisfy(c -> {
            assertThat(c.path("service").asText()).isEqualTo("sts");
            assertThat(c.path("operation").asText()).isEqualTo("GetCallerIdentity");
            assertThat(c.path("caller").asText()).isEqualTo(lab.principalArn());
        });
        assertThat(since.size()).isLessThanOrEqualTo(all.size());
        assertThat(since).allSatisfy(c -> assertThat(
                        java.time.Instant.parse(c.path("worldTime").asText()))
                .isAfterOrEqualTo(before));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("error").asText())
                .isEqualTo("GET /v1/calls?since=yesterday: not an RFC 3339 instant; write it like"
                        + " 2026-11-27T06:32:49Z (world time)");
    }

    @Test
    void anInstancesImdsIsFoundByIdAndAnUnknownIdIsNamed() throws Exception {
        Answer a = call("GET", "/v1/imds/i-0c0ffee0000000a02", null);
        Answer missing = call("GET", "/v1/imds/i-nope", null);

        assertThat(a.json().path("imds").asText())
                .isEqualTo(lab.world().imdsEndpoint("i-0c0ffee0000000a02").toString());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().path("error").asText())
                .startsWith("lab " + lab.id() + " has no instance \"i-nope\"; its instances are [i-0c0ffee0000000a01,");
    }

    @Test
    void aRequestForAnotherHostOrAChangeWithoutJsonIsRefused() throws Exception {
        String rebound = raw("GET /v1/world HTTP/1.1\r\nHost: attacker.example:80\r\nConnection: close\r\n\r\n");
        String body = "{\"fault\":\"imds.no-notice\"}";
        String form = raw("POST /v1/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        Answer unknownPath = call("GET", "/v1/nothing", null);

        assertThat(rebound)
                .startsWith("HTTP/1.1 403")
                .contains("answers only requests addressed to 127.0.0.1 or localhost, not \\\"attacker.example\\\"");
        assertThat(form).startsWith("HTTP/1.1 415").contains("needs Content-Type: application/json, got text/plain");
        assertThat(lab.faults().snapshot()).isEmpty();
        assertThat(unknownPath.status()).isEqualTo(404);
        assertThat(unknownPath.json().path("error").asText()).startsWith("no such control call: GET /v1/nothing;");
    }

    private static String raw(String request) throws Exception {
        try (Socket s = new Socket(control.url().getHost(), control.url().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
