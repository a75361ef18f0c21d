package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScenarioTest {
    private static final String MINIMAL =
            "region: us-east-1\naccount: \"123456789012\"\ninstances:\n" + "  - { type: m5.large, zone: us-east-1a }\n";

    @Test
    void shopHasTheDocumentedInstances() {
        Scenario shop = Scenario.shop();
        assertThat(shop.name()).isEqualTo("shop");
        assertThat(shop.region()).isEqualTo("us-east-1");
        assertThat(shop.account()).isEqualTo("123456789012");
        assertThat(shop.pace()).hasValue(60);
        assertThat(shop.replaceInterrupted()).isTrue();
        assertThat(shop.roles()).containsExactly("spotdrill-fis");
        assertThat(shop.instances()).hasSize(9);
        var runningSpotNodes = shop.instances().stream()
                .filter(i -> i.spot() && i.state().equals("running") && i.node().isPresent())
                .toList();
        assertThat(runningSpotNodes).hasSize(6).allSatisfy(i -> {
            assertThat(i.tags()).containsEntry("spotdrill/allowed", "true");
            assertThat(i.node().orElseThrow().labels())
                    .containsEntry("eks.amazonaws.com/capacityType", "SPOT")
                    .containsEntry("node.kubernetes.io/instance-type", i.type())
                    .containsEntry("topology.kubernetes.io/zone", i.zone());
        });
        assertThat(runningSpotNodes.stream()
                        .filter(i -> "checkout".equals(i.node().get().labels().get("workload"))))
                .hasSize(3);
        assertThat(shop.instance("i-0c0ffee0000000b01")
                        .orElseThrow()
                        .node()
                        .orElseThrow()
                        .labels())
                .containsEntry("eks.amazonaws.com/capacityType", "ON_DEMAND");
        assertThat(shop.instance("i-0c0ffee0000000c01").orElseThrow().state()).isEqualTo("stopped");
        assertThat(shop.instance("i-0c0ffee0000000d01").orElseThrow().tags()).doesNotContainKey("spotdrill/allowed");
    }

    @Test
    void fleetHasTwelveOptedInSpotInstances() {
        Scenario fleet = Scenario.load("fleet");
        assertThat(fleet.instances())
                .hasSize(12)
                .allSatisfy(i -> assertThat(i.spot()).isTrue())
                .allSatisfy(i -> assertThat(i.tags()).containsEntry("spotdrill/allowed", "true"));
    }

    @Test
    void defaultsCountExpansionAndUnknownSectionsAreKept() {
        Scenario s = Scenario.parse(
                "name: mini\nregion: eu-west-1\naccount: 111122223333\nworkloads: [{name: web}]\ninstances:\n"
                        + "  - { type: m5.large, zone: eu-west-1b, count: 3, node: { name: n, labels: {a: b} } }\n"
                        + "  - { id: i-00000000000000aff, type: c5.large, zone: eu-west-1a, count: 2 }\n");
        assertThat(s.pace()).isEmpty();
        assertThat(s.replacementDelay()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.instances()).hasSize(5);
        assertThat(s.instances().get(0).lifecycle()).isEqualTo("spot");
        assertThat(s.instances().get(0).state()).isEqualTo("running");
        assertThat(s.instances().get(0).interruptionBehavior()).isEqualTo("terminate");
        assertThat(s.instances().get(0).id()).matches("i-[0-9a-f]{17}");
        assertThat(s.instances().stream()
                        .limit(3)
                        .map(i -> i.node().orElseThrow().name()))
                .containsExactly("n-1", "n-2", "n-3");
        assertThat(s.instances().get(3).id()).isEqualTo("i-00000000000000aff");
        assertThat(s.instances().get(4).id()).isEqualTo("i-00000000000000b00");
        assertThat(s.extra("workloads"))
                .hasValueSatisfying(
                        w -> assertThat(w.get(0).get("name").asText()).isEqualTo("web"));
        assertThat(Scenario.parse(MINIMAL).instances().get(0).id())
                .isEqualTo(Scenario.parse(MINIMAL).instances().get(0).id());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "region: mars-1|region = \"mars-1\" is not an AWS region name; write it like us-east-1",
                "account: \"12345\"|account = \"12345\" must be a 12-digit AWS account id",
                "pace: -3|pace = \"-3\" must be a positive number",
                "replacementDelay: soon|replacementDelay = \"soon\" is not an ISO-8601 duration",
                "replaceInterrupted: maybe|replaceInterrupted = \"maybe\" must be true or false",
                "roles: [\"bad role\"]|roles[0] = \"bad role\" is not an IAM role name",
            })
    void topLevelErrorsNameThePathValueAndFix(String line, String message) {
        String yaml = MINIMAL.replaceFirst("(?m)^" + line.split(":")[0] + ":.*\n", "") + line + "\n";
        assertThatThrownBy(() -> Scenario.parse(yaml, "my.yaml"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("scenario my.yaml: ")
                .hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "{ zone: us-east-1a }|instances[1].type = \"\" is missing",
                "{ type: m5.large, zone: us-west-2a }|instances[1].zone = \"us-west-2a\" is not an availability zone"
                        + " of region us-east-1; use a zone such as us-east-1a",
                "{ type: m5.large }|instances[1].zone = \"\" is missing",
                "{ id: i-xyz, type: m5.large, zone: us-east-1a }|instances[1].id = \"i-xyz\" is not an EC2 instance"
                        + " id",
                "{ type: large, zone: us-east-1a }|instances[1].type = \"large\" is not an instance type",
                "{ type: m5.large, zone: us-east-1a, lifecycle: reserved }|instances[1].lifecycle = \"reserved\" is"
                        + " not allowed; use one of spot, on-demand",
                "{ type: m5.large, zone: us-east-1a, state: pending }|instances[1].state = \"pending\"",
                "{ type: m5.large, zone: us-east-1a, interruptionBehavior: explode }|instances[1]"
                        + ".interruptionBehavior = \"explode\"",
                "{ type: m5.large, zone: us-east-1a, count: 0 }|instances[1].count = \"0\" must be a whole number",
                "{ type: m5.large, zone: us-east-1a, colour: red }|instances[1].colour = \"\"red\"\" is not a known"
                        + " instance field",
                "{ type: m5.large, zone: us-east-1a, tags: [a] }|instances[1].tags = \"[\"a\"]\" must be a mapping",
                "{ type: m5.large, zone: us-east-1a, node: { labels: {} } }|instances[1].node.name = \"\" is missing",
                "{ type: m5.large, zone: us-east-1a, node: { name: Bad_Name } }|instances[1].node.name ="
                        + " \"Bad_Name\" is not a valid Kubernetes node name",
            })
    void instanceErrorsNameThePathValueAndFix(String instance, String message) {
        String yaml = MINIMAL + "  - " + instance + "\n";
        assertThatThrownBy(() -> Scenario.parse(yaml, "my.yaml"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("scenario my.yaml: " + message);
    }

    @Test
    void duplicateIdsAndBadYamlAreRefused() {
        assertThatThrownBy(() -> Scenario.parse(MINIMAL + "  - { id: i-0123456789abcdef0, type: m5.large, zone:"
                        + " us-east-1a }\n  - { id: i-0123456789abcdef0, type: m5.large, zone: us-east-1a }\n"))
                .hasMessageContaining("instances[2].id = \"i-0123456789abcdef0\" is used by more than one instance");
        assertThatThrownBy(() -> Scenario.parse("region: [unclosed\n", "broken.yaml"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("scenario broken.yaml is not valid YAML");
        assertThatThrownBy(() -> Scenario.parse("region: us-east-1\naccount: \"123456789012\"\n"))
                .hasMessageContaining("instances = \"\" is missing");
        assertThatThrownBy(() -> Scenario.parse("")).hasMessageContaining("the scenario is empty");
    }

    @Test
    void loadsFilesAndNamesMissingOnes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mine.yaml");
        Files.writeString(file, MINIMAL);
        Scenario s = Scenario.load(file.toString());
        assertThat(s.name()).isEqualTo("mine");
        assertThat(s.source()).isEqualTo(file.toString());
        assertThatThrownBy(() -> Scenario.load("no-such-scenario"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("scenario \"no-such-scenario\" not found")
                .hasMessageContaining("dev/spotdrill/lab/scenarios/no-such-scenario.yaml")
                .hasMessageContaining("use a built-in name (shop, fleet)");
    }
}
