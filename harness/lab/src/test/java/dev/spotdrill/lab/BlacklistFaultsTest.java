package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import org.junit.jupiter.api.Test;

/** The castai.* and spotBlacklister.* faults are in the catalog and validated before a lab starts. */
class BlacklistFaultsTest {

    @Test
    void theFaultsAreKnownWithTheirValues() {
        LabFaults f = LabFaults.parse("castai.unauthorized,castai.throttle=3,castai.unavailable=2,"
                + "spotBlacklister.down,spotBlacklister.label-boundaries,spotBlacklister.no-expiry,"
                + "spotBlacklister.stop-after=2,spotBlacklister.dry-run,spotBlacklister.wrong-os=Windows");
        assertThat(f.snapshot()).hasSize(9).containsEntry("spotBlacklister.wrong-os", "Windows");
    }

    @Test
    void badValuesAreRefusedWithTheUsage() {
        assertThatThrownBy(() -> LabFaults.parse("castai.throttle=0"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("usage: castai.throttle=<whole number >= 1>");
        assertThatThrownBy(() -> LabFaults.parse("spotBlacklister.stop-after")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> LabFaults.parse("castai.nope"))
                .hasMessageContaining("unknown fault \"castai.nope\"")
                .hasMessageContaining("castai.unavailable=<whole number >= 1>");
    }

    @Test
    void aWrongOsThatTheFeedDoesNotRateStopsTheLabFromStarting() {
        assertThatThrownBy(() -> SpotLab.start(LabOptions.builder()
                        .scenario(Scenario.load("fleet"))
                        .faults(java.util.List.of("spotBlacklister.wrong-os=Solaris"))
                        .build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("fault spotBlacklister.wrong-os=Solaris: the Spot Advisor feed rates Linux and"
                        + " Windows; write spotBlacklister.wrong-os=Windows");
    }
}
