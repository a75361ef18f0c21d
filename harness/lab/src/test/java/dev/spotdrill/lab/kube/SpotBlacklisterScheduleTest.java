package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.lab.LabCastAi;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.Scenario;
import dev.spotdrill.lab.SpotLab;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CronJob's own schedule, in world time, and the scenario's spotBlacklister section. */
class SpotBlacklisterScheduleTest {

    private static List<Job> scheduledJobs(KubernetesClient client) {
        return client.batch().v1().jobs().inNamespace("cast-ai").list().getItems().stream()
                .filter(j -> j.getMetadata().getAnnotations() != null
                        && j.getMetadata().getAnnotations().containsKey(LabJobs.SCHEDULED_ANNOTATION))
                .toList();
    }

    @Test
    void theScheduleCreatesJobsThatRunAndSuspendStopsIt() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                .scenario(Scenario.load("blacklister/every-minute.yaml"))
                .build())) {
            KubernetesClient client = lab.cluster().orElseThrow().client();
            // every world minute is a wall second at pace 60
            Job first = await().atMost(Duration.ofSeconds(30))
                    .until(() -> scheduledJobs(client), l -> !l.isEmpty())
                    .get(0);
            Instant scheduled =
                    Instant.parse(first.getMetadata().getAnnotations().get(LabJobs.SCHEDULED_ANNOTATION));
            assertThat(first.getMetadata().getName()).isEqualTo("spot-blacklist-" + scheduled.getEpochSecond() / 60);
            assertThat(scheduled.getEpochSecond() % 60).isZero();
            assertThat(first.getMetadata().getOwnerReferences().get(0).getKind())
                    .isEqualTo("CronJob");
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(lab.castAi().entries())
                            .extracting(LabCastAi.Entry::instanceFamily)
                            .containsExactly("c5.large", "m5.large"));
            CronJob cj = await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> client.batch()
                                    .v1()
                                    .cronjobs()
                                    .inNamespace("cast-ai")
                                    .withName("spot-blacklist")
                                    .get(),
                            c -> c.getStatus() != null && c.getStatus().getLastSuccessfulTime() != null);
            assertThat(cj.getStatus().getLastScheduleTime()).isNotNull();

            // the lab's CronJob controller writes its status too: a stale version's 409 is retried, as kubectl would
            await().atMost(Duration.ofSeconds(30))
                    .ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class)
                    .until(() -> {
                        client.batch()
                                .v1()
                                .cronjobs()
                                .inNamespace("cast-ai")
                                .withName("spot-blacklist")
                                .edit(c -> {
                                    c.getSpec().setSuspend(true);
                                    return c;
                                });
                        return true;
                    });
            // a firing under way when suspend lands may still create its Job: let the next minute pass first
            Instant pastNextFiring = lab.clock()
                    .now()
                    .truncatedTo(java.time.temporal.ChronoUnit.MINUTES)
                    .plus(Duration.ofSeconds(70));
            await().atMost(Duration.ofSeconds(30)).until(() -> lab.clock().now().isAfter(pastNextFiring));
            int settled = scheduledJobs(client).size();
            await().during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> scheduledJobs(client).size() == settled);
        }
    }

    @Test
    void aBadSpotBlacklisterSectionFailsTheLabStartWithThePath() {
        String yaml = """
                name: bad
                region: us-east-1
                account: "123456789012"
                instances:
                  - { type: m5.large, zone: us-east-1a, lifecycle: on-demand, node: { name: ip-10-0-1-31.ec2.internal } }
                responders:
                  spotBlacklister: { schedule: "0 */6 * *" }
                """;
        assertThatThrownBy(() -> SpotLab.start(
                        LabOptions.builder().scenario(Scenario.parse(yaml)).build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining(
                        "scenario bad: responders.spotBlacklister.schedule: CronJob schedule \"0 */6 * *\""
                                + " must have five fields");
        String env = yaml.replace("{ schedule: \"0 */6 * *\" }", "{ env: { THRESHOLD: \"10\" } }");
        assertThatThrownBy(() -> SpotLab.start(
                        LabOptions.builder().scenario(Scenario.parse(env)).build()))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("responders.spotBlacklister.env.THRESHOLD = \"10\" is not a blacklister setting")
                .hasMessageContaining("INTERRUPTION_THRESHOLD");
    }
}
