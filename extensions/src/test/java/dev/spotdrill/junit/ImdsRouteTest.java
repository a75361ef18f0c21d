package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code spotdrill.imds.via=direct} in an {@code aws} world reads the runner's own IMDS: it is allowed only when the
 * runner is the target. Here an aws world points at the lab's endpoints, and its IMDS endpoint is another instance's
 * (a runner that is not the target), or nothing at all (a runner off EC2).
 */
class ImdsRouteTest {
    static final String TARGET = "i-0c0ffee0000000a01";
    static final String RUNNER = "i-0c0ffee0000000a06";
    static SpotLab lab;

    @BeforeAll
    static void startLab() {
        lab = SpotLab.start(LabOptions.builder().scenario("shop").pace(60).build());
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    private static World awsWorld(Function<String, URI> imds) {
        World labWorld = lab.world();
        World.Builder b = World.builder(World.AWS)
                .region(labWorld.region())
                .clock(labWorld.clock())
                .credentials(labWorld.credentials().orElseThrow())
                .imdsEndpoints(imds);
        for (AwsService s : AwsService.values()) {
            labWorld.endpoint(s).ifPresent(u -> b.endpoint(s, u));
        }
        return b.build();
    }

    private static Drill drill(World world) {
        DrillOptions options =
                DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.guard.accounts", "123456789012")), world);
        DrillSpec spec = new DrillSpec(
                Selector.instances(TARGET),
                1,
                "PT2M",
                List.of(Expectations.imdsNotice("terminate", Window.untilInterruption())),
                null);
        return Drill.prepare(world, spec, options, "ImdsRouteTest", List.of());
    }

    @Test
    void directIsRefusedBeforeAnythingIsCreatedWhenTheRunnerIsAnotherInstance() {
        World world = awsWorld(id -> lab.world().imdsEndpoint(RUNNER));
        int before = lab.callLog().mutatingCalls().size();
        try (Drill drill = drill(world)) {
            assertThatThrownBy(drill::start)
                    .isInstanceOf(SpotDrillConfigurationException.class)
                    .hasMessage("@ExpectImdsNotice(action=\"terminate\"): spotdrill.imds.via=\"direct\" reads the IMDS"
                            + " of the machine the tests run on, which is " + RUNNER + ", not the target " + TARGET
                            + " (m5.large, us-east-1a); use spotdrill.imds.via=probe-pod (targets selected with"
                            + " @SpotInterruption(nodes = ...)), or rely on the EventBridge expectations"
                            + " (@ExpectInterruptionWarning, @ExpectRebalanceEvent)");
        }
        assertThat(lab.callLog().mutatingCalls()).hasSize(before);
    }

    @Test
    void directIsRefusedWhenNoImdsAnswersAtAll() {
        World world = awsWorld(id -> URI.create("http://127.0.0.1:9"));
        try (Drill drill = drill(world)) {
            assertThatThrownBy(drill::start)
                    .isInstanceOf(SpotDrillConfigurationException.class)
                    .hasMessageContaining("spotdrill.imds.via=\"direct\" reads the IMDS of the machine the tests run"
                            + " on, and http://127.0.0.1:9 did not answer: this runner is not an EC2 instance, so it"
                            + " cannot read the IMDS of " + TARGET);
        }
    }

    @Test
    void directIsAllowedWhenTheRunnerIsTheTarget() {
        World world = awsWorld(id -> lab.world().imdsEndpoint(TARGET));
        try (Drill drill = drill(world)) {
            drill.start();
            assertThat(drill.awaitVerdicts()).singleElement().satisfies(v -> assertThat(v.met())
                    .isTrue());
        }
    }
}
