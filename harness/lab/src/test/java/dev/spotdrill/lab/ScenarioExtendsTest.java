package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code extends:} lets a scenario change a few settings of another: mappings merge, lists are replaced. */
class ScenarioExtendsTest {

    @Test
    void aScenarioOverridesSettingsOfTheOneItExtends() {
        Scenario s = Scenario.parse("""
                extends: shop
                name: shop-quick
                pace: 30
                responders:
                  fargateOrchestrator:
                    recovery: { cooldown: 10m }
                daemonSets:
                  - { namespace: kube-system, name: kube-proxy }
                """);

        assertThat(s.name()).isEqualTo("shop-quick");
        assertThat(s.pace()).hasValue(30);
        assertThat(s.instances()).hasSameSizeAs(Scenario.shop().instances());
        // mappings merge key by key: the other orchestrator settings and the handler stay
        assertThat(s.raw()
                        .at("/responders/fargateOrchestrator/recovery/cooldown")
                        .asText())
                .isEqualTo("10m");
        assertThat(s.raw()
                        .at("/responders/fargateOrchestrator/recovery/interval")
                        .asText())
                .isEqualTo("5m");
        assertThat(s.raw().at("/responders/fargateOrchestrator/deployment").asText())
                .isEqualTo("cart");
        assertThat(s.raw().at("/responders/terminationHandler/enabled").asBoolean())
                .isTrue();
        // lists are replaced whole
        assertThat(s.raw().path("daemonSets")).hasSize(1);
        assertThat(s.raw().has("extends")).isFalse();
    }

    @Test
    void aBaseCanBeAFileAndABadBaseIsNamed(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base.yaml");
        Files.writeString(base, "extends: shop\nname: base\npace: 12\n");
        assertThat(Scenario.parse("extends: " + base + "\nname: child\n").pace())
                .hasValue(12);

        assertThatThrownBy(() -> Scenario.parse("extends: [shop]\n", "my.yaml"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage(
                        "scenario my.yaml: extends is [\"shop\"]; name the scenario it builds on, e.g. extends: shop");
        assertThatThrownBy(() -> Scenario.parse("extends: nowhere\n"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("scenario \"nowhere\" not found");
        Path loop = dir.resolve("loop.yaml");
        Files.writeString(loop, "extends: " + loop + "\n");
        assertThatThrownBy(() -> Scenario.load(loop.toString()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("goes more than 8 scenarios deep (a cycle?)");
    }
}
