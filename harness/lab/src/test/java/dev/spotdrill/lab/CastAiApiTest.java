package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The lab's CAST AI legacy blacklist API over real HTTP: strict about the key, the ids and the bodies. */
class CastAiApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static SpotLab lab;
    private static String key;
    private static String org;
    private static String cluster;

    @BeforeAll
    static void start() {
        lab = SpotLab.start(
                LabOptions.builder().scenario(Scenario.load("fleet")).build());
        key = lab.world().secret("SPOTDRILL_CASTAI_API_KEY").orElseThrow().reveal();
        org = lab.castAi().organizationId();
        cluster = lab.castAi().clusterId();
    }

    @AfterAll
    static void stop() {
        lab.close();
    }

    @BeforeEach
    void clean() {
        lab.faults().clearAll();
        lab.castAi().clear();
    }

    private static HttpResponse<String> call(String method, String pathAndQuery, String apiKey, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(lab.castAi().url() + pathAndQuery));
        if (apiKey != null) {
            b.header("X-API-Key", apiKey);
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> list(String apiKey) throws IOException, InterruptedException {
        return call("GET", "/v1/inventory/blacklist?organizationId=" + org + "&clusterId=" + cluster, apiKey, null);
    }

    private static HttpResponse<String> add(String body) throws IOException, InterruptedException {
        return call("POST", "/v1/inventory/blacklist/add", key, body);
    }

    private static String addBody(String family, String lifecycle, String expiresAt) {
        return "{\"organizationId\":\"" + org + "\",\"clusterId\":\"" + cluster + "\",\"instanceFamily\":\"" + family
                + "\",\"lifecycle\":\"" + lifecycle + "\""
                + (expiresAt == null ? "" : ",\"expiresAt\":\"" + expiresAt + "\"")
                + "}";
    }

    private static String message(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body()).path("message").asText();
    }

    private static ApiCall lastCall() {
        List<ApiCall> calls = lab.callLog().calls();
        return calls.get(calls.size() - 1);
    }

    @Test
    void addListAndRemove() throws Exception {
        String expires = lab.clock()
                .now()
                .plus(Duration.ofHours(5))
                .truncatedTo(ChronoUnit.SECONDS)
                .toString();
        assertThat(add(addBody("m5.large", "spot", expires)).statusCode()).isEqualTo(200);
        assertThat(add(addBody("c5", "spot", null)).statusCode()).isEqualTo(200);
        HttpResponse<String> r = list(key);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode items = JSON.readTree(r.body()).path("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).path("instanceFamily").asText()).isEqualTo("m5.large");
        assertThat(items.get(0).path("lifecycle").asText()).isEqualTo("spot");
        assertThat(items.get(0).path("expiresAt").asText()).isEqualTo(expires);
        assertThat(items.get(0).path("organizationId").asText()).isEqualTo(org);
        assertThat(items.get(0).path("clusterId").asText()).isEqualTo(cluster);
        assertThat(items.get(0).path("createdAt").isTextual()).isTrue();
        assertThat(items.get(1).has("expiresAt")).isFalse();

        String remove = "{\"organizationId\":\"" + org + "\",\"clusterId\":\"" + cluster
                + "\",\"instanceFamily\":\"m5.large\",\"lifecycle\":\"spot\"}";
        assertThat(call("POST", "/v1/inventory/blacklist/remove", key, remove).statusCode())
                .isEqualTo(200);
        assertThat(lab.castAi().entries())
                .extracting(LabCastAi.Entry::instanceFamily)
                .containsExactly("c5");
        assertThat(lab.callLog().calls("castai", "RemoveFromBlacklist")).last().satisfies(c -> {
            assertThat(c.status()).isEqualTo(200);
            assertThat(c.resource()).isEqualTo("m5.large");
        });
    }

    @Test
    void entriesExpireAtExpiresAtInWorldTime() throws Exception {
        Instant expires = lab.clock().now().plus(Duration.ofMinutes(2)).truncatedTo(ChronoUnit.SECONDS);
        assertThat(add(addBody("r5.large", "spot", expires.toString())).statusCode())
                .isEqualTo(200);
        assertThat(JSON.readTree(list(key).body()).path("items")).hasSize(1);
        // two world minutes are two wall seconds at pace 60
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> JSON.readTree(list(key).body()).path("items").isEmpty());
        assertThat(lab.clock().now()).isAfterOrEqualTo(expires);
    }

    @Test
    void withoutAKeyIs401() throws Exception {
        HttpResponse<String> r = list(null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(message(r)).isEqualTo("unauthorized: the X-API-Key header is missing");
        assertThat(lastCall().service()).isEqualTo("castai");
        assertThat(lastCall().operation()).isEqualTo("ListBlacklist");
        assertThat(lastCall().errorCode()).isEqualTo("Unauthorized");
    }

    @Test
    void withAWrongKeyIs403() throws Exception {
        HttpResponse<String> r = list("not-the-lab-key-1234");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(message(r)).isEqualTo("forbidden: the API key is not valid for this organization");
        assertThat(lastCall().errorCode()).isEqualTo("Forbidden");
    }

    @Test
    void unknownOrganizationOrClusterIs404() throws Exception {
        HttpResponse<String> r =
                call("GET", "/v1/inventory/blacklist?organizationId=nope&clusterId=" + cluster, key, null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(message(r)).isEqualTo("organization nope not found");
        r = call("GET", "/v1/inventory/blacklist?organizationId=" + org + "&clusterId=nope", key, null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(message(r)).isEqualTo("cluster nope not found in organization " + org);
        assertThat(lastCall().errorCode()).isEqualTo("NotFound");
    }

    @Test
    void badInputIs400NamingTheField() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/inventory/blacklist?clusterId=" + cluster, key, null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(message(r)).isEqualTo("invalid request: organizationId: is required");

        r = add("{\"organizationId\":\"" + org + "\",\"clusterId\":\"" + cluster + "\",\"lifecycle\":\"spot\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(message(r)).isEqualTo("invalid request: instanceFamily: is required");

        r = add(addBody("m5.large", "spotty", null));
        assertThat(message(r)).isEqualTo("invalid request: lifecycle: \"spotty\" must be one of spot, on-demand, all");

        r = add(addBody("M5 Large", "spot", null));
        assertThat(message(r))
                .isEqualTo("invalid request: instanceFamily: \"M5 Large\" is not an instance family (m5) or type"
                        + " (m5.large)");

        r = add(addBody("m5.large", "spot", "tomorrow"));
        assertThat(message(r)).startsWith("invalid request: expiresAt: \"tomorrow\" is not an RFC 3339 time");

        r = add(addBody("m5.large", "spot", "2001-01-01T00:00:00Z"));
        assertThat(message(r)).isEqualTo("invalid request: expiresAt: \"2001-01-01T00:00:00Z\" must be in the future");

        r = add("[1,2]");
        assertThat(message(r)).isEqualTo("invalid request: body: must be a JSON object");
        assertThat(lastCall().errorCode()).isEqualTo("BadRequest");
        assertThat(lab.castAi().entries()).isEmpty();
    }

    @Test
    void unknownPathsAndMethodsAreRefused() throws Exception {
        assertThat(call("GET", "/v1/inventory/blacklisted", key, null).statusCode())
                .isEqualTo(404);
        HttpResponse<String> r = call("DELETE", "/v1/inventory/blacklist", key, null);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).contains("GET");
    }

    @Test
    void unauthorizedFaultRefusesEvenTheRightKey() throws Exception {
        lab.faults().set("castai.unauthorized");
        HttpResponse<String> r = list(key);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(message(r)).isEqualTo("unauthorized: the API key is invalid or has been revoked");
        lab.faults().clear("castai.unauthorized");
        assertThat(list(key).statusCode()).isEqualTo(200);
    }

    @Test
    void throttleAnswers429ForTheNextNCalls() throws Exception {
        lab.faults().set("castai.throttle=2");
        HttpResponse<String> first = list(key);
        assertThat(first.statusCode()).isEqualTo(429);
        assertThat(first.headers().firstValue("Retry-After")).contains("1");
        assertThat(list(key).statusCode()).isEqualTo(429);
        assertThat(list(key).statusCode()).isEqualTo(200);
        assertThat(lab.faults().active("castai.throttle")).isFalse();
    }

    @Test
    void unavailableAnswers503ForTheNextNCalls() throws Exception {
        lab.faults().set("castai.unavailable=1");
        HttpResponse<String> r = list(key);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(lastCall().errorCode()).isEqualTo("ServiceUnavailable");
        assertThat(list(key).statusCode()).isEqualTo(200);
    }

    @Test
    void theKeyNeverReachesTheCallLogOrTheWorld() throws Exception {
        list(key);
        list("not-the-lab-key-1234");
        assertThat(lab.callLog().toJson()).doesNotContain(key).contains("\"service\" : \"castai\"");
        assertThat(lab.world().attachments().values()).noneMatch(v -> v.contains(key));
        assertThat(lab.world().toString()).doesNotContain(key);
        assertThat(lab.castAi().toString()).doesNotContain(key);
        assertThat(lab.callLog().leastPrivilegePolicy()).doesNotContain("castai");
    }
}
