package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.lab.Scenario;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The orchestrator's settings, read as its own configuration writes them; its backoff; its faults' values. */
class FargateOrchestratorSpecTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theShopScenarioRunsTheOrchestratorWithItsDefaults() {
        FargateOrchestratorSpec shop =
                FargateOrchestratorSpec.fromYaml(Scenario.shop().raw()).orElseThrow();
        assertThat(shop).isEqualTo(FargateOrchestratorSpec.of("shop", "cart", "fargate-orchestrator"));
        assertThat(shop.recovery().cooldown()).isEqualTo(Duration.ofMinutes(45));
        assertThat(shop.rolloutTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(FargateOrchestratorSpec.fromYaml(YAML.createObjectNode())).isEmpty();
    }

    @Test
    void durationsAreReadAsTheOrchestratorWritesThemOrInIso8601() {
        assertThat(FargateOrchestratorSpec.parseDuration("1h30m")).contains(Duration.ofMinutes(90));
        assertThat(FargateOrchestratorSpec.parseDuration("120s")).contains(Duration.ofSeconds(120));
        assertThat(FargateOrchestratorSpec.parseDuration("500ms")).contains(Duration.ofMillis(500));
        assertThat(FargateOrchestratorSpec.parseDuration("PT45M")).contains(Duration.ofMinutes(45));
        assertThat(FargateOrchestratorSpec.parseDuration("45")).isEmpty();
        assertThat(FargateOrchestratorSpec.parseDuration("5m soon")).isEmpty();
        assertThat(FargateOrchestratorSpec.parseDuration("")).isEmpty();
    }

    @Test
    void theBackoffDoublesFromItsBaseUpToItsMaximum() {
        FargateOrchestratorSpec.Recovery r = FargateOrchestratorSpec.Recovery.defaults();
        assertThat(r.backoff(0)).isZero();
        assertThat(r.backoff(1)).isEqualTo(Duration.ofMinutes(15));
        assertThat(r.backoff(2)).isEqualTo(Duration.ofMinutes(30));
        assertThat(r.backoff(4)).isEqualTo(Duration.ofHours(2));
        assertThat(r.backoff(5)).isEqualTo(Duration.ofHours(4));
        assertThat(r.backoff(40)).isEqualTo(Duration.ofHours(4));
    }

    @Test
    void badSettingsAreRefusedWithTheKeyAndTheFix() {
        assertThatThrownBy(
                        () -> FargateOrchestratorSpec.fromYaml(
                                YAML.readTree(
                                        "responders: { fargateOrchestrator: { deployment: cart, sqs_queue: q, rollout-timeout: 60s } }")))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("responders.fargateOrchestrator has the unknown key 'rollout-timeout'; use"
                        + " [compute_label_key, deployment, enabled, fargate_label, namespace, recovery,"
                        + " rollout_timeout, spot_label, sqs_queue, verification_delay]");
        assertThatThrownBy(() -> FargateOrchestratorSpec.fromYaml(
                        YAML.readTree("responders: { fargateOrchestrator: { deployment: cart } }")))
                .hasMessage(
                        "responders.fargateOrchestrator.sqs_queue is missing; name the scenario eventRules queue the"
                                + " orchestrator reads, e.g. sqs_queue: fargate-orchestrator");
        assertThatThrownBy(() -> FargateOrchestratorSpec.fromYaml(YAML.readTree("responders: { fargateOrchestrator:"
                        + " { deployment: cart, sqs_queue: q, spot_label: fargate } }")))
                .hasMessage("responders.fargateOrchestrator: spot_label 'fargate' and fargate_label 'fargate' must be"
                        + " two different non-blank values, e.g. spot and fargate");
        assertThatThrownBy(() -> FargateOrchestratorSpec.fromYaml(YAML.readTree("responders: { fargateOrchestrator:"
                        + " { deployment: cart, sqs_queue: q, recovery: { backoff_base: 1h, max_backoff: 30m } } }")))
                .hasMessage("responders.fargateOrchestrator.recovery.max_backoff PT30M is shorter than backoff_base"
                        + " PT1H; make it at least as long");
    }

    @Test
    void theWrongSelectorFaultMustBeALabelValue() {
        FargateFaults.validate(FargateFaults.WRONG_SELECTOR, "fargte");
        FargateFaults.validate(FargateFaults.SLOW, "PT3M");
        assertThatThrownBy(() -> FargateFaults.validate(FargateFaults.WRONG_SELECTOR, "-bad-"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("fault fargateOrchestrator.wrong-selector=-bad-: not a Kubernetes label value");
        assertThat(FargateFaults.Active.of(java.util.Map.of(FargateFaults.SLOW, "PT3M", FargateFaults.DOWN, "")))
                .satisfies(a -> {
                    assertThat(a.slow()).isEqualTo(Duration.ofMinutes(3));
                    assertThat(a.down()).isTrue();
                    assertThat(a.noRecovery()).isFalse();
                });
    }
}
