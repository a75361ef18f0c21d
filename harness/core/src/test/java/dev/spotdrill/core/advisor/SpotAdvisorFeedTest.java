package dev.spotdrill.core.advisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SpotAdvisorFeedTest {
    private static final String SOURCE = "https://example.test/spot-advisor-data.json";

    static String fixture() {
        try (InputStream in = SpotAdvisorFeedTest.class.getResourceAsStream("feed.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private final SpotAdvisorFeed feed = SpotAdvisorFeed.parse(fixture(), SOURCE);

    @Test
    void readsTheRangesMaximaFromTheFeedNotFromTheLabels() {
        assertThat(feed.ranges()).extracting(InterruptionRange::max).containsExactly(5, 11, 16, 22, 100);
        assertThat(feed.range(1)).get().extracting(InterruptionRange::label).isEqualTo("5-10%");
        assertThat(feed.globalRate()).isEqualTo("<10%");
        assertThat(feed.instanceTypes()).contains("m5.large", "t3.large");
        assertThat(feed.regions()).containsExactly("eu-west-1", "us-east-1");
    }

    @Test
    void thresholdTenIncludesTheFiveToTenBucketWhoseMaxIsEleven() {
        assertThat(feed.typesAbove("us-east-1", "Linux", 10))
                .containsExactly("c5.large", "m5.xlarge", "r5.large", "t3.large");
    }

    @Test
    void thresholdElevenLeavesTheFiveToTenBucketOut() {
        assertThat(feed.typesAbove("us-east-1", "Linux", 11)).containsExactly("m5.xlarge", "r5.large", "t3.large");
    }

    @Test
    void boundariesOfTheOtherBuckets() {
        assertThat(feed.typesAbove("us-east-1", "Linux", 4))
                .containsExactly("c5.large", "m5.large", "m5.xlarge", "r5.large", "t3.large");
        assertThat(feed.typesAbove("us-east-1", "Linux", 5)).doesNotContain("m5.large");
        assertThat(feed.typesAbove("us-east-1", "Linux", 15)).contains("r5.large");
        assertThat(feed.typesAbove("us-east-1", "Linux", 16)).containsExactly("m5.xlarge", "t3.large");
        assertThat(feed.typesAbove("us-east-1", "Linux", 22)).containsExactly("m5.xlarge");
        assertThat(feed.typesAbove("us-east-1", "Linux", 100)).isEmpty();
        assertThat(feed.typesAbove("us-east-1", "Windows", 10)).containsExactly("m5.large");
    }

    @Test
    void ratingsCarrySavingsAndRange() {
        TypeRating r = feed.rating("us-east-1", "Linux", "c5.large").orElseThrow();
        assertThat(r.savingsPercent()).isEqualTo(62);
        assertThat(r.range().max()).isEqualTo(11);
        assertThat(feed.rating("us-east-1", "Linux", "x9.huge")).isEmpty();
    }

    @Test
    void anUnknownRegionNamesItAndTheFix() {
        assertThatThrownBy(() -> feed.typesAbove("mars-north-1", "Linux", 10))
                .isInstanceOf(SpotAdvisorLookupException.class)
                .hasMessageContaining("region \"mars-north-1\" is not in the Spot Advisor feed at " + SOURCE)
                .hasMessageContaining("eu-west-1, us-east-1")
                .hasMessageContaining("use a region the feed rates");
    }

    @Test
    void anUnknownOsNamesItAndWhatTheFeedHas() {
        assertThatThrownBy(() -> feed.typesAbove("us-east-1", "linux", 10))
                .isInstanceOf(SpotAdvisorLookupException.class)
                .hasMessageContaining("operating system \"linux\"")
                .hasMessageContaining("it has Linux, Windows");
        assertThatThrownBy(() -> feed.typesAbove("eu-west-1", "Windows", 10))
                .isInstanceOf(SpotAdvisorLookupException.class)
                .hasMessageContaining("for region eu-west-1 (it has Linux)");
    }

    @Test
    void aThresholdOutsideZeroToHundredIsRefused() {
        assertThatThrownBy(() -> feed.typesAbove("us-east-1", "Linux", 101))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("threshold=101: an interruption threshold is a percentage from 0 to 100");
        assertThatThrownBy(() -> feed.typesAbove("us-east-1", "Linux", -1))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("threshold=-1");
    }

    @Test
    void textThatIsNotJsonIsAMalformedFeed() {
        assertThatThrownBy(() -> SpotAdvisorFeed.parse("<html>Access Denied</html>", SOURCE))
                .isInstanceOf(MalformedSpotAdvisorFeedException.class)
                .hasMessageContaining("the Spot Advisor feed at " + SOURCE + " is malformed: (root) is not JSON")
                .hasMessageContaining("point spotdrill.spotAdvisor.url at a spot-advisor-data.json");
    }

    @Test
    void aFeedWithoutRangesIsMalformed() {
        assertThatThrownBy(() -> SpotAdvisorFeed.parse("{\"spot_advisor\":{}}", SOURCE))
                .isInstanceOf(MalformedSpotAdvisorFeedException.class)
                .hasMessageContaining("ranges must be a non-empty array");
    }

    @Test
    void aRangeWithoutAMaxIsMalformed() {
        String json = fixture().replace("\"label\": \"5-10%\", \"dots\": 1, \"max\": 11", "\"label\": \"5-10%\"");
        assertThatThrownBy(() -> SpotAdvisorFeed.parse(json, SOURCE))
                .isInstanceOf(MalformedSpotAdvisorFeedException.class)
                .hasMessageContaining("ranges[1].max must be a number");
    }

    @Test
    void aRatingThatPointsAtNoRangeIsMalformed() {
        String json = fixture().replace("\"r5.large\": {\"s\": 70, \"r\": 2}", "\"r5.large\": {\"s\": 70, \"r\": 7}");
        assertThatThrownBy(() -> SpotAdvisorFeed.parse(json, SOURCE))
                .isInstanceOf(MalformedSpotAdvisorFeedException.class)
                .hasMessageContaining(
                        "spot_advisor.us-east-1.Linux.r5.large.r = 7 is not an index of ranges [0, 1, 2, 3, 4]");
    }

    @Test
    void aRatingWithoutRIsMalformed() {
        String json = fixture().replace("\"m5.large\": {\"s\": 50, \"r\": 1}", "\"m5.large\": {\"s\": 50}");
        assertThatThrownBy(() -> SpotAdvisorFeed.parse(json, SOURCE))
                .isInstanceOf(MalformedSpotAdvisorFeedException.class)
                .hasMessageContaining("spot_advisor.eu-west-1.Linux.m5.large.r must be a range index");
    }
}
