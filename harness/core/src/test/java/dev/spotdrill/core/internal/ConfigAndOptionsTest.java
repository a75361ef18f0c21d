package dev.spotdrill.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.DrillOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigAndOptionsTest {
    private final World lab = World.builder("lab").region("us-east-1").build();
    private final World aws = World.builder("aws").region("us-east-1").build();

    @Test
    void environmentNamesSplitCamelCase() {
        assertThat(SpotDrillConfig.envNames("spotdrill.fis.roleArn"))
                .containsExactly("SPOTDRILL_FIS_ROLE_ARN", "SPOTDRILL_FIS_ROLEARN");
        assertThat(SpotDrillConfig.envNames("spotdrill.lab.pace")).containsExactly("SPOTDRILL_LAB_PACE");
    }

    @Test
    void typedGettersQuoteKeyValueAndFix() {
        SpotDrillConfig c = SpotDrillConfig.of(Map.of("spotdrill.lab.pace", "fast", "spotdrill.fis.quotaWait", "10m"));
        assertThatThrownBy(() -> c.positiveNumber("spotdrill.lab.pace", 60))
                .hasMessage(
                        "spotdrill.lab.pace=\"fast\": must be a positive number; for example spotdrill.lab.pace=60");
        assertThatThrownBy(() -> c.duration("spotdrill.fis.quotaWait", Duration.ZERO))
                .hasMessage("spotdrill.fis.quotaWait=\"10m\": not an ISO-8601 duration; write it like PT2M or PT90S");
    }

    @Test
    void theAwsWorldRequiresTheAccountGuardrail() {
        assertThatThrownBy(() -> DrillOptions.from(SpotDrillConfig.of(Map.of()), aws))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("spotdrill.guard.accounts is not set");
        assertThat(DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.guard.accounts", "123456789012")), aws)
                        .accounts())
                .containsExactly("123456789012");
        assertThat(DrillOptions.from(SpotDrillConfig.of(Map.of()), lab).maxTargets())
                .isEqualTo(5);
    }

    @Test
    void badOptionValuesAreConfigurationErrors() {
        assertThatThrownBy(
                        () -> DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.guard.optInTag", "allowed")), lab))
                .hasMessage("spotdrill.guard.optInTag=\"allowed\": write it key=value, for example"
                        + " spotdrill/allowed=true");
        assertThatThrownBy(
                        () -> DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.fis.roleArn", "spotdrill")), lab))
                .hasMessageContaining("spotdrill.fis.roleArn=\"spotdrill\": not an IAM role ARN");
        assertThatThrownBy(() -> DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.guard.maxTargets", "0")), lab))
                .hasMessageContaining("spotdrill.guard.maxTargets=\"0\": must be a whole number of at least 1");
        assertThatThrownBy(() -> DrillOptions.from(SpotDrillConfig.of(Map.of("spotdrill.imds.via", "magic")), lab))
                .hasMessage("spotdrill.imds.via=\"magic\": unknown IMDS route; use direct (the lab, or a runner on the"
                        + " instance) or probe-pod (a real cluster)");
    }

    @Test
    void credentialsNeverShowTheirSecrets() {
        AwsCredentials c = AwsCredentials.of("AKIAEXAMPLEKEYID1234", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        World w = World.builder("lab").region("us-east-1").credentials(c).build();
        assertThat(c.toString()).doesNotContain("AKIAEXAMPLEKEYID1234").doesNotContain("wJalr");
        assertThat(w.toString()).doesNotContain("AKIA");
        assertThat(Redactor.redact("key=AKIAEXAMPLEKEYID1234 secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
                .isEqualTo("key=**** secret=****");
    }

    @Test
    void pacedClockConvertsBetweenWorldAndWall() {
        WorldClock clock = WorldClock.paced(Instant.parse("2026-01-01T00:00:00Z"), 60);
        assertThat(clock.toWall(Duration.ofMinutes(2))).isEqualTo(Duration.ofSeconds(2));
        assertThat(clock.toWorld(Duration.ofSeconds(1))).isEqualTo(Duration.ofMinutes(1));
        assertThat(clock.now()).isAfterOrEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThatThrownBy(() -> WorldClock.paced(Instant.EPOCH, 0)).hasMessageContaining("pace must be a positive");
    }
}
