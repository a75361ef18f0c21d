package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.advisor.SpotAdvisorReader;
import dev.spotdrill.lab.ApiCall;
import dev.spotdrill.lab.LabCastAi;
import dev.spotdrill.lab.SpotLab;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reference Spot blacklister in the shop scenario: its CronJob, Jobs made from it as kubectl does, their pods and
 * logs, and each of its faults, against the lab's Spot Advisor feed and CAST AI over real HTTP.
 */
class SpotBlacklisterJobTest {
    private static final String NS = "cast-ai";
    private static final String CRONJOB = "spot-blacklist";
    /** What the shop scenario rates above 10% on Linux in us-east-1 (see its comment). */
    private static final Set<String> ABOVE_TEN = Set.of("r5.large", "c5.xlarge", "c5.large", "m5.xlarge", "m5a.large");

    private static SpotLab lab;
    private static KubernetesClient client;
    private static final AtomicInteger JOBS = new AtomicInteger();

    @BeforeAll
    static void start() {
        lab = SpotLab.start();
        client = lab.cluster().orElseThrow().client();
        // the schedule may fire any time (every 6 h of world time is 6 wall minutes): keep it out of these tests
        editCronJob(cj -> {
            cj.getSpec().setSuspend(true);
            return cj;
        });
    }

    /**
     * Edits the shared CronJob; the lab's job controller writes it too (its status), so a stale version's 409 is
     * retried with a fresh read, as a controller would.
     */
    static void editCronJob(java.util.function.UnaryOperator<CronJob> change) {
        org.awaitility.Awaitility.await("the CronJob edited")
                .atMost(Duration.ofSeconds(30))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(50))
                .ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class)
                .until(() -> {
                    client.batch()
                            .v1()
                            .cronjobs()
                            .inNamespace(NS)
                            .withName(CRONJOB)
                            .edit(change);
                    return true;
                });
    }

    @AfterAll
    static void stop() {
        lab.close();
    }

    @BeforeEach
    void clean() {
        lab.faults().clearAll();
        lab.castAi().clear();
    }

    /** A Job from the CronJob, as {@code kubectl create job --from=cronjob/spot-blacklist} makes it. */
    static Job createFromCronJob(KubernetesClient client, String name) {
        CronJob cj =
                client.batch().v1().cronjobs().inNamespace(NS).withName(CRONJOB).get();
        Job job = new JobBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .withLabels(cj.getSpec().getJobTemplate().getMetadata().getLabels())
                .withAnnotations(Map.of(LabJobs.INSTANTIATE_ANNOTATION, "manual"))
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion("batch/v1")
                        .withKind("CronJob")
                        .withName(cj.getMetadata().getName())
                        .withUid(cj.getMetadata().getUid())
                        .withController(true)
                        .build())
                .endMetadata()
                .withSpec(new JobSpecBuilder(cj.getSpec().getJobTemplate().getSpec()).build())
                .build();
        return client.batch().v1().jobs().inNamespace(NS).resource(job).create();
    }

    private static Job runToEnd(String name) {
        createFromCronJob(client, name);
        return await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> client.batch()
                                .v1()
                                .jobs()
                                .inNamespace(NS)
                                .withName(name)
                                .get(),
                        j -> j.getStatus() != null
                                && j.getStatus().getConditions() != null
                                && j.getStatus().getConditions().stream().anyMatch(c -> Set.of("Complete", "Failed")
                                        .contains(c.getType())));
    }

    private static String name() {
        return "manual-" + JOBS.incrementAndGet();
    }

    private static Pod podOf(String job) {
        List<Pod> pods = client.pods()
                .inNamespace(NS)
                .withLabel(LabJobs.JOB_NAME_LABEL, job)
                .list()
                .getItems();
        assertThat(pods).hasSize(1);
        return pods.get(0);
    }

    private static String log(String job) {
        return client.pods()
                .inNamespace(NS)
                .withName(podOf(job).getMetadata().getName())
                .getLog();
    }

    private static SortedSet<String> blacklisted() {
        return lab.castAi().entries().stream()
                .map(LabCastAi.Entry::instanceFamily)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<ApiCall> adds(Instant since) {
        return lab.callLog().since(since).stream()
                .filter(c -> c.service().equals("castai") && c.operation().equals("AddToBlacklist"))
                .toList();
    }

    private static List<String> conditions(Job job) {
        return job.getStatus().getConditions().stream()
                .map(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
                .toList();
    }

    @Test
    void theScenarioDeclaresTheCronJobWithItsEnvAndTheCredentialsInASecret() {
        CronJob cj =
                client.batch().v1().cronjobs().inNamespace(NS).withName(CRONJOB).get();
        assertThat(cj.getSpec().getSchedule()).isEqualTo("0 */6 * * *");
        List<EnvVar> env = cj.getSpec()
                .getJobTemplate()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv();
        Map<String, String> plain = new HashMap<>();
        Map<String, String> fromSecret = new HashMap<>();
        for (EnvVar e : env) {
            if (e.getValueFrom() != null) {
                fromSecret.put(e.getName(), e.getValueFrom().getSecretKeyRef().getName());
            } else {
                plain.put(e.getName(), e.getValue());
            }
        }
        assertThat(plain)
                .containsEntry("REGION", "us-east-1")
                .containsEntry("OS", "Linux")
                .containsEntry("INTERRUPTION_THRESHOLD", "10")
                .containsEntry("BLACKLIST_HOURS", "5")
                .containsEntry("DRY_RUN", "false")
                .containsEntry("BATCH_SIZE", "10")
                .containsEntry("BATCH_PAUSE", "5")
                .containsEntry("AUTO_APPROVE", "true")
                .containsEntry("SPOT_ADVISOR_URL", lab.spotAdvisor().url().toString());
        assertThat(fromSecret)
                .containsOnlyKeys("CASTAI_API_URL", "CASTAI_ORGANIZATION_ID", "CASTAI_CLUSTER_ID", "CASTAI_API_KEY")
                .containsValue("castai-credentials");
        assertThat(client.secrets()
                        .inNamespace(NS)
                        .withName("castai-credentials")
                        .get())
                .isNotNull();
        assertThat(cj.toString())
                .doesNotContain(lab.world()
                        .secret("SPOTDRILL_CASTAI_API_KEY")
                        .orElseThrow()
                        .reveal());
    }

    @Test
    void aJobFromTheCronJobSucceedsAndTheBlacklistEqualsTheAdvisorsSetAboveTheThreshold() {
        Instant before = lab.clock().now();
        String name = name();
        Job job = runToEnd(name);

        assertThat(conditions(job))
                .containsExactly("SuccessCriteriaMet=True/CompletionsReached", "Complete=True/CompletionsReached");
        assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
        assertThat(job.getStatus().getActive()).isZero();
        assertThat(job.getStatus().getStartTime()).isNotNull();
        assertThat(job.getStatus().getCompletionTime()).isNotNull();
        Pod pod = podOf(name);
        assertThat(pod.getStatus().getPhase()).isEqualTo("Succeeded");
        assertThat(pod.getStatus()
                        .getContainerStatuses()
                        .get(0)
                        .getState()
                        .getTerminated()
                        .getExitCode())
                .isZero();
        assertThat(pod.getSpec().getNodeName()).isEqualTo("ip-10-0-1-21.ec2.internal"); // the on-demand node
        assertThat(pod.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Job");

        // the advisor's set, read by core's reader from the same feed: the boundary type m5a.large is in it
        SortedSet<String> advisor = SpotAdvisorReader.resolve(SpotDrillConfig.of(Map.of()), lab.world())
                .read()
                .typesAbove("us-east-1", "Linux", 10);
        assertThat(advisor).containsExactlyInAnyOrderElementsOf(ABOVE_TEN);
        assertThat(blacklisted()).containsExactlyElementsOf(advisor);
        for (LabCastAi.Entry e : lab.castAi().entries()) {
            assertThat(e.lifecycle()).isEqualTo("spot");
            assertThat(Duration.between(before, e.expiresAt().orElseThrow()))
                    .isBetween(Duration.ofHours(5), Duration.ofHours(5).plusMinutes(30));
        }
        assertThat(adds(before)).hasSize(5).allMatch(ApiCall::succeeded);
        assertThat(log(name))
                .contains("reading Spot Advisor data from " + lab.spotAdvisor().url())
                .contains("us-east-1/Linux: 8 types rated, 5 above 10%: r5.large (>20%), c5.xlarge (15-20%), c5.large"
                        + " (10-15%), m5.xlarge (10-15%), m5a.large (5-10%)")
                .contains("blacklisted m5a.large (spot) until ")
                .contains("done: 5 types blacklisted until ")
                .doesNotContain(lab.world()
                        .secret("SPOTDRILL_CASTAI_API_KEY")
                        .orElseThrow()
                        .reveal());
    }

    @Test
    void podsLogServesTailLines() {
        String name = name();
        runToEnd(name);
        String tail = client.pods()
                .inNamespace(NS)
                .withName(podOf(name).getMetadata().getName())
                .tailingLines(1)
                .getLog();
        assertThat(tail).startsWith("done: 5 types blacklisted until ").hasLineCount(1);
    }

    @Test
    void downFailsTheJobWithALogLineSayingWhy() {
        lab.faults().set("spotBlacklister.down");
        String name = name();
        Job job = runToEnd(name);

        assertThat(conditions(job))
                .containsExactly("FailureTarget=True/BackoffLimitExceeded", "Failed=True/BackoffLimitExceeded");
        assertThat(job.getStatus().getFailed()).isEqualTo(1);
        assertThat(job.getStatus().getSucceeded()).isNull();
        assertThat(job.getStatus().getCompletionTime()).isNull();
        JobCondition failed = job.getStatus().getConditions().get(1);
        assertThat(failed.getMessage()).isEqualTo("Job has reached the specified backoff limit");
        Pod pod = podOf(name);
        assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
        assertThat(pod.getStatus()
                        .getContainerStatuses()
                        .get(0)
                        .getState()
                        .getTerminated()
                        .getExitCode())
                .isEqualTo(1);
        assertThat(log(name))
                .contains("error: spot-blacklister cannot start: it is down (lab fault spotBlacklister.down)");
        assertThat(blacklisted()).isEmpty();
    }

    @Test
    void labelBoundariesDropsExactlyTheBoundaryType() {
        lab.faults().set("spotBlacklister.label-boundaries");
        runToEnd(name());
        Set<String> expected = new TreeSet<>(ABOVE_TEN);
        expected.remove("m5a.large");
        assertThat(blacklisted()).containsExactlyElementsOf(expected);
    }

    @Test
    void stopAfterBlacklistsOnlyTheFirstTypes() {
        lab.faults().set("spotBlacklister.stop-after=2");
        String name = name();
        Job job = runToEnd(name);
        assertThat(conditions(job)).contains("Complete=True/CompletionsReached");
        assertThat(blacklisted()).containsExactly("c5.xlarge", "r5.large");
        assertThat(log(name)).contains("done: 2 types blacklisted");
    }

    @Test
    void dryRunLogsAndChangesNothing() {
        lab.faults().set("spotBlacklister.dry-run");
        Instant before = lab.clock().now();
        String name = name();
        Job job = runToEnd(name);
        assertThat(conditions(job)).contains("Complete=True/CompletionsReached");
        assertThat(blacklisted()).isEmpty();
        assertThat(adds(before)).isEmpty();
        assertThat(log(name))
                .contains("dry run: would blacklist m5a.large (spot) until ")
                .contains("done (dry run): 5 types would be blacklisted; nothing changed");
    }

    @Test
    void wrongOsBlacklistsTheOtherOsesSet() {
        lab.faults().set("spotBlacklister.wrong-os=Windows");
        runToEnd(name());
        // Windows rates m5.large and t3.large above 10 (Linux: safe) and c5.xlarge safe (Linux: above)
        assertThat(blacklisted())
                .containsExactly("c5.large", "m5.large", "m5.xlarge", "m5a.large", "r5.large", "t3.large");
    }

    @Test
    void noExpiryAddsEntriesWithoutExpiresAt() {
        lab.faults().set("spotBlacklister.no-expiry");
        runToEnd(name());
        assertThat(lab.castAi().entries()).hasSize(5).allMatch(e -> e.expiresAt()
                .isEmpty());
    }

    @Test
    void batchesPauseInWorldTime() {
        CronJob original =
                client.batch().v1().cronjobs().inNamespace(NS).withName(CRONJOB).get();
        try {
            editCronJob(cj -> {
                cj.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                        .filter(e -> e.getName().equals("BATCH_SIZE"))
                        .forEach(e -> e.setValue("2"));
                return cj;
            });
            Instant before = lab.clock().now();
            String name = name();
            runToEnd(name);
            List<Instant> adds = adds(before).stream().map(ApiCall::worldTime).toList();
            assertThat(adds).hasSize(5);
            // batches [0,1] [2,3] [4]: at least BATCH_PAUSE (5 s world) between them
            assertThat(Duration.between(adds.get(1), adds.get(2))).isGreaterThanOrEqualTo(Duration.ofSeconds(5));
            assertThat(Duration.between(adds.get(3), adds.get(4))).isGreaterThanOrEqualTo(Duration.ofSeconds(5));
            assertThat(log(name))
                    .contains(
                            "batch 1 of 3: r5.large, c5.xlarge",
                            "pausing 5s before the next batch",
                            "batch 3 of 3: m5a.large");
        } finally {
            editCronJob(cj -> {
                cj.getSpec().setJobTemplate(original.getSpec().getJobTemplate());
                return cj;
            });
        }
    }

    @Test
    void deletingAJobDeletesItsPods() {
        String name = name();
        runToEnd(name);
        assertThat(podOf(name)).isNotNull();
        client.batch().v1().jobs().inNamespace(NS).withName(name).delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.pods()
                .inNamespace(NS)
                .withLabel(LabJobs.JOB_NAME_LABEL, name)
                .list()
                .getItems()
                .isEmpty());
    }

    @Test
    void jobsOfOtherOwnersAreLeftAlone() {
        Job other = new JobBuilder()
                .withNewMetadata()
                .withName("someone-else")
                .withNamespace(NS)
                .endMetadata()
                .withSpec(new JobSpecBuilder(client.batch()
                                .v1()
                                .cronjobs()
                                .inNamespace(NS)
                                .withName(CRONJOB)
                                .get()
                                .getSpec()
                                .getJobTemplate()
                                .getSpec())
                        .build())
                .build();
        client.batch().v1().jobs().inNamespace(NS).resource(other).create();
        // a Job from the CronJob created after it does run: once it has, the other one has had its chance
        String name = name();
        runToEnd(name);
        Job still = client.batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withName("someone-else")
                .get();
        assertThat(still.getStatus() == null || still.getStatus().getStartTime() == null)
                .isTrue();
        assertThat(client.pods()
                        .inNamespace(NS)
                        .withLabel(LabJobs.JOB_NAME_LABEL, "someone-else")
                        .list()
                        .getItems())
                .isEmpty();
        List<String> ran = new ArrayList<>();
        lab.castAi().entries().forEach(e -> ran.add(e.instanceFamily()));
        assertThat(ran).hasSize(5);
    }
}
