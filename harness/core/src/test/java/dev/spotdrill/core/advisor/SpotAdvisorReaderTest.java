package dev.spotdrill.core.advisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reader over real HTTP against a small local server; the lab's own feed is read in the lab module. */
class SpotAdvisorReaderTest {
    private HttpServer server;
    private URI base;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/spot-advisor-data.json", ex -> answer(ex, 200, SpotAdvisorFeedTest.fixture()));
        server.createContext("/denied.json", ex -> answer(ex, 403, "<Error><Code>AccessDenied</Code></Error>"));
        server.createContext("/broken.json", ex -> answer(ex, 200, "{\"ranges\": [], \"spot_advisor\": {}}"));
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void answer(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Test
    void readsAndParsesTheFeed() {
        SpotAdvisorFeed feed =
                SpotAdvisorReader.of(base.resolve("/spot-advisor-data.json")).read();
        assertThat(feed.source()).isEqualTo(base + "/spot-advisor-data.json");
        assertThat(feed.typesAbove("us-east-1", "Linux", 10)).contains("c5.large");
    }

    @Test
    void anHttpRefusalNamesTheUrlTheStatusAndTheKey() {
        URI url = base.resolve("/denied.json");
        assertThatThrownBy(() -> SpotAdvisorReader.of(url).read())
                .isInstanceOf(SpotAdvisorUnavailableException.class)
                .hasMessageContaining("GET " + url + " answered 403 instead of the Spot Advisor feed")
                .hasMessageContaining("AccessDenied")
                .hasMessageContaining("check spotdrill.spotAdvisor.url");
    }

    @Test
    void anUnreachableUrlNamesItAndTheFix() {
        URI url = base.resolve("/spot-advisor-data.json");
        server.stop(0);
        assertThatThrownBy(() -> SpotAdvisorReader.of(url).read())
                .isInstanceOf(SpotAdvisorUnavailableException.class)
                .hasMessageContaining("cannot fetch the Spot Advisor feed from " + url)
                .hasMessageContaining("check the network (or proxy) and spotdrill.spotAdvisor.url");
    }

    @Test
    void aMalformedBodyIsAMalformedFeed() {
        assertThatThrownBy(
                        () -> SpotAdvisorReader.of(base.resolve("/broken.json")).read())
                .isInstanceOf(MalformedSpotAdvisorFeedException.class)
                .hasMessageContaining("ranges must be a non-empty array");
    }

    @Test
    void theUrlComesFromTheConfigurationThenTheWorldThenThePublicFeed() {
        World plain = World.builder("aws").region("us-east-1").build();
        World lab = World.builder("lab")
                .region("us-east-1")
                .setting(SpotDrillConfig.SPOT_ADVISOR_URL, "http://127.0.0.1:1/lab.json")
                .build();
        SpotDrillConfig none = SpotDrillConfig.of(Map.of());
        SpotDrillConfig set = SpotDrillConfig.of(Map.of(SpotDrillConfig.SPOT_ADVISOR_URL, "http://127.0.0.1:2/x.json"));
        assertThat(SpotAdvisorReader.resolve(none, plain).url()).isEqualTo(SpotAdvisorReader.DEFAULT_URL);
        assertThat(SpotAdvisorReader.resolve(none, lab).url()).hasToString("http://127.0.0.1:1/lab.json");
        assertThat(SpotAdvisorReader.resolve(set, lab).url()).hasToString("http://127.0.0.1:2/x.json");
    }

    @Test
    void aUrlThatIsNotHttpIsAConfigurationError() {
        SpotDrillConfig bad = SpotDrillConfig.of(Map.of(SpotDrillConfig.SPOT_ADVISOR_URL, "spot-advisor-data.json"));
        assertThatThrownBy(() -> SpotAdvisorReader.resolve(
                        bad, World.builder("aws").region("us-east-1").build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining(
                        "spotdrill.spotAdvisor.url=\"spot-advisor-data.json\": not an absolute http(s) URL");
    }
}
