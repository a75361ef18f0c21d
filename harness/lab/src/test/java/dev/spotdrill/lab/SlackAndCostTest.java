package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.Secret;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.FisCost;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.core.report.ConsoleProgress;
import dev.spotdrill.core.report.SlackNotifier;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The night's Slack message through the DrillListener SPI into the lab's webhook sink, and what drills cost in FIS. */
class SlackAndCostTest {
    private static SpotLab lab;

    @BeforeAll
    static void start() {
        lab = SpotLab.start(LabOptions.builder()
                .scenario("safety.yaml")
                .pace(60)
                .faults("imds.no-notice")
                .build());
    }

    @AfterAll
    static void stop() {
        lab.close();
    }

    private static DrillReport run(DrillSpec spec, String test, List<DrillListener> listeners) {
        AtomicReference<DrillReport> report = new AtomicReference<>();
        List<DrillListener> all = new ArrayList<>(listeners);
        all.add(new DrillListener() {
            @Override
            public void drillFinished(dev.spotdrill.core.drill.DrillInfo drill, DrillReport r) {
                report.set(r);
            }
        });
        try (Drill drill = Drill.prepare(lab.world(), spec, DrillOptions.defaults(), test, all)) {
            drill.start();
            drill.awaitVerdicts();
        }
        return report.get();
    }

    @Test
    void aFailedNightPostsOneMessageNamingWhatWasMissedAndTheReport() {
        SlackNotifier.Night night = SlackNotifier.Night.of(
                lab.slack().webhookUrl(), Optional.of("https://ci.example/spotdrill/42/index.html"));
        SlackNotifier slack = new SlackNotifier(night);
        run(
                new DrillSpec(Selector.instances("i-0c0ffee0000000a01"), 1, "PT2M", List.of(), null),
                "SlackAndCostTest.passes",
                List.of(slack));
        assertThat(night.message()).isEmpty();
        DrillReport missed = run(
                new DrillSpec(
                        Selector.instances("i-0c0ffee0000000a02"),
                        1,
                        "PT2M",
                        List.of(Expectations.imdsNotice("terminate", Window.untilInterruption())),
                        null),
                "SlackAndCostTest.noticeNeverComes",
                List.of(slack));
        assertThat(missed.passed()).isFalse();

        assertThat(night.post()).isTrue();
        assertThat(night.post()).isFalse(); // once per night
        assertThat(lab.slack().posts()).singleElement().satisfies(text -> {
            assertThat(text)
                    .startsWith("spotdrill: 1 of 2 drills failed (world lab, us-east-1)\n• SlackAndCostTest"
                            + ".noticeNeverComes (sd-")
                    .contains("): @ExpectImdsNotice(action=\"terminate\") missed for i-0c0ffee0000000a02 (c5.large,"
                            + " us-east-1b) (deadline +120.0s)")
                    .endsWith("\nReport: https://ci.example/spotdrill/42/index.html")
                    .doesNotContain("SlackAndCostTest.passes")
                    .doesNotContain(lab.slack().webhookUrl().reveal());
        });
        assertThat(night.toString()).doesNotContain(lab.slack().webhookUrl().reveal());
        assertThat(lab.callLog().calls("slack", "IncomingWebhook"))
                .filteredOn(ApiCall::succeeded)
                .hasSize(1);
    }

    @Test
    void aNightWithoutFailuresPostsNothingAndABrokenWebhookFailsQuietly() {
        SlackNotifier.Night quiet = SlackNotifier.Night.of(lab.slack().webhookUrl(), Optional.empty());
        assertThat(quiet.post()).isFalse();
        SlackNotifier.Night wrong =
                SlackNotifier.Night.of(Secret.of(lab.slack().webhookUrl().reveal() + "x"), Optional.empty());
        wrong.add(
                new dev.spotdrill.core.drill.DrillInfo(
                        "sd-000000000000",
                        "SlackAndCostTest.broken",
                        lab.world(),
                        DrillSpec.observationOnly(List.of())),
                new DrillReport(
                        List.of(),
                        0,
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty(),
                        new dev.spotdrill.core.drill.Timeline(),
                        List.of(),
                        Optional.of(new IllegalStateException("boom")),
                        java.util.Map.of()));
        assertThat(wrong.post()).isFalse();
        assertThat(lab.callLog().calls("slack", "IncomingWebhook"))
                .anySatisfy(c -> assertThat(c.errorCode()).isEqualTo("no_service"));
    }

    @Test
    void theSinkAnswersAsSlackDoes() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI url = URI.create(lab.slack().webhookUrl().reveal());
        HttpResponse<String> notJson = http.send(
                HttpRequest.newBuilder(url)
                        .POST(HttpRequest.BodyPublishers.ofString("text=hi"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).isEqualTo("invalid_payload");
        HttpResponse<String> noText = http.send(
                HttpRequest.newBuilder(url)
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noText.statusCode()).isEqualTo(400);
        assertThat(noText.body()).isEqualTo("no_text");
        HttpResponse<String> get =
                http.send(HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
    }

    @Test
    void aDrillCostsItsActionMinutesWhateverTheNumberOfTargets() {
        List<String> console = new CopyOnWriteArrayList<>();
        DrillReport three = run(
                new DrillSpec(Selector.tags("workload=cart"), 0, "PT2M", List.of(), null),
                "SlackAndCostTest.threeTargets",
                List.of(new ConsoleProgress(console::add)));

        FisCost cost = three.cost().orElseThrow();
        assertThat(cost.actionMinutes()).isEqualTo(2);
        assertThat(cost.total()).isEqualByComparingTo("0.20");
        assertThat(cost.perTarget())
                .containsOnlyKeys("i-0c0ffee0000000a04", "i-0c0ffee0000000a05", "i-0c0ffee0000000a06")
                .allSatisfy((id, share) -> assertThat(share).isEqualByComparingTo(new BigDecimal("0.0667")));
        assertThat(console)
                .contains("[spotdrill] FIS cost $0.20 = 2 action-minutes × $0.10 (interrupt-1: 2 min for"
                        + " i-0c0ffee0000000a04, i-0c0ffee0000000a05, i-0c0ffee0000000a06, $0.067 each)");
    }
}
