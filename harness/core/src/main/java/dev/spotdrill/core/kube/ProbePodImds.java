package dev.spotdrill.core.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.aws.ImdsProbe;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one target's IMDS on a real cluster through a probe pod ({@code spotdrill.imds.via=probe-pod}): creates
 * the pod of {@link ProbePodSpec} on the target's node, follows its log, and appends the same observations and
 * readings to the timeline as {@link ImdsProbe} does.
 *
 * <p>Each {@code REBALANCE} or {@code NOTICE} observation is timed by the harness's world clock when the line is
 * read (the pod's clock may differ from the harness's, and in world time it is the harness that judges); the
 * pod's own time is kept in the data as {@code podAt}. The log delay is the pod's one-second poll plus the log
 * stream's latency, usually well under two seconds. {@link #close()} stops following and deletes the pod.
 */
public final class ProbePodImds implements AutoCloseable {
    /** How long (wall time) {@link #start} waits for the pod to run unless told otherwise. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(2);

    static final String NOTICE_KEY = "imds:instance-action";
    static final String REBALANCE_KEY = "imds:rebalance";
    private static final Logger LOG = LoggerFactory.getLogger(ProbePodImds.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> HOPELESS = Set.of(
            "ImagePullBackOff",
            "ErrImageNeverPull",
            "InvalidImageName",
            "CreateContainerConfigError",
            "CreateContainerError",
            "RunContainerError");

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final Target target;
    private final Timeline timeline;
    private final WorldClock clock;
    private final Object lock = new Object();
    private boolean rebalanceSeen;
    private boolean noticeSeen;
    private volatile boolean closed;
    private LogWatch logWatch;
    private Thread reader;

    ProbePodImds(
            KubernetesClient client,
            String namespace,
            String name,
            Target target,
            Timeline timeline,
            WorldClock clock) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.target = target;
        this.timeline = timeline;
        this.clock = clock;
    }

    /**
     * Starts the probe pod for one target, waits up to {@link #DEFAULT_START_TIMEOUT} for it to run, and follows
     * its log.
     *
     * @param namespace the namespace for the pod; blank means {@value ProbePodSpec#DEFAULT_NAMESPACE}
     * @param image the probe image, see {@link ProbePodSpec#image(SpotDrillConfig)}
     * @throws SpotDrillException when the pod cannot be created or does not run in time (the pod is then deleted)
     */
    public static ProbePodImds start(
            KubernetesClient client,
            String namespace,
            String runId,
            Target target,
            Timeline timeline,
            WorldClock clock,
            String image) {
        return start(client, namespace, runId, target, timeline, clock, image, DEFAULT_START_TIMEOUT);
    }

    /** As {@link #start(KubernetesClient, String, String, Target, Timeline, WorldClock, String)}, with a wall-time limit for the pod to run. */
    public static ProbePodImds start(
            KubernetesClient client,
            String namespace,
            String runId,
            Target target,
            Timeline timeline,
            WorldClock clock,
            String image,
            Duration startTimeout) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(timeline, "timeline");
        Objects.requireNonNull(clock, "clock");
        if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout " + startTimeout + " must be positive, e.g. PT2M");
        }
        Pod pod = ProbePodSpec.build(namespace, runId, target, image);
        // its age in world time, for the leftovers sweep (creationTimestamp is wall time, and the lab's is not)
        pod.getMetadata()
                .setAnnotations(new java.util.LinkedHashMap<>(java.util.Map.of(
                        ProbePodSpec.CREATED_AT_ANNOTATION,
                        clock.now()
                                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                                .toString())));
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        try {
            client.pods().inNamespace(ns).resource(pod).create();
        } catch (KubernetesClientException e) {
            throw new SpotDrillException(
                    "could not create the IMDS probe pod " + ns + "/" + name + " on node "
                            + target.nodeName() + ": HTTP " + e.getCode() + " " + e.getMessage()
                            + "; the harness needs RBAC to create, get and delete pods and get pods/log in namespace "
                            + ns
                            + ", or use " + SpotDrillConfig.IMDS_VIA + "=direct",
                    e);
        }
        ProbePodImds probe = new ProbePodImds(client, ns, name, target, timeline, clock);
        try {
            probe.awaitRunning(startTimeout, image);
            probe.follow();
            return probe;
        } catch (RuntimeException e) {
            probe.close();
            throw e;
        }
    }

    /** The probe pod's name. */
    public String podName() {
        return name;
    }

    /** The probe pod's namespace. */
    public String namespace() {
        return namespace;
    }

    private PodResource pod() {
        return client.pods().inNamespace(namespace).withName(name);
    }

    private void awaitRunning(Duration timeout, String image) {
        Pod last;
        try {
            last = pod().waitUntilCondition(
                            p -> p == null || isRunning(p) || hopeless(p).isPresent(),
                            timeout.toMillis(),
                            TimeUnit.MILLISECONDS);
        } catch (KubernetesClientTimeoutException e) {
            last = e.getResourcesNotReady().isEmpty()
                    ? pod().get()
                    : (Pod) e.getResourcesNotReady().get(0);
            throw notRunning(last, "did not run within " + timeout, image);
        }
        if (last == null) {
            throw notRunning(null, "was deleted before it ran", image);
        }
        if (!isRunning(last)) {
            throw notRunning(last, "cannot run (" + hopeless(last).orElse("?") + ")", image);
        }
    }

    private SpotDrillException notRunning(Pod pod, String what, String image) {
        return new SpotDrillException("IMDS probe pod " + namespace + "/" + name + " on node " + target.nodeName()
                + " " + what + ": " + describe(pod) + "; check that node " + target.nodeName() + " exists and can pull "
                + image + " (kubectl -n " + namespace + " describe pod " + name + "), set "
                + SpotDrillConfig.IMDS_PROBE_IMAGE + " to an image with sh and curl that the node can pull, or use "
                + SpotDrillConfig.IMDS_VIA + "=direct");
    }

    static boolean isRunning(Pod p) {
        return p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
    }

    /** Why the pod will never run, if it is already clear: a terminal phase or a hopeless container state. */
    static Optional<String> hopeless(Pod p) {
        if (p.getStatus() == null) {
            return Optional.empty();
        }
        String phase = p.getStatus().getPhase();
        if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
            return Optional.of("phase " + phase);
        }
        for (ContainerStatus c : containers(p)) {
            if (c.getState() != null
                    && c.getState().getWaiting() != null
                    && HOPELESS.contains(c.getState().getWaiting().getReason())) {
                return Optional.of("container " + c.getState().getWaiting().getReason());
            }
        }
        return Optional.empty();
    }

    static String describe(Pod p) {
        if (p == null) {
            return "the pod is gone";
        }
        if (p.getStatus() == null) {
            return "phase unknown (no status yet: is a kubelet serving the node?)";
        }
        StringBuilder sb = new StringBuilder("phase ").append(p.getStatus().getPhase());
        if (p.getStatus().getReason() != null) {
            sb.append(" (").append(p.getStatus().getReason()).append(')');
        }
        for (ContainerStatus c : containers(p)) {
            if (c.getState() == null) {
                continue;
            }
            if (c.getState().getWaiting() != null) {
                sb.append(", container waiting: ")
                        .append(c.getState().getWaiting().getReason());
                if (c.getState().getWaiting().getMessage() != null) {
                    sb.append(" ").append(c.getState().getWaiting().getMessage());
                }
            } else if (c.getState().getTerminated() != null) {
                sb.append(", container exited ")
                        .append(c.getState().getTerminated().getExitCode());
                if (c.getState().getTerminated().getReason() != null) {
                    sb.append(" (")
                            .append(c.getState().getTerminated().getReason())
                            .append(')');
                }
            }
        }
        return sb.toString();
    }

    private static List<ContainerStatus> containers(Pod p) {
        List<ContainerStatus> cs = p.getStatus().getContainerStatuses();
        return cs == null ? List.of() : cs;
    }

    private void follow() {
        LogWatch watch = pod().inContainer(ProbePodSpec.CONTAINER).watchLog();
        Thread t = new Thread(() -> read(watch), "spotdrill-imds-probe-" + name);
        t.setDaemon(true);
        synchronized (lock) {
            if (closed) {
                watch.close();
                return;
            }
            logWatch = watch;
            reader = t;
        }
        t.start();
    }

    private void read(LogWatch watch) {
        String ended = "the log ended";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(watch.getOutput(), StandardCharsets.UTF_8))) {
            String line;
            while (!closed && (line = in.readLine()) != null) {
                onLine(line);
            }
        } catch (IOException | RuntimeException e) {
            ended = "reading the log failed: " + e.getMessage();
        }
        onLogEnded(ended);
    }

    /** What the log reader does when the log stops before {@link #close()}: a PROBE_ERROR if a notice is still due. */
    void onLogEnded(String why) {
        synchronized (lock) {
            if (closed || (rebalanceSeen && noticeSeen)) {
                return;
            }
        }
        Instant at = clock.now();
        String error = "IMDS probe pod " + namespace + "/" + name + " stopped reporting: " + why
                + " (was it evicted or deleted?)";
        LOG.warn("spotdrill: {}", error);
        timeline.add(new Observation(
                at, "imds", target.instanceId(), Observation.Kinds.PROBE_ERROR, error, Map.of("error", error)));
        for (String key : List.of(NOTICE_KEY, REBALANCE_KEY)) {
            timeline.status(target.instanceId(), key, at, "probe pod " + name + " stopped reporting");
        }
    }

    /**
     * Handles one line of the pod's log, exactly as the log follower does: records the reading, and the first
     * 200 of each path as a REBALANCE or NOTICE observation at the harness's world time now. Garbage is ignored.
     */
    void onLine(String line) {
        Optional<ProbePodLog> parsed = ProbePodLog.parse(line);
        if (parsed.isEmpty()) {
            LOG.debug("spotdrill: IMDS probe pod {} printed a line that is not a probe line: {}", name, line);
            return;
        }
        ProbePodLog log = parsed.get();
        Instant at = clock.now();
        boolean notice = ImdsProbe.NOTICE_PATH.equals(log.path());
        if (!notice && !ImdsProbe.REBALANCE_PATH.equals(log.path())) {
            LOG.debug("spotdrill: IMDS probe pod {} reported an unwatched path {}", name, log.path());
            return;
        }
        timeline.status(target.instanceId(), notice ? NOTICE_KEY : REBALANCE_KEY, at, log.reading());
        if (log.status() != 200) {
            return;
        }
        synchronized (lock) {
            if (notice) {
                if (noticeSeen) {
                    return;
                }
                noticeSeen = true;
            } else {
                if (rebalanceSeen) {
                    return;
                }
                rebalanceSeen = true;
            }
        }
        timeline.add(notice ? noticeObservation(at, log) : rebalanceObservation(at, log));
    }

    private Observation rebalanceObservation(Instant at, ProbePodLog log) {
        String body = log.body();
        return new Observation(
                at,
                "imds",
                target.instanceId(),
                Observation.Kinds.REBALANCE,
                "rebalance recommendation " + body.strip(),
                Map.of(
                        "body",
                        body,
                        "noticeTime",
                        field(body, "noticeTime"),
                        "path",
                        ImdsProbe.REBALANCE_PATH,
                        "podAt",
                        log.at(),
                        "via",
                        "probe-pod " + name));
    }

    private Observation noticeObservation(Instant at, ProbePodLog log) {
        String body = log.body();
        String action = field(body, "action");
        String time = field(body, "time");
        return new Observation(
                at,
                "imds",
                target.instanceId(),
                Observation.Kinds.NOTICE,
                "instance-action " + action + " at " + time,
                Map.of(
                        "body",
                        body,
                        "action",
                        action,
                        "time",
                        time,
                        "path",
                        ImdsProbe.NOTICE_PATH,
                        "podAt",
                        log.at(),
                        "via",
                        "probe-pod " + name));
    }

    private static String field(String body, String name) {
        try {
            JsonNode n = JSON.readTree(body).path(name);
            return n.isMissingNode() ? "" : n.asText();
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops following the log and deletes the pod (grace period 0). Never throws; safe to call twice. */
    @Override
    public void close() {
        LogWatch watch;
        Thread t;
        synchronized (lock) {
            closed = true;
            watch = logWatch;
            t = reader;
            logWatch = null;
            reader = null;
        }
        if (watch != null) {
            try {
                watch.close();
            } catch (RuntimeException e) {
                LOG.debug("spotdrill: closing the log watch of IMDS probe pod {} failed", name, e);
            }
        }
        try {
            pod().withGracePeriod(0).delete();
        } catch (RuntimeException e) {
            LOG.warn(
                    "spotdrill: could not delete IMDS probe pod {}/{}; delete it with kubectl -n {} delete pod {}"
                            + " (all leftovers: -l {}={}): {}",
                    namespace,
                    name,
                    namespace,
                    name,
                    ProbePodSpec.APP_LABEL,
                    ProbePodSpec.APP,
                    e.toString());
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(Duration.ofSeconds(5).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "ProbePodImds[" + namespace + "/" + name + ", " + target.instanceId() + "]";
    }
}
