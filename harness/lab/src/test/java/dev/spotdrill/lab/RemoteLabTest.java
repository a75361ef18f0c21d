package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldProvider;
import dev.spotdrill.core.castai.CastAiSettings;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.drill.Window;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code spotdrill.lab.url}: the lab world built from a control endpoint's description is the in-JVM lab's world with
 * the same endpoints, credentials, settings and clock, and a drill through it runs as through {@code lab.world()}.
 */
class RemoteLabTest {
    static SpotLab lab;
    static LabControl control;

    @BeforeAll
    static void start() {
        lab = SpotLab.start(LabOptions.builder().pace(60).build());
        control = LabControl.start(lab);
    }

    @AfterAll
    static void stop() {
        control.close();
        lab.close();
    }

    private static WorldProvider.WorldHandle open(Map<String, String> config) {
        return new LabWorldProvider().open(SpotDrillConfig.of(config));
    }

    @Test
    void theAttachedWorldHasTheLabsEndpointsCredentialsSettingsAndClock() {
        try (WorldProvider.WorldHandle h =
                open(Map.of(SpotDrillConfig.LAB_URL, control.url().toString()))) {
            World remote = h.world();
            World local = lab.world();

            assertThat(remote.name()).isEqualTo(World.LAB);
            assertThat(remote.region()).isEqualTo(local.region());
            for (AwsService s : AwsService.values()) {
                assertThat(remote.endpoint(s)).as("%s", s).isEqualTo(local.endpoint(s));
            }
            assertThat(remote.credentials().orElseThrow().accessKeyId())
                    .isEqualTo(local.credentials().orElseThrow().accessKeyId());
            assertThat(remote.credentials().orElseThrow().secretAccessKey())
                    .isEqualTo(local.credentials().orElseThrow().secretAccessKey());
            assertThat(remote.kube()).isEqualTo(local.kube());
            assertThat(remote.imdsEndpoint("i-0c0ffee0000000a03")).isEqualTo(local.imdsEndpoint("i-0c0ffee0000000a03"));
            assertThat(remote.setting(SpotDrillConfig.CASTAI_URL)).isEqualTo(local.setting(SpotDrillConfig.CASTAI_URL));
            assertThat(remote.setting(SpotDrillConfig.SPOT_ADVISOR_URL))
                    .isEqualTo(local.setting(SpotDrillConfig.SPOT_ADVISOR_URL));
            assertThat(remote.secret(CastAiSettings.API_KEY_ENV)).isEqualTo(local.secret(CastAiSettings.API_KEY_ENV));
            assertThat(remote.facts())
                    .containsEntry("lab", lab.id())
                    .containsEntry("pace", "60.0")
                    .containsEntry("control", control.url().toString());
            assertThat(remote.clock().pace()).isEqualTo(60.0);
            // the same world time: read the lab's between two reads of the attached clock (a world second is
            // 17 ms of wall time at pace 60; the margin covers a loaded machine's scheduling, not a wrong anchor)
            Instant before = remote.clock().now();
            Instant server = lab.clock().now();
            Instant after = remote.clock().now();
            assertThat(server).isBetween(before.minusMillis(500), after.plusMillis(500));
            assertThat(remote.toString())
                    .doesNotContain(local.credentials().orElseThrow().accessKeyId());
        }
    }

    @Test
    void aDrillThroughTheUrlRunsLikeOneThroughTheLabsOwnWorld() {
        try (WorldProvider.WorldHandle h =
                open(Map.of(SpotDrillConfig.LAB_URL, control.url().toString()))) {
            World world = h.world();
            DrillSpec spec = new DrillSpec(
                    Selector.instances("i-0c0ffee0000000a05"),
                    1,
                    "PT2M",
                    List.of(Expectations.imdsNotice("terminate", Window.untilInterruption())),
                    null);
            DrillOptions options = DrillOptions.from(SpotDrillConfig.of(Map.of()), world);
            try (Drill drill = Drill.prepare(world, spec, options, "RemoteLabTest", List.of())) {
                drill.start();
                List<Verdict> verdicts = drill.awaitVerdicts();

                assertThat(verdicts).singleElement().satisfies(v -> assertThat(v.met())
                        .isTrue());
                assertThat(drill.finish()).isEmpty();
            }
            assertThat(lab.callLog().calls("fis", "StartExperiment"))
                    .singleElement()
                    .satisfies(c -> assertThat(c.caller()).isEqualTo(lab.principalArn()));
            // the report's call log comes from the lab, through the control endpoint
            assertThat(world.attachments().get("lab-call-log")).contains("\"StartExperiment\"");
        }
    }

    @Test
    void aUrlWhereNoLabAnswersSaysHowToStartOne() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closed;

        assertThatThrownBy(() -> open(Map.of(SpotDrillConfig.LAB_URL, url)))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("spotdrill.lab.url=\"" + url + "\": no lab answers there (")
                .hasMessageEndingWith("); start one with `./spotdrill lab` and use the control URL it prints, or"
                        + " remove spotdrill.lab.url to let spotdrill start a lab in this JVM");
    }

    @Test
    void aUrlThatIsNotALabsControlEndpointIsRefused() {
        String fis = lab.world().endpoint(AwsService.FIS).orElseThrow().toString();

        assertThatThrownBy(() -> open(Map.of(SpotDrillConfig.LAB_URL, fis)))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("spotdrill.lab.url=\"" + fis + "\": POST /v1/attach answered ")
                .hasMessageEndingWith("not a lab description; point spotdrill.lab.url at the control URL that"
                        + " `spotdrill lab` prints");
        assertThatThrownBy(() -> open(Map.of(SpotDrillConfig.LAB_URL, "127.0.0.1:4609")))
                .hasMessage("spotdrill.lab.url=\"127.0.0.1:4609\": not an http URL with a host and a port; use the"
                        + " control URL that `spotdrill lab` prints, e.g. http://127.0.0.1:4609");
    }

    @Test
    void aLabInThisJvmNamedByAttachWinsOverTheUrl() {
        // SPOTDRILL_LAB_URL from a sourced env file must not take a test's own lab away from it
        try (SpotLab other = SpotLab.start(LabOptions.builder().pace(60).build());
                WorldProvider.WorldHandle h = open(Map.of(
                        SpotDrillConfig.LAB_URL, control.url().toString(),
                        SpotDrillConfig.LAB_ATTACH, other.id()))) {
            assertThat(h.world()).isSameAs(other.world());
        }
    }

    @Test
    void theAttachedClockKeepsTheServersAnchorAfterTime() {
        try (WorldProvider.WorldHandle h =
                open(Map.of(SpotDrillConfig.LAB_URL, control.url().toString()))) {
            // a minute of world time later (1 s wall), the two clocks still agree
            Instant target = lab.clock().now().plus(Duration.ofMinutes(1));
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> !lab.clock().now().isBefore(target));
            Instant before = h.world().clock().now();
            Instant server = lab.clock().now();
            Instant after = h.world().clock().now();
            assertThat(server).isBetween(before.minusMillis(500), after.plusMillis(500));
        }
    }
}
