package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.Secret;
import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's Job and CronJob controller for the reference Spot blacklister: it creates the blacklister's CronJob
 * (with its Secret and namespace), creates a Job at every time of the CronJob's schedule (world time), and runs
 * every Job owned by that CronJob, whether the schedule or a user made it (as {@code kubectl create job
 * --from=cronjob/...} does: an owner reference to the CronJob, the template copied).
 *
 * <p>A Job runs as on a cluster: it turns active, gets a pod (Pending, bound to a node, Running, then Succeeded or
 * Failed with its container's exit code), and ends Complete (with {@code SuccessCriteriaMet}) or Failed
 * ({@code BackoffLimitExceeded}), with the counts and times a real Job has. The pod's log is served on pods/log.
 * Pause and backoff happen in world time. Deleting a Job cancels its run and deletes its pods, as the garbage
 * collector would. Jobs of other CronJobs are left alone: the lab has no kubelet to run them.
 *
 * <p>Like the lab controller, it reads and writes the API server's storage in process ({@link LabApi}): it follows
 * the store's Job changes, and its writes are ordinary store writes (resourceVersions, watch events). Each Job runs on
 * a thread of its own. Over HTTP, a Job's dozen calls one after another took seconds on a loaded machine, which at
 * pace 20 is minutes of world time. The blacklister itself still reaches the feed and CAST AI over HTTP, as a pod
 * would.
 */
public final class LabJobs implements AutoCloseable {
    /** The annotation {@code kubectl create job --from=cronjob/...} sets. */
    public static final String INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate";
    /** The annotation the CronJob controller sets on the Jobs it schedules. */
    public static final String SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";
    /** The label every pod of a Job carries, with the Job's name. */
    public static final String JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

    static final String CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
    static final String CONTAINER = "spot-blacklister";
    static final String IMAGE = "public.ecr.aws/lab/spot-blacklister:1.0";
    private static final Logger LOG = LoggerFactory.getLogger(LabJobs.class);
    private static final Duration CONTAINER_START = Duration.ofSeconds(2);
    private static final Duration UNSCHEDULABLE_RETRY = Duration.ofSeconds(10);
    private static final Duration POD_FAILURE_BACKOFF = Duration.ofSeconds(10);

    /**
     * Where the blacklister reaches the feed and CAST AI, and as whom; the lab's own.
     *
     * @param spotAdvisorUrl the feed's URL
     * @param castAiUrl the CAST AI API's base URL
     * @param organizationId the CAST AI organization id
     * @param clusterId the CAST AI cluster id
     * @param apiKey the CAST AI API key, stored in the blacklister's Secret
     */
    public record Endpoints(URI spotAdvisorUrl, URI castAiUrl, String organizationId, String clusterId, Secret apiKey) {
        public Endpoints {
            Objects.requireNonNull(spotAdvisorUrl, "spotAdvisorUrl");
            Objects.requireNonNull(castAiUrl, "castAiUrl");
            Objects.requireNonNull(organizationId, "organizationId");
            Objects.requireNonNull(clusterId, "clusterId");
            Objects.requireNonNull(apiKey, "apiKey");
        }

        @Override
        public String toString() {
            return "Endpoints[" + spotAdvisorUrl + ", " + castAiUrl + ", organization " + organizationId + "]";
        }
    }

    private final LabApi api;
    private final PodLogs logs;
    private final WorldClock clock;
    private final SpotBlacklisterSpec spec;
    private final Endpoints endpoints;
    private final Supplier<Map<String, String>> faults;
    private final CronSchedule schedule;
    private final ScheduledExecutorService timer;
    private final ExecutorService runners;
    private final HttpClient http;
    private final SpotBlacklister blacklister;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    /** The Jobs already taken up, until they are deleted: a later change of a Job must not run it twice. */
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    private final AtomicBoolean closed = new AtomicBoolean();
    /** Job changes from the store, handled in order on one thread (the store calls its listeners under its lock). */
    private final ExecutorService jobEvents;

    private final java.util.function.Consumer<ApiStore.Change> listener = this::changed;

    private LabJobs(
            LabCluster cluster,
            WorldClock clock,
            SpotBlacklisterSpec spec,
            Endpoints endpoints,
            Supplier<Map<String, String>> faults) {
        this.api = cluster.labApi();
        this.logs = cluster.podLogs();
        this.clock = clock;
        this.spec = spec;
        this.endpoints = endpoints;
        this.faults = faults;
        this.schedule = CronSchedule.parse(spec.schedule());
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, threads("spotdrill-kube-cronjob"));
        t.setRemoveOnCancelPolicy(true);
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.timer = t;
        this.runners = Executors.newCachedThreadPool(threads("spotdrill-kube-job"));
        this.jobEvents = Executors.newSingleThreadExecutor(threads("spotdrill-kube-jobs"));
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.blacklister = new SpotBlacklister(http);
    }

    /**
     * Creates the blacklister's namespace, Secret and CronJob in the cluster, starts watching Jobs and starts the
     * CronJob's schedule.
     *
     * @param cluster the lab's cluster
     * @param clock the world clock: the schedule, the pauses and every timestamp
     * @param spec the blacklister as the scenario declares it
     * @param endpoints the feed and CAST AI the blacklister uses
     * @param faults the lab's active faults, read when each Job starts ({@code spotBlacklister.*})
     */
    public static LabJobs start(
            LabCluster cluster,
            WorldClock clock,
            SpotBlacklisterSpec spec,
            Endpoints endpoints,
            Supplier<Map<String, String>> faults) {
        LabJobs jobs = new LabJobs(cluster, clock, spec, endpoints, faults);
        try {
            jobs.createObjects();
            jobs.follow();
            jobs.scheduleNext(clock.now());
            return jobs;
        } catch (RuntimeException e) {
            jobs.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- the CronJob

    private void createObjects() {
        String ns = spec.namespace();
        if (api.get(Namespace.class, null, ns) == null) {
            api.create(new NamespaceBuilder()
                    .withNewMetadata()
                    .withName(ns)
                    .withUid(UUID.randomUUID().toString())
                    .endMetadata()
                    .build());
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("CASTAI_API_URL", b64(endpoints.castAiUrl().toString()));
        data.put("CASTAI_ORGANIZATION_ID", b64(endpoints.organizationId()));
        data.put("CASTAI_CLUSTER_ID", b64(endpoints.clusterId()));
        data.put("CASTAI_API_KEY", b64(endpoints.apiKey().reveal()));
        api.create(new SecretBuilder()
                .withNewMetadata()
                .withName(spec.secretName())
                .withNamespace(ns)
                .withUid(UUID.randomUUID().toString())
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build());
        List<EnvVar> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        env.add(new EnvVar("SPOT_ADVISOR_URL", endpoints.spotAdvisorUrl().toString(), null));
        for (String key : data.keySet()) {
            env.add(new EnvVarBuilder()
                    .withName(key)
                    .withNewValueFrom()
                    .withNewSecretKeyRef()
                    .withName(spec.secretName())
                    .withKey(key)
                    .endSecretKeyRef()
                    .endValueFrom()
                    .build());
        }
        Map<String, String> labels = Map.of("app.kubernetes.io/name", CONTAINER);
        api.create(new CronJobBuilder()
                .withNewMetadata()
                .withName(spec.name())
                .withNamespace(ns)
                .withUid(UUID.randomUUID().toString())
                .withLabels(labels)
                .withCreationTimestamp(clock.now().toString())
                .endMetadata()
                .withNewSpec()
                .withSchedule(spec.schedule())
                .withSuspend(spec.suspend())
                .withConcurrencyPolicy("Forbid")
                .withSuccessfulJobsHistoryLimit(3)
                .withFailedJobsHistoryLimit(1)
                .withNewJobTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withBackoffLimit(0)
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(IMAGE)
                .withEnv(env)
                .withNewResources()
                .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("50m"))
                .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("64Mi"))
                .endResources()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .endJobTemplate()
                .endSpec()
                .build());
    }

    private void scheduleNext(Instant after) {
        if (closed.get()) {
            return;
        }
        Optional<Instant> next = schedule.next(after);
        if (next.isEmpty()) {
            return;
        }
        try {
            timer.schedule(() -> fire(next.get()), clock.wallUntil(next.get()).toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** The CronJob controller at a scheduled time: a Job from the current template, unless suspended or busy. */
    private void fire(Instant scheduled) {
        try {
            CronJob cj = api.get(CronJob.class, spec.namespace(), spec.name());
            if (cj == null || closed.get()) {
                return; // deleted: no more schedule
            }
            if (Boolean.TRUE.equals(cj.getSpec().getSuspend())) {
                LOG.debug("CronJob {}/{} is suspended: no Job at {}", spec.namespace(), spec.name(), scheduled);
            } else if ("Forbid".equals(cj.getSpec().getConcurrencyPolicy()) && hasActiveJob(cj)) {
                LOG.debug("CronJob {}/{}: a Job is still active, none at {}", spec.namespace(), spec.name(), scheduled);
            } else {
                createScheduledJob(cj, scheduled);
            }
        } catch (ApiException e) {
            if (!closed.get()) {
                LOG.warn(
                        "lab CronJob {}/{} could not run at {}: {}",
                        spec.namespace(),
                        spec.name(),
                        scheduled,
                        e.getMessage());
            }
        } finally {
            scheduleNext(scheduled);
        }
    }

    private boolean hasActiveJob(CronJob cj) {
        return api.list(Job.class, spec.namespace(), null).stream()
                .filter(j -> ownedByCronJob(j).isPresent())
                .anyMatch(j -> !finished(j));
    }

    private void createScheduledJob(CronJob cj, Instant scheduled) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (cj.getSpec().getJobTemplate().getMetadata() != null
                && cj.getSpec().getJobTemplate().getMetadata().getAnnotations() != null) {
            annotations.putAll(cj.getSpec().getJobTemplate().getMetadata().getAnnotations());
        }
        annotations.put(SCHEDULED_ANNOTATION, scheduled.toString());
        Job job = new JobBuilder()
                .withNewMetadata()
                .withName(spec.name() + "-" + scheduled.getEpochSecond() / 60)
                .withNamespace(spec.namespace())
                .withUid(UUID.randomUUID().toString())
                .withLabels(
                        cj.getSpec().getJobTemplate().getMetadata() == null
                                ? null
                                : cj.getSpec().getJobTemplate().getMetadata().getLabels())
                .withAnnotations(annotations)
                .withCreationTimestamp(clock.now().toString())
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion("batch/v1")
                        .withKind("CronJob")
                        .withName(cj.getMetadata().getName())
                        .withUid(cj.getMetadata().getUid())
                        .withController(true)
                        .withBlockOwnerDeletion(true)
                        .build())
                .endMetadata()
                .withSpec(new JobSpecBuilder(cj.getSpec().getJobTemplate().getSpec()).build())
                .build();
        api.create(job);
        editCronJobStatus(s -> s.setLastScheduleTime(scheduled.toString()));
    }

    /**
     * Writes the CronJob's status as its controller would. The Job threads and the schedule thread all write it (and
     * so may a user); each write is one atomic step on the stored object, so none is lost.
     */
    private void editCronJobStatus(java.util.function.Consumer<CronJobStatus> change) {
        try {
            api.edit(CronJob.class, spec.namespace(), spec.name(), cj -> {
                if (cj.getStatus() == null) {
                    cj.setStatus(new CronJobStatus());
                }
                change.accept(cj.getStatus());
                return cj;
            });
        } catch (ApiException e) {
            LOG.debug("CronJob status not updated: {}", e.getMessage());
        }
    }

    // ---------------------------------------------------------------- Jobs

    /**
     * Reads every Job once, then follows the store's Job changes (the listener is added under the store's lock, so
     * nothing falls between the read and the first change), as the Job controller's informer would.
     */
    private void follow() {
        ApiResources.Type jobs = LabApi.type(Job.class);
        api.store().atomically(() -> {
            for (ObjectNode o :
                    api.store().list(jobs, null, Selectors.Filter.ALL).items()) {
                changed(new ApiStore.Change(jobs, 0, null, o));
            }
            api.store().addListener(listener);
            return null;
        });
    }

    /** A store change (under the store's lock): a Job's is handed to the Job events thread. */
    private void changed(ApiStore.Change c) {
        if (closed.get() || !c.type().equals(LabApi.type(Job.class))) {
            return;
        }
        try {
            jobEvents.execute(() -> {
                if (c.after() != null) {
                    consider(api.read(c.after(), Job.class));
                } else {
                    deleted(api.read(c.before(), Job.class));
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** A deleted Job's run stops, and its pods go too (the garbage collector). */
    private void deleted(Job job) {
        seen.remove(key(job));
        Run run = runs.remove(key(job));
        if (run != null) {
            run.cancel();
        }
        collectPods(job);
    }

    private Optional<OwnerReference> ownedByCronJob(Job job) {
        List<OwnerReference> refs = job.getMetadata().getOwnerReferences();
        if (refs == null || !spec.namespace().equals(job.getMetadata().getNamespace())) {
            return Optional.empty();
        }
        return refs.stream()
                .filter(r -> "CronJob".equals(r.getKind()) && spec.name().equals(r.getName()))
                .findFirst();
    }

    private static boolean finished(Job job) {
        return job.getStatus() != null
                && job.getStatus().getConditions() != null
                && job.getStatus().getConditions().stream()
                        .anyMatch(c -> ("Complete".equals(c.getType()) || "Failed".equals(c.getType()))
                                && "True".equals(c.getStatus()));
    }

    private void consider(Job job) {
        if (closed.get()
                || ownedByCronJob(job).isEmpty()
                || (job.getStatus() != null && job.getStatus().getStartTime() != null)
                || job.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        if (!seen.add(key(job))) {
            return;
        }
        Run run = new Run(job.getMetadata().getNamespace(), job.getMetadata().getName());
        runs.put(key(job), run);
        try {
            runners.execute(run);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            runs.remove(key(job));
        }
    }

    private static String key(Job job) {
        return job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
    }

    /** The garbage collector: a deleted Job's pods go too. */
    private void collectPods(Job job) {
        if (closed.get()) {
            return;
        }
        try {
            for (Pod p : api.list(
                    Pod.class,
                    job.getMetadata().getNamespace(),
                    JOB_NAME_LABEL + "=" + job.getMetadata().getName())) {
                try {
                    api.delete(
                            Pod.class,
                            p.getMetadata().getNamespace(),
                            p.getMetadata().getName());
                } catch (ApiException e) {
                    if (e.code != 404) {
                        throw e;
                    }
                }
                logs.remove(p.getMetadata().getNamespace(), p.getMetadata().getName());
            }
        } catch (ApiException e) {
            LOG.debug("pods of Job {} not collected: {}", key(job), e.getMessage());
        }
    }

    /** One Job's run, on a thread of its own; cancelled when the Job is deleted or the lab closes. */
    private final class Run implements Runnable {
        private final String ns;
        private final String name;
        private final CountDownLatch cancelled = new CountDownLatch(1);

        Run(String ns, String name) {
            this.ns = ns;
            this.name = name;
        }

        void cancel() {
            cancelled.countDown();
        }

        void pause(Duration world) throws InterruptedException {
            if (cancelled.await(clock.toWall(world).toNanos(), TimeUnit.NANOSECONDS)) {
                throw new InterruptedException("Job " + ns + "/" + name + " was deleted");
            }
        }

        @Override
        public void run() {
            try {
                execute();
            } catch (InterruptedException e) {
                LOG.debug("Job {}/{} cancelled", ns, name);
            } catch (ApiException e) {
                if (!closed.get() && cancelled.getCount() > 0) {
                    LOG.warn("lab Job {}/{} stopped: {}", ns, name, e.getMessage());
                }
            } catch (RuntimeException e) {
                LOG.error("lab Job {}/{} failed", ns, name, e);
            } finally {
                runs.remove(ns + "/" + name, this);
            }
        }

        private void execute() throws InterruptedException {
            Job job = api.get(Job.class, ns, name);
            if (job == null) {
                return;
            }
            if (job.getMetadata().getUid() == null) {
                job = api.edit(Job.class, ns, name, j -> {
                    j.getMetadata().setUid(UUID.randomUUID().toString());
                    return j;
                });
            }
            String uid = job.getMetadata().getUid();
            int backoffLimit =
                    job.getSpec().getBackoffLimit() == null ? 6 : job.getSpec().getBackoffLimit();
            Instant start = clock.now();
            editJobStatus(s -> {
                s.setStartTime(start.toString());
                s.setActive(1);
                s.setReady(0);
                s.setTerminating(0);
            });
            editCronJobStatus(s -> {
                List<io.fabric8.kubernetes.api.model.ObjectReference> active =
                        new ArrayList<>(s.getActive() == null ? List.of() : s.getActive());
                active.add(new ObjectReferenceBuilder()
                        .withApiVersion("batch/v1")
                        .withKind("Job")
                        .withName(name)
                        .withNamespace(ns)
                        .withUid(uid)
                        .build());
                s.setActive(active);
            });
            int failures = 0;
            try {
                while (true) {
                    int exit = runPod(job, uid);
                    if (exit == 0) {
                        Instant done = clock.now();
                        editJobStatus(s -> {
                            s.setActive(0);
                            s.setReady(0);
                            s.setSucceeded(1);
                            s.setCompletionTime(done.toString());
                            s.setConditions(List.of(
                                    condition(
                                            "SuccessCriteriaMet",
                                            "CompletionsReached",
                                            "Reached expected number of" + " succeeded pods",
                                            done),
                                    condition(
                                            "Complete",
                                            "CompletionsReached",
                                            "Reached expected number of succeeded" + " pods",
                                            done)));
                        });
                        editCronJobStatus(s -> s.setLastSuccessfulTime(done.toString()));
                        return;
                    }
                    if (exit < 0) {
                        return; // the pod cannot start: the Job stays active, as on a cluster
                    }
                    failures++;
                    int failed = failures;
                    if (failures > backoffLimit) {
                        Instant done = clock.now();
                        editJobStatus(s -> {
                            s.setActive(0);
                            s.setReady(0);
                            s.setFailed(failed);
                            s.setConditions(List.of(
                                    condition(
                                            "FailureTarget",
                                            "BackoffLimitExceeded",
                                            "Job has reached the specified" + " backoff limit",
                                            done),
                                    condition(
                                            "Failed",
                                            "BackoffLimitExceeded",
                                            "Job has reached the specified backoff" + " limit",
                                            done)));
                        });
                        return;
                    }
                    editJobStatus(s -> {
                        s.setFailed(failed);
                        s.setReady(0);
                    });
                    pause(POD_FAILURE_BACKOFF.multipliedBy(1L << Math.min(failures - 1, 6)));
                }
            } finally {
                editCronJobStatus(s -> {
                    if (s.getActive() != null) {
                        List<io.fabric8.kubernetes.api.model.ObjectReference> active = new ArrayList<>(s.getActive());
                        active.removeIf(r -> name.equals(r.getName()));
                        s.setActive(active.isEmpty() ? null : active);
                    }
                });
            }
        }

        /** One pod of the Job, from creation to its container's exit code; -1 when it cannot start. */
        private int runPod(Job job, String uid) throws InterruptedException {
            PodTemplateSpec template = job.getSpec().getTemplate();
            String podName = name + "-" + PodShapes.randomSuffix();
            Map<String, String> labels = new LinkedHashMap<>();
            if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
                labels.putAll(template.getMetadata().getLabels());
            }
            labels.put(JOB_NAME_LABEL, name);
            labels.put("job-name", name);
            labels.put(CONTROLLER_UID_LABEL, uid);
            labels.put("controller-uid", uid);
            PodSpec podSpec = new PodSpecBuilder(template.getSpec()).build();
            String container = podSpec.getContainers().isEmpty()
                    ? CONTAINER
                    : podSpec.getContainers().get(0).getName();
            Pod pod = new PodBuilder()
                    .withNewMetadata()
                    .withName(podName)
                    .withNamespace(ns)
                    .withUid(UUID.randomUUID().toString())
                    .withLabels(labels)
                    .withAnnotations(
                            template.getMetadata() == null
                                    ? null
                                    : template.getMetadata().getAnnotations())
                    .withCreationTimestamp(clock.now().toString())
                    .withOwnerReferences(new OwnerReferenceBuilder()
                            .withApiVersion("batch/v1")
                            .withKind("Job")
                            .withName(name)
                            .withUid(uid)
                            .withController(true)
                            .withBlockOwnerDeletion(true)
                            .build())
                    .endMetadata()
                    .withSpec(podSpec)
                    .build();
            Node node = chooseNode(pod);
            while (node == null) {
                // no node fits: the pod is Pending and Unschedulable until one does
                if (api.get(Pod.class, ns, podName) == null) {
                    pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                            .withPhase("Pending")
                            .withConditions(podCondition("PodScheduled", "False", "Unschedulable"))
                            .build());
                    logs.register(ns, podName, container);
                    api.create(pod);
                }
                pause(UNSCHEDULABLE_RETRY);
                node = chooseNode(pod);
            }
            Node chosen = node;
            pod.getSpec().setNodeName(chosen.getMetadata().getName());
            pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                    .withPhase("Pending")
                    .withHostIP(Kube.internalIp(chosen))
                    .withConditions(
                            podCondition("PodScheduled", "True", null),
                            podCondition("Initialized", "True", null),
                            podCondition("ContainersReady", "False", "ContainersNotReady"),
                            podCondition("Ready", "False", "ContainersNotReady"))
                    .withContainerStatuses(containerStatus(
                            container,
                            new ContainerStateBuilder()
                                    .withNewWaiting()
                                    .withReason("ContainerCreating")
                                    .endWaiting()
                                    .build(),
                            false))
                    .build());
            logs.register(ns, podName, container);
            if (api.get(Pod.class, ns, podName) == null) {
                api.create(pod);
            } else {
                api.edit(Pod.class, ns, podName, p -> {
                    p.getSpec().setNodeName(chosen.getMetadata().getName());
                    p.setStatus(pod.getStatus());
                    return p;
                });
            }
            Map<String, String> env;
            try {
                env = environment(podSpec);
            } catch (IllegalStateException e) {
                logs.waiting(ns, podName, "CreateContainerConfigError");
                api.edit(Pod.class, ns, podName, p -> {
                    p.getStatus()
                            .setContainerStatuses(List.of(containerStatus(
                                    container,
                                    new ContainerStateBuilder()
                                            .withNewWaiting()
                                            .withReason("CreateContainerConfigError")
                                            .withMessage(e.getMessage())
                                            .endWaiting()
                                            .build(),
                                    false)));
                    return p;
                });
                return -1;
            }
            pause(CONTAINER_START);
            Instant started = clock.now();
            logs.started(ns, podName);
            api.edit(Pod.class, ns, podName, p -> {
                p.getStatus().setPhase("Running");
                p.getStatus().setStartTime(started.toString());
                p.getStatus()
                        .setConditions(List.of(
                                podCondition("PodScheduled", "True", null),
                                podCondition("Initialized", "True", null),
                                podCondition("ContainersReady", "True", null),
                                podCondition("Ready", "True", null)));
                p.getStatus()
                        .setContainerStatuses(List.of(containerStatus(
                                container,
                                new ContainerStateBuilder()
                                        .withNewRunning()
                                        .withStartedAt(started.toString())
                                        .endRunning()
                                        .build(),
                                true)));
                return p;
            });
            editJobStatus(s -> s.setReady(1));
            int exit = blacklister.run(env, faults.get(), new SpotBlacklister.Io() {
                @Override
                public void log(String line) {
                    logs.append(ns, podName, clock.now(), line);
                }

                @Override
                public Instant now() {
                    return clock.now();
                }

                @Override
                public void pause(Duration world) throws InterruptedException {
                    Run.this.pause(world);
                }
            });
            Instant finished = clock.now();
            String reason = exit == 0 ? "PodCompleted" : "PodFailed";
            api.edit(Pod.class, ns, podName, p -> {
                p.getStatus().setPhase(exit == 0 ? "Succeeded" : "Failed");
                p.getStatus()
                        .setConditions(List.of(
                                podCondition("PodScheduled", "True", null),
                                podCondition("Initialized", "True", null),
                                podCondition("ContainersReady", "False", reason),
                                podCondition("Ready", "False", reason)));
                p.getStatus()
                        .setContainerStatuses(List.of(containerStatus(
                                container,
                                new ContainerStateBuilder()
                                        .withNewTerminated()
                                        .withExitCode(exit)
                                        .withReason(exit == 0 ? "Completed" : "Error")
                                        .withStartedAt(started.toString())
                                        .withFinishedAt(finished.toString())
                                        .endTerminated()
                                        .build(),
                                false)));
                return p;
            });
            return exit;
        }

        private void editJobStatus(java.util.function.Consumer<JobStatus> change) {
            api.edit(Job.class, ns, name, j -> {
                if (j.getStatus() == null) {
                    j.setStatus(new JobStatus());
                }
                change.accept(j.getStatus());
                return j;
            });
        }

        /** The container's environment, with {@code secretKeyRef}s read from their Secrets. */
        private Map<String, String> environment(PodSpec podSpec) {
            Map<String, String> env = new LinkedHashMap<>();
            if (podSpec.getContainers().isEmpty()
                    || podSpec.getContainers().get(0).getEnv() == null) {
                return env;
            }
            Map<String, io.fabric8.kubernetes.api.model.Secret> secrets = new LinkedHashMap<>();
            for (EnvVar e : podSpec.getContainers().get(0).getEnv()) {
                if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                    SecretKeySelector ref = e.getValueFrom().getSecretKeyRef();
                    io.fabric8.kubernetes.api.model.Secret s = secrets.computeIfAbsent(
                            ref.getName(), n -> api.get(io.fabric8.kubernetes.api.model.Secret.class, ns, n));
                    if (s == null) {
                        throw new IllegalStateException("secret \"" + ref.getName() + "\" not found");
                    }
                    String v = s.getData() == null ? null : s.getData().get(ref.getKey());
                    if (v != null) {
                        env.put(e.getName(), new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
                    } else if (s.getStringData() != null && s.getStringData().containsKey(ref.getKey())) {
                        env.put(e.getName(), s.getStringData().get(ref.getKey()));
                    } else {
                        throw new IllegalStateException(
                                "couldn't find key " + ref.getKey() + " in Secret " + ns + "/" + ref.getName());
                    }
                } else {
                    env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
                }
            }
            return env;
        }
    }

    /** The node the pod goes to: one that fits, on-demand first (a CronJob's pod should not ride on Spot). */
    private Node chooseNode(Pod pod) {
        return api.list(Node.class, null, null).stream()
                .filter(n -> LabScheduler.fits(pod, n))
                .min(Comparator.comparing((Node n) -> !"ON_DEMAND"
                                .equals(LabController.labelsOf(n.getMetadata()).get("eks.amazonaws.com/capacityType")))
                        .thenComparing(n -> n.getMetadata().getName()))
                .orElse(null);
    }

    private JobCondition condition(String type, String reason, String message, Instant at) {
        return new JobConditionBuilder()
                .withType(type)
                .withStatus("True")
                .withReason(reason)
                .withMessage(message)
                .withLastProbeTime(at.toString())
                .withLastTransitionTime(at.toString())
                .build();
    }

    private PodCondition podCondition(String type, String status, String reason) {
        return new PodConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withLastTransitionTime(clock.now().toString())
                .build();
    }

    private static ContainerStatus containerStatus(
            String name, io.fabric8.kubernetes.api.model.ContainerState state, boolean ready) {
        return new ContainerStatusBuilder()
                .withName(name)
                .withImage(IMAGE)
                .withState(state)
                .withReady(ready)
                .withStarted(state.getRunning() != null)
                .withRestartCount(0)
                .build();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Stops the schedule and following Jobs, and cancels every run. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        api.store().removeListener(listener);
        jobEvents.shutdownNow();
        runs.values().forEach(Run::cancel);
        timer.shutdownNow();
        runners.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
            runners.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (http instanceof AutoCloseable c) { // JDK 21+
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("http client close: {}", e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "LabJobs[" + spec.namespace() + "/" + spec.name() + ", schedule " + spec.schedule() + ", " + runs.size()
                + " running]";
    }
}
