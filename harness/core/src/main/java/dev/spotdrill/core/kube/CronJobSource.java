package dev.spotdrill.core.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.internal.Probes;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CronJob source ({@value CronJobs#KIND}): for each request {@code cronjob{cronJob=namespace/name}} it creates,
 * when START comes, one Job from the CronJob as {@code kubectl create job --from=cronjob/<name>} does (an owner
 * reference to the CronJob, the annotation {@code cronjob.kubernetes.io/instantiate: manual}, the job template's
 * labels, annotations and spec copied), plus the label {@code spotdrill/run-id}. It watches the Job with an informer
 * and writes its completion or failure, with the tail of its pod's log, to the timeline; it deletes the Job and its
 * pods (propagation policy Background) when the drill ends.
 *
 * <p>Before anything is created it checks that the world reaches a cluster and that each CronJob exists, so that a
 * wrong name fails the test with the CronJobs the namespace has. It needs RBAC to get {@code cronjobs}, to create,
 * list, watch and delete {@code jobs}, to list {@code pods} and to get {@code pods/log} in the CronJob's namespace.
 */
public final class CronJobSource implements Source {
    /** The annotation kubectl sets on a Job it creates from a CronJob. */
    public static final String INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate";
    /** The label every Job a drill creates carries, with the drill's run id. */
    public static final String RUN_ID_LABEL = "spotdrill/run-id";

    private static final Logger LOG = LoggerFactory.getLogger(CronJobSource.class);
    private static final List<String> JOB_NAME_LABELS = List.of("batch.kubernetes.io/job-name", "job-name");

    @Override
    public String kind() {
        return CronJobs.KIND;
    }

    @Override
    public Stage stage() {
        return Stage.RESOLVED;
    }

    @Override
    public void check(SourceContext ctx, List<SourceRequest> requests) {
        if (ctx.world().kube().isEmpty()) {
            throw new SpotDrillConfigurationException("the " + ctx.world().name() + " world has no Kubernetes access;"
                    + " set spotdrill.kube.context (or a kubeconfig) so the harness can create the CronJob's Job");
        }
        try (KubernetesClient client = KubeClientFactory.client(ctx.world(), "@RunCronJob")) {
            for (SourceRequest r : requests) {
                String cronJob = r.param(CronJobs.CRONJOB);
                String[] nsName = split(cronJob);
                CronJob cj;
                try {
                    cj = client.batch()
                            .v1()
                            .cronjobs()
                            .inNamespace(nsName[0])
                            .withName(nsName[1])
                            .get();
                } catch (KubernetesClientException e) {
                    throw new SpotDrillConfigurationException("cannot read CronJob " + cronJob + ": " + e.getMessage()
                            + "; the harness needs RBAC to get cronjobs and to create, watch and delete jobs in "
                            + nsName[0]);
                }
                if (cj == null) {
                    throw new SpotDrillConfigurationException("the cluster has no CronJob " + cronJob
                            + known(client, nsName[0]) + "; check the namespace and the name (kubectl get cronjobs"
                            + " -A lists them)");
                }
                if (cj.getSpec() == null || cj.getSpec().getJobTemplate() == null) {
                    throw new SpotDrillConfigurationException(
                            "CronJob " + cronJob + " has no jobTemplate to create a" + " Job from");
                }
            }
        }
    }

    private static String known(KubernetesClient client, String namespace) {
        try {
            List<String> names = client.batch().v1().cronjobs().inNamespace(namespace).list().getItems().stream()
                    .map(c -> c.getMetadata().getName())
                    .sorted()
                    .toList();
            return names.isEmpty()
                    ? " (namespace " + namespace + " has no CronJob)"
                    : " (namespace " + namespace + " has " + String.join(", ", names) + ")";
        } catch (KubernetesClientException e) {
            return "";
        }
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        KubernetesClient client = KubeClientFactory.client(ctx.world(), "@RunCronJob");
        List<Run> runs = new ArrayList<>();
        AutoCloseable all = () -> {
            List<Run> lifo = new ArrayList<>(runs);
            Collections.reverse(lifo);
            for (Run r : lifo) {
                r.close();
            }
            client.close();
        };
        try {
            for (SourceRequest r : requests) {
                Run run = new Run(ctx, client, r.param(CronJobs.CRONJOB));
                runs.add(run);
                run.watch();
                ctx.onStart(run::create);
            }
        } catch (RuntimeException e) {
            try {
                all.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return all;
    }

    private static String[] split(String cronJob) {
        if (!CronJobs.valid(cronJob)) {
            throw new SpotDrillConfigurationException(
                    "\"" + cronJob + "\" is not namespace/name; write the CronJob" + " like cast-ai/spot-blacklist");
        }
        return cronJob.split("/");
    }

    /** The Job a drill makes from one CronJob: created at START, watched, deleted at the end. */
    private static final class Run {
        private final SourceContext ctx;
        private final KubernetesClient client;
        private final String cronJob;
        private final String namespace;
        private final String cronJobName;
        private final String jobName;
        private final AtomicBoolean ended = new AtomicBoolean();
        private final AtomicBoolean created = new AtomicBoolean();
        private volatile boolean closing;
        private volatile SharedIndexInformer<Job> informer;

        Run(SourceContext ctx, KubernetesClient client, String cronJob) {
            this.ctx = ctx;
            this.client = client;
            this.cronJob = cronJob;
            String[] nsName = split(cronJob);
            this.namespace = nsName[0];
            this.cronJobName = nsName[1];
            String suffix = "-" + ctx.drill().runId().toLowerCase(java.util.Locale.ROOT);
            String base = cronJobName.length() + suffix.length() > 63
                    ? cronJobName.substring(0, 63 - suffix.length())
                    : cronJobName;
            this.jobName = (base.endsWith("-") ? base.substring(0, base.length() - 1) : base) + suffix;
        }

        String job() {
            return namespace + "/" + jobName;
        }

        void watch() {
            informer = client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(namespace)
                    .withName(jobName)
                    .inform(
                            new ResourceEventHandler<>() {
                                @Override
                                public void onAdd(Job job) {
                                    seen(job);
                                }

                                @Override
                                public void onUpdate(Job oldJob, Job newJob) {
                                    seen(newJob);
                                }

                                @Override
                                public void onDelete(Job job, boolean deletedFinalStateUnknown) {
                                    if (!closing) {
                                        end(
                                                CronJobs.JOB_FAILED,
                                                "Job " + job() + " was deleted before it ended",
                                                "Deleted",
                                                "someone else deleted the Job",
                                                ctx.world().clock().now());
                                    }
                                }
                            },
                            0);
        }

        /** At START: the Job, from the CronJob's current template. */
        void create(Instant start) {
            if (closing) {
                return;
            }
            Instant at = ctx.world().clock().now();
            try {
                CronJob cj = client.batch()
                        .v1()
                        .cronjobs()
                        .inNamespace(namespace)
                        .withName(cronJobName)
                        .get();
                if (cj == null) {
                    end(CronJobs.JOB_FAILED, "CronJob " + cronJob + " is gone", "NotFound", "no CronJob", at);
                    return;
                }
                ObjectMeta template = cj.getSpec().getJobTemplate().getMetadata();
                Map<String, String> labels = new LinkedHashMap<>();
                Map<String, String> annotations = new LinkedHashMap<>();
                if (template != null && template.getLabels() != null) {
                    labels.putAll(template.getLabels());
                }
                if (template != null && template.getAnnotations() != null) {
                    annotations.putAll(template.getAnnotations());
                }
                labels.put(RUN_ID_LABEL, ctx.drill().runId());
                annotations.put(INSTANTIATE_ANNOTATION, "manual");
                Job job = new JobBuilder()
                        .withNewMetadata()
                        .withName(jobName)
                        .withNamespace(namespace)
                        .withLabels(labels)
                        .withAnnotations(annotations)
                        .withOwnerReferences(new OwnerReferenceBuilder()
                                .withApiVersion("batch/v1")
                                .withKind("CronJob")
                                .withName(cronJobName)
                                .withUid(cj.getMetadata().getUid())
                                .withController(true)
                                .withBlockOwnerDeletion(true)
                                .build())
                        .endMetadata()
                        .withSpec(
                                new JobSpecBuilder(cj.getSpec().getJobTemplate().getSpec()).build())
                        .build();
                status("Job " + job() + " created, not started yet", at);
                client.batch().v1().jobs().inNamespace(namespace).resource(job).create();
                created.set(true);
                Map<String, String> data = new LinkedHashMap<>();
                data.put(CronJobs.CRONJOB, cronJob);
                data.put("job", job());
                ctx.timeline()
                        .add(new Observation(
                                at,
                                CronJobs.KIND,
                                "",
                                CronJobs.JOB_CREATED,
                                "created Job " + job() + " from CronJob " + cronJob
                                        + " (as kubectl create job --from=cronjob/" + cronJobName + ")",
                                data));
                ctx.progress("Job " + job() + " created from CronJob " + cronJob);
            } catch (KubernetesClientException e) {
                end(
                        CronJobs.JOB_FAILED,
                        "could not create Job " + job() + " from CronJob " + cronJob + ": " + e.getMessage(),
                        "CreateFailed",
                        String.valueOf(e.getMessage()),
                        at);
            }
        }

        private void seen(Job job) {
            if (closing || ended.get()) {
                return;
            }
            Instant at = ctx.world().clock().now();
            Optional<JobCondition> done = Optional.ofNullable(job.getStatus())
                    .map(s -> s.getConditions())
                    .flatMap(cs -> cs.stream()
                            .filter(c -> ("Complete".equals(c.getType()) || "Failed".equals(c.getType()))
                                    && "True".equals(c.getStatus()))
                            .findFirst());
            if (done.isEmpty()) {
                var s = job.getStatus();
                status(
                        "Job " + job() + (s == null || s.getStartTime() == null ? " not started yet" : " running")
                                + " (active " + n(s == null ? null : s.getActive()) + ", ready "
                                + n(s == null ? null : s.getReady()) + ", succeeded "
                                + n(s == null ? null : s.getSucceeded()) + ", failed "
                                + n(s == null ? null : s.getFailed()) + ")",
                        at);
                return;
            }
            JobCondition c = done.get();
            boolean complete = "Complete".equals(c.getType());
            // the log is read off the informer's thread
            Probes.scheduler()
                    .execute(() -> end(
                            complete ? CronJobs.JOB_COMPLETE : CronJobs.JOB_FAILED,
                            "Job " + job() + (complete ? " completed" : " failed")
                                    + (c.getReason() == null
                                            ? ""
                                            : " (" + c.getReason()
                                                    + (c.getMessage() == null ? "" : ": " + c.getMessage()) + ")"),
                            c.getReason(),
                            c.getMessage(),
                            at));
        }

        private void end(String kind, String detail, String reason, String message, Instant at) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            Map<String, String> data = new LinkedHashMap<>();
            data.put(CronJobs.CRONJOB, cronJob);
            data.put("job", job());
            data.put("reason", reason == null ? "" : reason);
            data.put("message", message == null ? "" : message);
            String text = detail;
            Optional<Pod> pod = created.get() ? lastPod() : Optional.empty();
            if (pod.isPresent()) {
                String name = pod.get().getMetadata().getName();
                data.put("pod", name);
                String container = container(pod.get());
                data.put("exitCode", exitCode(pod.get()));
                String tail = logTail(name);
                data.put("logTail", tail);
                text += "; pod " + name + " " + container;
                if (kind.equals(CronJobs.JOB_COMPLETE) && !tail.isBlank()) {
                    text += "; its log ends: "
                            + tail.lines().reduce((a, b) -> b).orElse("");
                }
            }
            ctx.timeline().add(new Observation(at, CronJobs.KIND, "", kind, text, data));
            status(text, at);
            ctx.progress(text);
        }

        private Optional<Pod> lastPod() {
            try {
                for (String label : JOB_NAME_LABELS) {
                    List<Pod> pods = client.pods()
                            .inNamespace(namespace)
                            .withLabel(label, jobName)
                            .list()
                            .getItems();
                    if (!pods.isEmpty()) {
                        return pods.stream()
                                .max(Comparator.comparing(
                                        p -> String.valueOf(p.getMetadata().getCreationTimestamp())));
                    }
                }
            } catch (KubernetesClientException e) {
                LOG.debug("pods of Job {} not listed: {}", job(), e.getMessage());
            }
            return Optional.empty();
        }

        private String logTail(String pod) {
            try {
                String log = client.pods()
                        .inNamespace(namespace)
                        .withName(pod)
                        .tailingLines(CronJobs.LOG_TAIL_LINES)
                        .getLog();
                return log == null ? "" : log.stripTrailing();
            } catch (KubernetesClientException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }

        private static String container(Pod pod) {
            String phase = pod.getStatus() == null ? "?" : pod.getStatus().getPhase();
            List<ContainerStatus> cs =
                    pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
            if (cs == null || cs.isEmpty() || cs.get(0).getState() == null) {
                return phase;
            }
            var state = cs.get(0).getState();
            if (state.getTerminated() != null) {
                return phase + ", exit code " + state.getTerminated().getExitCode()
                        + (state.getTerminated().getReason() == null
                                ? ""
                                : " (" + state.getTerminated().getReason() + ")");
            }
            if (state.getWaiting() != null) {
                return phase + ", waiting: " + state.getWaiting().getReason()
                        + (state.getWaiting().getMessage() == null
                                ? ""
                                : " (" + state.getWaiting().getMessage() + ")");
            }
            return phase;
        }

        private static String exitCode(Pod pod) {
            List<ContainerStatus> cs =
                    pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
            if (cs == null
                    || cs.isEmpty()
                    || cs.get(0).getState() == null
                    || cs.get(0).getState().getTerminated() == null) {
                return "";
            }
            return String.valueOf(cs.get(0).getState().getTerminated().getExitCode());
        }

        private void status(String text, Instant at) {
            ctx.timeline().status("", CronJobs.status(cronJob), at, text);
        }

        private static String n(Integer i) {
            return i == null ? "0" : i.toString();
        }

        void close() {
            closing = true;
            SharedIndexInformer<Job> i = informer;
            if (i != null) {
                i.close();
            }
            if (created.get()) {
                try {
                    client.batch()
                            .v1()
                            .jobs()
                            .inNamespace(namespace)
                            .withName(jobName)
                            .withPropagationPolicy(DeletionPropagation.BACKGROUND)
                            .delete();
                } catch (KubernetesClientException e) {
                    LOG.warn(
                            "spotdrill: could not delete Job {}: {}; delete it with kubectl delete job -n {} {}",
                            job(),
                            e.getMessage(),
                            namespace,
                            jobName);
                }
            }
        }
    }
}
