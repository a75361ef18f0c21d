package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LabFaultsTest {

    @Test
    void parsesCommaSeparatedFaultsWithValues() {
        LabFaults f = LabFaults.parse(" imds.no-notice , imds.notice-delay=PT30S,fis.throttle=3,fis.quota=0 ");
        assertThat(f.active("imds.no-notice")).isTrue();
        assertThat(f.active("imds.no-rebalance")).isFalse();
        assertThat(f.value("imds.no-notice")).isEmpty();
        assertThat(f.duration("imds.notice-delay")).contains(Duration.ofSeconds(30));
        assertThat(f.number("fis.throttle")).hasValue(3);
        assertThat(f.number("fis.quota")).hasValue(0);
        assertThat(f.snapshot()).containsEntry("imds.no-notice", "").hasSize(4);
        assertThat(LabFaults.parse("").snapshot()).isEmpty();
    }

    @Test
    void unknownFaultNamesTheKeyTheValueAndTheKnownFaults() {
        assertThatThrownBy(() -> LabFaults.parse("imds.no-notice,imds.no-notise"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("spotdrill.lab.faults=\"imds.no-notise\": unknown fault \"imds.no-notise\"")
                .hasMessageContaining("imds.no-notice (IMDS never shows the spot instance-action notice)")
                .hasMessageContaining("fis.throttle=<whole number >= 1>");
    }

    @Test
    void valuesOfTheWrongKindAreConfigurationErrors() {
        assertThatThrownBy(() -> LabFaults.parse("imds.notice-delay=soon"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("spotdrill.lab.faults=\"imds.notice-delay=soon\"")
                .hasMessageContaining("is not an ISO-8601 duration")
                .hasMessageContaining("usage: imds.notice-delay=<ISO-8601 duration, e.g. PT30S>");
        assertThatThrownBy(() -> LabFaults.parse("fis.throttle=many")).hasMessageContaining("is not a whole number");
        assertThatThrownBy(() -> LabFaults.parse("fis.throttle=0")).hasMessageContaining("must be a whole number >= 1");
        assertThatThrownBy(() -> LabFaults.parse("fis.throttle")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> LabFaults.parse("imds.no-notice=yes")).hasMessageContaining("takes no value");
    }

    @Test
    void faultsCanBeFlippedAtRuntime() {
        LabFaults f = LabFaults.none();
        f.set("ec2.no-termination");
        assertThat(f.active("ec2.no-termination")).isTrue();
        f.clear("ec2.no-termination");
        assertThat(f.active("ec2.no-termination")).isFalse();
        assertThatThrownBy(() -> f.clear("ec2.nope")).hasMessageContaining("unknown fault \"ec2.nope\"");
        f.set("fis.throttle=2");
        assertThat(f.consume("fis.throttle")).isTrue();
        assertThat(f.number("fis.throttle")).hasValue(1);
        assertThat(f.consume("fis.throttle")).isTrue();
        assertThat(f.consume("fis.throttle")).isFalse();
        assertThat(f.toString()).isEqualTo("LabFaults[]");
    }

    @Test
    void catalogsFromServiceLoaderAndRegistrationsAreKnown() {
        assertThat(LabFaults.known())
                .extracting(FaultDefinition::name)
                .contains(
                        "imds.no-notice",
                        "imds.no-rebalance",
                        "imds.notice-delay",
                        "imds.token-ttl",
                        "fis.fail-experiment",
                        "fis.cancel-experiment",
                        "fis.throttle",
                        "fis.quota",
                        "fis.deny-stop",
                        "ec2.no-termination",
                        "testComponent.catalogued");
        assertThatThrownBy(() -> LabFaults.parse("testComponent.registered")).hasMessageContaining("unknown fault");
        LabFaults.register("testComponent", "registered", true, "a fault registered at run time");
        assertThat(LabFaults.parse("testComponent.registered=x").value("testComponent.registered"))
                .contains("x");
        assertThat(LabFaults.parse("testComponent.catalogued").active("testComponent.catalogued"))
                .isTrue();
        assertThatThrownBy(() -> new FaultDefinition("bad name", "x", FaultDefinition.ValueKind.NONE, "d"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
