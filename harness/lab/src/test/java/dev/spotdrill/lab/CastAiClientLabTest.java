package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.Secret;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.castai.Blacklist;
import dev.spotdrill.core.castai.BlacklistMatch;
import dev.spotdrill.core.castai.CastAiAuthenticationException;
import dev.spotdrill.core.castai.CastAiClient;
import dev.spotdrill.core.castai.CastAiException;
import dev.spotdrill.core.castai.CastAiSettings;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Core's CAST AI client against the lab over real HTTP, with the settings the lab world supplies. */
class CastAiClientLabTest {
    private static SpotLab lab;
    private static String key;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(
                System.getenv(CastAiSettings.API_KEY_ENV) == null,
                "SPOTDRILL_CASTAI_API_KEY is set: these tests use the lab world's key");
        lab = SpotLab.start(
                LabOptions.builder().scenario(Scenario.load("fleet")).build());
        key = lab.world().secret(CastAiSettings.API_KEY_ENV).orElseThrow().reveal();
    }

    @AfterAll
    static void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @BeforeEach
    void clean() {
        lab.faults().clearAll();
        lab.castAi().clear();
    }

    private static CastAiClient client() {
        return CastAiClient.create(CastAiSettings.resolve(SpotDrillConfig.of(Map.of()), lab.world()), lab.clock());
    }

    private static CastAiClient client(Map<String, String> config) {
        return CastAiClient.create(CastAiSettings.resolve(SpotDrillConfig.of(config), lab.world()), lab.clock());
    }

    private static List<ApiCall> castAiCalls(Instant since) {
        return lab.callLog().since(since).stream()
                .filter(c -> c.service().equals("castai"))
                .toList();
    }

    @Test
    void listAddAndRemoveWithNothingSet() {
        CastAiClient c = client();
        assertThat(c.url()).isEqualTo(lab.castAi().url());
        assertThat(c.organizationId()).isEqualTo(lab.castAi().organizationId());
        assertThat(c.list().isEmpty()).isTrue();
        Instant expires = lab.clock().now().plus(Duration.ofHours(5)).truncatedTo(ChronoUnit.SECONDS);
        c.add("m5.large", "spot", expires);
        c.add("c5", "spot", null);

        Blacklist b = c.list();
        assertThat(b.entries()).hasSize(2);
        assertThat(b.entries().get(0).expiresAt()).contains(expires);
        assertThat(b.entries().get(0).raw()).contains("\"createdAt\"");
        assertThat(b.match("m5.large").orElseThrow().kind()).isEqualTo(BlacklistMatch.Kind.INSTANCE_TYPE);
        assertThat(b.match("c5.xlarge").orElseThrow().kind()).isEqualTo(BlacklistMatch.Kind.FAMILY);
        assertThat(b.match("m5.xlarge")).isEmpty();

        c.remove("m5.large", "spot");
        assertThat(c.list().entries()).extracting(e -> e.instanceFamily()).containsExactly("c5");
    }

    @Test
    void unauthorizedNamesTheVariableAndNeverTheKey() {
        lab.faults().set("castai.unauthorized");
        assertThatThrownBy(() -> client().list())
                .isInstanceOf(CastAiAuthenticationException.class)
                .hasMessageContaining("CAST AI refused the API key for ListBlacklist for organization "
                        + lab.castAi().organizationId())
                .hasMessageContaining("401 Unauthorized: unauthorized: the API key is invalid or has been revoked")
                .hasMessageContaining("set the environment variable SPOTDRILL_CASTAI_API_KEY")
                .hasMessageContaining("the key came from world lab (SPOTDRILL_CASTAI_API_KEY is not set)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(key))
                .satisfies(e -> assertThat(((CastAiException) e).status()).isEqualTo(401));
    }

    @Test
    void aWrongKeyIs403AndItsValueIsNotShownEither() {
        String wrong = "wrong-key-" + Long.toHexString(System.nanoTime());
        CastAiSettings s = CastAiSettings.of(
                lab.castAi().url(), lab.castAi().organizationId(), lab.castAi().clusterId(), Secret.of(wrong));
        assertThatThrownBy(() -> CastAiClient.create(s, lab.clock()).add("m5.large", "spot", null))
                .isInstanceOf(CastAiAuthenticationException.class)
                .hasMessageContaining("403 Forbidden")
                .hasMessageContaining("SPOTDRILL_CASTAI_API_KEY")
                .hasMessageContaining("that can change organization")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain(key));
    }

    @Test
    void anUnknownClusterNamesTheIdsAndTheKeys() {
        CastAiClient c = client(Map.of(SpotDrillConfig.CASTAI_CLUSTER_ID, "no-such-cluster"));
        assertThatThrownBy(c::list)
                .isInstanceOf(CastAiException.class)
                .hasMessageContaining("CAST AI found no organization "
                        + lab.castAi().organizationId() + " with cluster no-such-cluster for ListBlacklist")
                .hasMessageContaining("check spotdrill.castai.organizationId and spotdrill.castai.clusterId");
    }

    @Test
    void aBadRequestNamesTheFieldAndTheCluster() {
        assertThatThrownBy(() -> client().add("M5 Large", "spot", null))
                .isInstanceOf(CastAiException.class)
                .hasMessageContaining("CAST AI refused AddToBlacklist for organization "
                        + lab.castAi().organizationId() + ", cluster "
                        + lab.castAi().clusterId())
                .hasMessageContaining(
                        "400 Bad Request: invalid request: instanceFamily: \"M5 Large\" is not an" + " instance family")
                .satisfies(e -> assertThat(((CastAiException) e).status()).isEqualTo(400));
    }

    @Test
    void throttleOfThreeIsAbsorbedByRetries() {
        Instant since = lab.clock().now();
        lab.faults().set("castai.throttle=3");
        client().add("r5.large", "spot", null);
        assertThat(lab.castAi().entries()).hasSize(1);
        assertThat(castAiCalls(since)).extracting(ApiCall::status).containsExactly(429, 429, 429, 200);
        // Retry-After: 1 was honoured in world time: three waits of at least a world second
        List<ApiCall> calls = castAiCalls(since);
        assertThat(Duration.between(calls.get(0).worldTime(), calls.get(3).worldTime()))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void unavailableBeyondTheRetriesFailsWithTheCountAndTheFix() {
        Instant since = lab.clock().now();
        lab.faults().set("castai.unavailable=10");
        assertThatThrownBy(() -> client().list())
                .isInstanceOf(CastAiException.class)
                .hasMessageContaining("CAST AI ListBlacklist at " + lab.castAi().url() + " failed 6 times over")
                .hasMessageContaining("last: 503 Service Unavailable: service unavailable, try again later")
                .hasMessageContaining("retry later");
        assertThat(castAiCalls(since)).hasSize(CastAiClient.MAX_ATTEMPTS);
    }

    @Test
    void theKeysValueAppearsInNoMessageLogOrString() {
        lab.faults().set("castai.unauthorized");
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> client().list());
        assertThat(t).isNotNull();
        StringBuilder everything = new StringBuilder();
        for (Throwable x = t; x != null; x = x.getCause()) {
            everything.append(x).append('\n');
        }
        everything.append(client()).append('\n');
        everything
                .append(CastAiSettings.resolve(SpotDrillConfig.of(Map.of()), lab.world()))
                .append('\n');
        everything.append(lab.world()).append('\n');
        everything.append(lab.callLog().toJson()).append('\n');
        lab.world().attachments().values().forEach(everything::append);
        assertThat(everything.toString()).doesNotContain(key).contains("SPOTDRILL_CASTAI_API_KEY");
    }
}
