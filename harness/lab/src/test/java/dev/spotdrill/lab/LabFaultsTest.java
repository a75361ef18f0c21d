package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.util.List;
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
    void freeTextValuesAreCheckedWhenSetNamingWhatIsAllowed() {
        assertThatThrownBy(() -> LabFaults.parse("terminationHandler.taint-effect=Bogus"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("spotdrill.lab.faults=\"terminationHandler.taint-effect=Bogus\": fault"
                        + " terminationHandler.taint-effect is \"Bogus\", not one of NoSchedule, PreferNoSchedule,"
                        + " NoExecute (case matters) (usage:"
                        + " terminationHandler.taint-effect=<NoSchedule|PreferNoSchedule|NoExecute>). Write faults"
                        + " comma-separated, e.g. spotdrill.lab.faults=imds.no-notice,fis.throttle=2");
        assertThatThrownBy(() -> LabFaults.parse("terminationHandler.taint-effect=noschedule"))
                .hasMessageContaining("is \"noschedule\", not one of NoSchedule, PreferNoSchedule, NoExecute");
        assertThatThrownBy(() -> LabFaults.parse("terminationHandler.taint-key=not a key"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("fault terminationHandler.taint-key is \"not a key\", not a taint key;"
                        + " write [prefix/]name")
                .hasMessageContaining("usage: terminationHandler.taint-key=<taint key, e.g. example.com/wrong>");
        assertThatThrownBy(() -> LabFaults.parse("terminationHandler.taint-key=Example.com/x"))
                .hasMessageContaining("not a taint key");
        assertThatThrownBy(() -> LabFaults.parse("terminationHandler.taint-key=example.com/-x"))
                .hasMessageContaining("not a taint key");
        assertThatThrownBy(() -> LabFaults.parse("cluster.keep-dead-nodes=yes")).hasMessageContaining("takes no value");
        // the values a component can use pass
        LabFaults ok = LabFaults.parse("terminationHandler.taint-effect=NoExecute,"
                + "terminationHandler.taint-key=example.com/wrong,cluster.keep-dead-nodes");
        assertThat(ok.value("terminationHandler.taint-effect")).contains("NoExecute");
        assertThat(ok.value("terminationHandler.taint-key")).contains("example.com/wrong");
        assertThat(ok.active("cluster.keep-dead-nodes")).isTrue();
        assertThat(LabFaults.parse("terminationHandler.taint-key=dedicated").value("terminationHandler.taint-key"))
                .contains("dedicated");
    }

    @Test
    void aBadValueSetOnARunningLabIsRefusedAndTheFaultKeepsItsValue() {
        LabFaults f = LabFaults.parse("terminationHandler.taint-effect=PreferNoSchedule");
        assertThatThrownBy(() -> f.set("terminationHandler.taint-effect=Bogus"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("not one of NoSchedule, PreferNoSchedule, NoExecute");
        assertThat(f.value("terminationHandler.taint-effect")).contains("PreferNoSchedule");
        assertThatThrownBy(() -> f.set("terminationHandler.drain-delay=3m"))
                .hasMessageContaining("is not an ISO-8601 duration");
        assertThat(f.active("terminationHandler.drain-delay")).isFalse();
    }

    @Test
    void everyCatalogueValueRuleIsNamedInItsUsage() {
        assertThat(LabFaults.definition("terminationHandler.taint-effect")
                        .orElseThrow()
                        .usage())
                .isEqualTo("terminationHandler.taint-effect=<NoSchedule|PreferNoSchedule|NoExecute>");
        assertThat(LabFaults.definition("cluster.keep-dead-nodes").orElseThrow().usage())
                .isEqualTo("cluster.keep-dead-nodes");
        assertThatThrownBy(() -> new FaultDefinition(
                        "c", "f", FaultDefinition.ValueKind.NONE, "d", FaultDefinition.ValueRule.oneOf(List.of("a"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fault c.f takes no value, so it cannot have a value rule");
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
