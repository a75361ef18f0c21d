package dev.spotdrill.core.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ProbePodLogTest {

    @Test
    void parsesANotFoundLine() {
        assertThat(
                        ProbePodLog.parse(
                                "{\"path\":\"/latest/meta-data/spot/instance-action\",\"status\":404,\"body\":\"\",\"at\":\"2026-01-15T10:28:00Z\"}"))
                .contains(new ProbePodLog("/latest/meta-data/spot/instance-action", 404, "", "2026-01-15T10:28:00Z"));
    }

    @Test
    void parsesANoticeWithEscapedQuotesAndTrailingCarriageReturn() {
        String line = "{\"path\":\"/latest/meta-data/spot/instance-action\",\"status\":200,"
                + "\"body\":\"{\\\"action\\\":\\\"terminate\\\",\\\"time\\\":\\\"2026-01-15T10:30:00Z\\\"}\","
                + "\"at\":\"2026-01-15T10:28:01Z\"}\r";

        ProbePodLog log = ProbePodLog.parse(line).orElseThrow();

        assertThat(log.status()).isEqualTo(200);
        assertThat(log.body()).isEqualTo("{\"action\":\"terminate\",\"time\":\"2026-01-15T10:30:00Z\"}");
        assertThat(log.at()).isEqualTo("2026-01-15T10:28:01Z");
        assertThat(log.reading()).isEqualTo("GET /latest/meta-data/spot/instance-action -> 200");
    }

    @Test
    void unescapesBackslashesNewlinesAndTabs() {
        ProbePodLog log = ProbePodLog.parse(
                        "{\"path\":\"/p\",\"status\":200,\"body\":\"a\\\\b\\nc\\td\\\"\",\"at\":\"t\"}")
                .orElseThrow();

        assertThat(log.body()).isEqualTo("a\\b\nc\td\"");
    }

    @Test
    void readingsReadLikeTheDirectProbe() {
        assertThat(new ProbePodLog("/latest/meta-data/events/recommendations/rebalance", 404, "", "").reading())
                .isEqualTo("GET /latest/meta-data/events/recommendations/rebalance -> 404 Not Found");
        assertThat(new ProbePodLog("/p", 401, "", "").reading()).isEqualTo("GET /p -> 401");
        assertThat(new ProbePodLog("/p", 0, "", "").reading())
                .isEqualTo("GET /p -> no answer (probe pod got no HTTP response)");
    }

    @Test
    void missingBodyAndTimeAreEmpty() {
        assertThat(ProbePodLog.parse("{\"path\":\"/p\",\"status\":0}")).contains(new ProbePodLog("/p", 0, "", ""));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(
            strings = {
                "garbage",
                "curl: (7) Failed to connect to 169.254.169.254 port 80",
                "{\"path\":\"/latest/meta-data/spot/instance-action\",\"status\":404,\"bo",
                "\"status\":404,\"body\":\"\",\"at\":\"2026-01-15T10:28:00Z\"}",
                "{\"path\":\"/p\",\"status\":404} {\"path\":\"/q\",\"status\":404}",
                "{\"status\":404,\"body\":\"\"}",
                "{\"path\":\"/p\",\"status\":\"404\"}",
                "{\"path\":\"/p\",\"status\":4040}",
                "{\"path\":\"p\",\"status\":404}",
                "{\"path\":7,\"status\":404}",
                "[1,2]",
                "{}",
            })
    void garbageAndPartialLinesAreIgnored(String line) {
        assertThat(ProbePodLog.parse(line)).isEmpty();
    }

    @Test
    void recordRefusesNonsense() {
        assertThatThrownBy(() -> new ProbePodLog("/p", -1, "", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("probe log status -1 must be 0 (no answer) or an HTTP code");
        assertThatThrownBy(() -> new ProbePodLog("p", 200, "", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("probe log path \"p\" must start with '/'");
    }
}
