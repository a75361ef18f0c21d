package dev.spotdrill.core.castai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.Secret;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CastAiSettingsTest {
    private static final String WORLD_KEY = "world-key-3f9a1c77d2";
    private static final String ENV_KEY = "env-key-8b2e44a0c1";

    private final World lab = World.builder("lab")
            .region("us-east-1")
            .setting(SpotDrillConfig.CASTAI_URL, "http://127.0.0.1:4455")
            .setting(SpotDrillConfig.CASTAI_ORGANIZATION_ID, "org-lab")
            .setting(SpotDrillConfig.CASTAI_CLUSTER_ID, "cluster-lab")
            .secret(CastAiSettings.API_KEY_ENV, Secret.of(WORLD_KEY))
            .build();
    private final World aws = World.builder("aws").region("us-east-1").build();

    @Test
    void inTheLabNothingNeedsSetting() {
        CastAiSettings s = CastAiSettings.resolve(SpotDrillConfig.of(Map.of()), lab, Optional.empty());
        assertThat(s.url()).hasToString("http://127.0.0.1:4455");
        assertThat(s.organizationId()).isEqualTo("org-lab");
        assertThat(s.clusterId()).isEqualTo("cluster-lab");
        assertThat(s.apiKey().reveal()).isEqualTo(WORLD_KEY);
        assertThat(s.apiKeySource()).isEqualTo("world lab (SPOTDRILL_CASTAI_API_KEY is not set)");
    }

    @Test
    void theConfigurationAndTheEnvironmentComeBeforeTheWorld() {
        SpotDrillConfig config = SpotDrillConfig.of(Map.of(
                SpotDrillConfig.CASTAI_URL, "https://api.example.test",
                SpotDrillConfig.CASTAI_ORGANIZATION_ID, "org-1",
                SpotDrillConfig.CASTAI_CLUSTER_ID, "cluster-1"));
        CastAiSettings s = CastAiSettings.resolve(config, lab, Optional.of(Secret.of(ENV_KEY)));
        assertThat(s.url()).hasToString("https://api.example.test");
        assertThat(s.organizationId()).isEqualTo("org-1");
        assertThat(s.clusterId()).isEqualTo("cluster-1");
        assertThat(s.apiKey().reveal()).isEqualTo(ENV_KEY);
        assertThat(s.apiKeySource()).isEqualTo("environment variable SPOTDRILL_CASTAI_API_KEY");
    }

    @Test
    void theUrlDefaultsToCastAisPublicApi() {
        SpotDrillConfig config = SpotDrillConfig.of(Map.of(
                SpotDrillConfig.CASTAI_ORGANIZATION_ID, "org-1", SpotDrillConfig.CASTAI_CLUSTER_ID, "cluster-1"));
        assertThat(CastAiSettings.resolve(config, aws, Optional.of(Secret.of(ENV_KEY)))
                        .url())
                .isEqualTo(CastAiSettings.DEFAULT_URL);
    }

    @Test
    void aMissingOrganizationIdNamesTheKeyAndTheFix() {
        SpotDrillConfig config = SpotDrillConfig.of(Map.of(SpotDrillConfig.CASTAI_CLUSTER_ID, "cluster-1"));
        assertThatThrownBy(() -> CastAiSettings.resolve(config, aws, Optional.of(Secret.of(ENV_KEY))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.castai.organizationId is not set")
                .hasMessageContaining("set spotdrill.castai.organizationId (or the environment variable"
                        + " SPOTDRILL_CASTAI_ORGANIZATION_ID)");
    }

    @Test
    void aMissingClusterIdNamesTheKeyAndTheFix() {
        SpotDrillConfig config = SpotDrillConfig.of(Map.of(SpotDrillConfig.CASTAI_ORGANIZATION_ID, "org-1"));
        assertThatThrownBy(() -> CastAiSettings.resolve(config, aws, Optional.of(Secret.of(ENV_KEY))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.castai.clusterId is not set")
                .hasMessageContaining("SPOTDRILL_CASTAI_CLUSTER_ID");
    }

    @Test
    void aMissingKeyNamesTheVariable() {
        SpotDrillConfig config = SpotDrillConfig.of(Map.of(
                SpotDrillConfig.CASTAI_ORGANIZATION_ID, "org-1", SpotDrillConfig.CASTAI_CLUSTER_ID, "cluster-1"));
        assertThatThrownBy(() -> CastAiSettings.resolve(config, aws, Optional.empty()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining(
                        "the CAST AI API key is not set: export the environment variable" + " SPOTDRILL_CASTAI_API_KEY")
                .hasMessageContaining("from the environment only");
    }

    @Test
    void aUrlThatIsNotHttpIsRefused() {
        SpotDrillConfig config = SpotDrillConfig.of(Map.of(SpotDrillConfig.CASTAI_URL, "api.cast.ai"));
        assertThatThrownBy(() -> CastAiSettings.resolve(config, lab, Optional.empty()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.castai.url=\"api.cast.ai\": not an absolute http(s) URL");
    }

    @Test
    void theKeyNeverShowsInToStringsAndIsRedacted() {
        CastAiSettings s = CastAiSettings.resolve(SpotDrillConfig.of(Map.of()), lab, Optional.empty());
        assertThat(s.toString()).doesNotContain(WORLD_KEY).contains("apiKey=****");
        assertThat(lab.toString()).doesNotContain(WORLD_KEY);
        assertThat(CastAiClient.create(s, lab.clock()).toString()).doesNotContain(WORLD_KEY);
        assertThat(Redactor.redact("key " + WORLD_KEY)).isEqualTo("key ****");
    }
}
