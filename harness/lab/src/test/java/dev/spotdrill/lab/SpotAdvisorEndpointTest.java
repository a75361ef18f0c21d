package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.advisor.SpotAdvisorFeed;
import dev.spotdrill.core.advisor.SpotAdvisorReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The lab's spot-advisor-data.json over real HTTP: the real schema, the shop's data, and changes at run time. */
class SpotAdvisorEndpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static SpotLab lab;

    @BeforeAll
    static void start() {
        lab = SpotLab.start();
    }

    @AfterAll
    static void stop() {
        lab.close();
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static SpotAdvisorFeed read() {
        return SpotAdvisorReader.resolve(SpotDrillConfig.of(Map.of()), lab.world())
                .read();
    }

    @Test
    void servesTheRealSchema() throws Exception {
        HttpResponse<String> r = get(lab.spotAdvisor().url());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(r.headers().firstValue("ETag"))
                .hasValueSatisfying(e -> assertThat(e).matches("\"[0-9a-f]{32}\""));
        assertThat(lab.spotAdvisor().url().getPath()).isEqualTo("/spot-advisor-data.json");
        JsonNode root = JSON.readTree(r.body());
        assertThat(root.path("global_rate").asText()).isEqualTo("<10%");
        JsonNode m5 = root.path("instance_types").path("m5.large");
        assertThat(m5.path("emr").isBoolean()).isTrue();
        assertThat(m5.path("cores").asInt()).isEqualTo(2);
        assertThat(m5.path("ram_gb").asDouble()).isEqualTo(8.0);
        List<String> ranges = new ArrayList<>();
        root.path("ranges")
                .forEach(n -> ranges.add(
                        n.path("index").asInt() + " " + n.path("label").asText() + " "
                                + n.path("dots").asInt() + " " + n.path("max").asInt()));
        assertThat(ranges)
                .containsExactly("0 <5% 0 5", "1 5-10% 1 11", "2 10-15% 2 16", "3 15-20% 3 22", "4 >20% 4 100");
        JsonNode linux = root.path("spot_advisor").path("us-east-1").path("Linux");
        assertThat(linux.path("m5.large").path("r").asInt()).isZero();
        assertThat(linux.path("c5.large").path("r").asInt()).isEqualTo(2);
        assertThat(linux.path("c5.large").path("s").asInt()).isBetween(0, 100);
        assertThat(root.path("spot_advisor")
                        .path("us-east-1")
                        .path("Windows")
                        .path("m5.large")
                        .path("r")
                        .asInt())
                .isEqualTo(2);
        assertThat(lab.callLog().calls("spotadvisor", "GetObject")).isNotEmpty();
    }

    @Test
    void coreReadsTheLabsFeedWithNothingSet() {
        SpotAdvisorFeed feed = read();
        assertThat(feed.source()).isEqualTo(lab.spotAdvisor().url().toString());
        assertThat(feed.typesAbove("us-east-1", "Linux", 10))
                .containsExactly("c5.large", "c5.xlarge", "m5.xlarge", "m5a.large", "r5.large");
        assertThat(feed.typesAbove("us-east-1", "Linux", 11))
                .containsExactly("c5.large", "c5.xlarge", "m5.xlarge", "r5.large");
        assertThat(feed.typesAbove("us-east-1", "Windows", 10))
                .containsExactly("c5.large", "m5.large", "m5.xlarge", "m5a.large", "r5.large", "t3.large");
        assertThatThrownBy(() -> feed.typesAbove("ap-south-2", "Linux", 10))
                .hasMessageContaining("region \"ap-south-2\" is not in the Spot Advisor feed at "
                        + lab.spotAdvisor().url());
    }

    @Test
    void setChangesTheFeedAtRunTime() {
        try {
            lab.spotAdvisor().set("us-east-1", "Linux", "m6i.large", 4);
            lab.spotAdvisor().set("eu-west-1", "Linux", "m5.large", 1);
            SpotAdvisorFeed feed = read();
            assertThat(feed.typesAbove("us-east-1", "Linux", 10)).contains("m6i.large");
            assertThat(feed.typesAbove("eu-west-1", "Linux", 10)).containsExactly("m5.large");
            assertThat(lab.spotAdvisor().rangeIndex("us-east-1", "Linux", "m6i.large"))
                    .hasValue(4);
        } finally {
            lab.spotAdvisor().set("us-east-1", "Linux", "m6i.large", 0);
        }
        assertThat(read().typesAbove("us-east-1", "Linux", 10)).doesNotContain("m6i.large");
    }

    @Test
    void setRefusesBadValuesNamingTheFix() {
        assertThatThrownBy(() -> lab.spotAdvisor().set("us-east-1", "Linux", "m5.large", 5))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("range index 5 must be from 0 to 4");
        assertThatThrownBy(() -> lab.spotAdvisor().set("us-east-1", "linux", "m5.large", 1))
                .hasMessageContaining("os \"linux\" is not an OS the feed rates; use Linux or Windows");
        assertThatThrownBy(() -> lab.spotAdvisor().set("us-east-1", "Linux", "m5", 1))
                .hasMessageContaining("instance type \"m5\" is not an instance type");
    }

    @Test
    void otherKeysAndMethodsAnswerAsS3() throws Exception {
        HttpResponse<String> r = get(lab.spotAdvisor().url().resolve("/other.json"));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("<Code>NoSuchKey</Code>");
        HttpResponse<String> post = HTTP.send(
                HttpRequest.newBuilder(lab.spotAdvisor().url())
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.body()).contains("<Code>MethodNotAllowed</Code>");
    }

    @Test
    void everyTypeTheScenarioUsesIsRatedSafeByDefault() {
        Scenario fleet = Scenario.load("fleet");
        LabSpotAdvisor a = LabSpotAdvisor.of(fleet);
        String type = fleet.instances().get(0).type();
        assertThat(a.rangeIndex(fleet.region(), "Linux", type)).hasValue(0);
        assertThat(a.rangeIndex(fleet.region(), "Windows", type)).hasValue(0);
    }

    @Test
    void aBadSpotAdvisorSectionNamesThePathAndTheFix() {
        String yaml = """
                name: bad-advisor
                region: us-east-1
                account: "123456789012"
                instances: [ { type: m5.large, zone: us-east-1a } ]
                spotAdvisor:
                  us-east-1:
                    Linux: { m5.large: 7 }
                """;
        assertThatThrownBy(() -> LabSpotAdvisor.of(Scenario.parse(yaml)))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotAdvisor.us-east-1.Linux.m5.large = \"7\" must be a range index from 0 to 4");
        assertThatThrownBy(() -> LabSpotAdvisor.of(Scenario.parse(yaml.replace("Linux:", "Solaris:"))))
                .hasMessageContaining("spotAdvisor.us-east-1.Solaris = \"Solaris\" is not an OS the feed rates");
    }
}
