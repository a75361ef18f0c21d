package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The reference Spot→Fargate orchestrator (reference/domain.md), run in the lab as it runs in a cluster, in its
 * single-Deployment mode. It long-polls its own SQS queue (fed by its own EventBridge rule) for "EC2 Spot Instance
 * Interruption Warning"s, maps the instance to its node (by {@code spec.providerID}), the node to its pods (those on
 * it now and, from its pod informer, those that left it in the last two minutes: a termination handler may drain the
 * node first) and the pods to their Deployment; when that is the Deployment it manages, it patches the pod template's label and
 * nodeSelector {@code <compute_label_key>: <fargate_label>} and the annotations {@value #STATE}=fargate,
 * {@value #MIGRATED_AT} and {@value #REASON}=spot-interruption in one update, waits for the rollout (timeout
 * {@code rollout_timeout}) and checks the pods' health.
 *
 * <p>Recovery runs every {@code recovery.interval} (world time): a Deployment on Fargate whose {@value #MIGRATED_AT}
 * is at least {@code recovery.cooldown} old, outside the backoff of its failed attempts, while a Ready Spot node
 * exists, is patched back to {@code spot_label} ({@value #LAST_RECOVERED} set to the attempt's time), its rollout
 * awaited ({@code recovery.timeout}) and its health checked; success sets {@value #RECOVERY_REASON}
 * {@code successful-recovery} and removes {@value #FAILED_ATTEMPTS} and {@value #MIGRATED_AT}; failure rolls back to
 * Fargate ({@value #REASON}=rollback, {@value #MIGRATED_AT} now), sets {@value #RECOVERY_REASON} to why and
 * increments {@value #FAILED_ATTEMPTS}; the next attempt waits {@code backoff_base} doubled per failure, up to
 * {@code max_backoff}.
 *
 * <p>It calls AWS as the lab's responder principal and Kubernetes with a client of its own. Its faults are the
 * {@code fargateOrchestrator.*} ones of {@link FargateFaults}, read on every action.
 */
final class FargateOrchestrator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FargateOrchestrator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String STATE = "spot-orchestrator/state";
    static final String MIGRATED_AT = "spot-orchestrator/migrated-at";
    static final String REASON = "spot-orchestrator/reason";
    static final String LAST_RECOVERED = "spot-orchestrator.io/last-recovered-at";
    static final String RECOVERY_REASON = "spot-orchestrator.io/recovery-reason";
    static final String FAILED_ATTEMPTS = "spot-orchestrator.io/failed-recovery-attempts";
    private static final String WARNING = "EC2 Spot Instance Interruption Warning";
    private static final Set<String> SPOT_CAPACITY =
            Set.of("eks.amazonaws.com/capacityType=SPOT", "karpenter.sh/capacity-type=spot", "capacity-type=spot");

    private final FargateOrchestratorSpec spec;
    private final KubernetesClient client;
    private final WorldClock clock;
    private final SqsClient sqs;
    private final String queueUrl;
    private final Supplier<Map<String, String>> faults;
    private final ScheduledExecutorService worker;
    private final Thread receiver;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Set<String> seenEvents = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<CompletableFuture<?>> waits = new CopyOnWriteArrayList<>();
    /** Node → ReplicaSet → when a pod of it was last seen on the node (world time), from the pod informer. */
    private final Map<String, Map<String, Instant>> podsOnNode = new ConcurrentHashMap<>();

    private volatile SharedIndexInformer<Pod> pods;
    private volatile Instant migratedAtInMemory;
    private volatile boolean closed;

    FargateOrchestrator(
            FargateOrchestratorSpec spec,
            KubernetesClient client,
            WorldClock clock,
            SqsClient sqs,
            String queueUrl,
            Supplier<Map<String, String>> faults) {
        this.spec = spec;
        this.client = client;
        this.clock = clock;
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.faults = faults;
        ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "spotdrill-fargate-orchestrator");
            t.setDaemon(true);
            return t;
        });
        w.setRemoveOnCancelPolicy(true);
        w.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.worker = w;
        this.receiver = new Thread(this::receive, "spotdrill-fargate-orchestrator-queue");
        receiver.setDaemon(true);
    }

    void start() {
        pods = client.pods().inNamespace(spec.namespace()).inform(new ResourceEventHandler<Pod>() {
            @Override
            public void onAdd(Pod p) {
                seen(p);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod p) {
                seen(p);
            }

            @Override
            public void onDelete(Pod p, boolean deletedFinalStateUnknown) {
                seen(p);
            }
        });
        receiver.start();
        long period = Math.max(1, clock.toWall(spec.recovery().interval()).toNanos());
        worker.scheduleAtFixedRate(
                () -> guarded("recovery check", this::recoveryTick), period, period, TimeUnit.NANOSECONDS);
        note("started: manages " + spec.namespace() + "/" + spec.deployment() + ", reads " + queueUrl);
        // as the real one does at startup, it looks its Deployment up (which also opens its Kubernetes connection)
        submit(Duration.ZERO, "startup check", () -> {
            if (deployment() == null) {
                note("Deployment " + spec.namespace() + "/" + spec.deployment() + " not found (yet)");
            }
        });
    }

    /** What it did, oldest first, each line with its world time. */
    List<String> log() {
        return List.copyOf(log);
    }

    private FargateFaults.Active faults() {
        try {
            return FargateFaults.Active.of(faults.get());
        } catch (RuntimeException e) {
            return FargateFaults.Active.NONE;
        }
    }

    private void note(String line) {
        String entry = clock.now().truncatedTo(ChronoUnit.MILLIS) + " " + line;
        log.add(entry);
        LOG.info("lab fargate orchestrator: {}", line);
    }

    // ------------------------------------------------------------------ the queue

    private void receive() {
        long backoffMillis = 200;
        while (!closed) {
            if (faults().down()) {
                if (pause(clock.toWall(Duration.ofSeconds(5)).toMillis())) {
                    return;
                }
                continue;
            }
            List<Message> messages;
            try {
                messages = sqs.receiveMessage(
                                r -> r.queueUrl(queueUrl).waitTimeSeconds(20).maxNumberOfMessages(10))
                        .messages();
                backoffMillis = 200;
            } catch (AbortedException e) {
                return;
            } catch (SdkException e) {
                if (closed) {
                    return;
                }
                LOG.debug("fargate orchestrator queue {}: receive failed: {}", queueUrl, e.getMessage());
                if (pause(backoffMillis)) {
                    return;
                }
                backoffMillis = Math.min(5_000, backoffMillis * 2);
                continue;
            }
            List<DeleteMessageBatchRequestEntry> done = new ArrayList<>();
            for (Message m : messages) {
                if (closed) {
                    return;
                }
                onMessage(m.body());
                done.add(DeleteMessageBatchRequestEntry.builder()
                        .id(Integer.toString(done.size()))
                        .receiptHandle(m.receiptHandle())
                        .build());
            }
            if (!done.isEmpty() && !closed) {
                try {
                    sqs.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(done));
                } catch (SdkException e) {
                    LOG.debug("fargate orchestrator queue {}: delete failed: {}", queueUrl, e.getMessage());
                }
            }
        }
    }

    private void onMessage(String body) {
        JsonNode e;
        try {
            e = JSON.readTree(body);
        } catch (IOException x) {
            note("a message is not an event; deleted");
            return;
        }
        if (!WARNING.equals(e.path("detail-type").asText())) {
            return;
        }
        String id = e.path("id").asText("");
        if (!id.isEmpty() && !seenEvents.add(id)) {
            return; // EventBridge delivers at least once
        }
        String instanceId = e.path("detail").path("instance-id").asText("");
        FargateFaults.Active f = faults();
        if (f.ignoreWarnings()) {
            note("warning for " + instanceId + " received and ignored (fault " + FargateFaults.IGNORE_WARNINGS + ")");
            return;
        }
        note("warning for " + instanceId + " received"
                + (f.slow().isZero() ? "" : "; acting in " + f.slow() + " (fault " + FargateFaults.SLOW + ")"));
        submit(Duration.ZERO, "warning for " + instanceId, () -> onWarning(instanceId, f.slow()));
    }

    // ------------------------------------------------------------------ migration

    private void seen(Pod p) {
        String node = Kube.nodeName(p);
        if (node == null) {
            return;
        }
        Kube.controller(p).filter(r -> "ReplicaSet".equals(r.getKind())).ifPresent(rs -> podsOnNode
                .computeIfAbsent(node, k -> new ConcurrentHashMap<>())
                .put(rs.getName(), clock.now()));
    }

    /** Maps the instance to the Deployments whose pods are (or were, in the last two minutes) on its node. */
    private void onWarning(String instanceId, Duration delay) {
        if (faults().down()) {
            return;
        }
        Optional<Node> node = client.nodes().list().getItems().stream()
                .filter(n -> n.getSpec() != null
                        && n.getSpec().getProviderID() != null
                        && n.getSpec().getProviderID().endsWith("/" + instanceId))
                .findFirst();
        if (node.isEmpty()) {
            note("instance " + instanceId + " backs no node; nothing to move");
            return;
        }
        String nodeName = node.get().getMetadata().getName();
        Set<String> replicaSets = new java.util.TreeSet<>();
        for (Pod p : client.pods().inNamespace(spec.namespace()).list().getItems()) {
            if (nodeName.equals(Kube.nodeName(p))) {
                Kube.controller(p)
                        .filter(r -> "ReplicaSet".equals(r.getKind()))
                        .ifPresent(r -> replicaSets.add(r.getName()));
            }
        }
        Instant recent = clock.now().minus(Duration.ofMinutes(2));
        podsOnNode.getOrDefault(nodeName, Map.of()).forEach((rs, at) -> {
            if (!at.isBefore(recent)) {
                replicaSets.add(rs);
            }
        });
        Set<String> owners = new java.util.TreeSet<>();
        replicaSets.forEach(rs -> deploymentOf(rs).ifPresent(owners::add));
        if (!owners.contains(spec.deployment())) {
            note("node " + nodeName + " runs no pod of " + spec.namespace() + "/" + spec.deployment()
                    + (owners.isEmpty() ? "" : " (only of " + owners + ")") + "; nothing to move");
            return;
        }
        submit(delay, "migration off " + nodeName, () -> {
            Deployment d = deployment();
            if (d == null) {
                note("Deployment " + spec.namespace() + "/" + spec.deployment() + " not found");
            } else if (spec.fargateLabel().equals(computeType(d))) {
                note(spec.deployment() + " is already on Fargate");
            } else {
                migrate(nodeName);
            }
        });
    }

    private Optional<String> deploymentOf(String replicaSet) {
        ReplicaSet r = client.apps()
                .replicaSets()
                .inNamespace(spec.namespace())
                .withName(replicaSet)
                .get();
        if (r == null || r.getMetadata().getOwnerReferences() == null) {
            return Optional.empty();
        }
        return r.getMetadata().getOwnerReferences().stream()
                .filter(o -> "Deployment".equals(o.getKind()))
                .map(OwnerReference::getName)
                .findFirst();
    }

    private void migrate(String nodeName) {
        FargateFaults.Active f = faults();
        String value = f.wrongSelector().orElse(spec.fargateLabel());
        Instant now = clock.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> set = new LinkedHashMap<>();
        if (!f.noAnnotations()) {
            set.put(STATE, spec.fargateLabel());
            set.put(MIGRATED_AT, now.toString());
            set.put(REASON, "spot-interruption");
        }
        migratedAtInMemory = now;
        patch(value, set, List.of());
        note("migrated " + spec.deployment() + " off node " + nodeName + ": " + spec.computeLabelKey() + "=" + value
                + (f.noAnnotations() ? " without annotations (fault " + FargateFaults.NO_ANNOTATIONS + ")" : "")
                + (f.wrongSelector().isPresent() ? " (fault " + FargateFaults.WRONG_SELECTOR + ")" : ""));
        busy.set(true);
        rollout(spec.rolloutTimeout(), complete -> {
            if (!complete) {
                note("migration rollout of " + spec.deployment() + " did not complete within " + spec.rolloutTimeout());
                busy.set(false);
                return;
            }
            submit(spec.verificationDelay(), "migration health check", () -> {
                busy.set(false);
                note("migration of " + spec.deployment() + " complete; health check "
                        + (healthy() ? "passed" : "failed: not every pod is Ready"));
            });
        });
    }

    // ------------------------------------------------------------------ recovery

    private void recoveryTick() {
        FargateFaults.Active f = faults();
        if (!spec.recovery().enabled() || f.down() || f.noRecovery() || busy.get()) {
            return;
        }
        Deployment d = deployment();
        if (d == null || !spec.fargateLabel().equals(computeType(d))) {
            return;
        }
        Map<String, String> ann = annotations(d);
        Instant now = clock.now();
        Instant migratedAt = time(ann.get(MIGRATED_AT)).orElse(migratedAtInMemory);
        if (migratedAt != null && now.isBefore(migratedAt.plus(spec.recovery().cooldown()))) {
            return;
        }
        int failed = attempts(ann.get(FAILED_ATTEMPTS));
        Optional<Instant> last = time(ann.get(LAST_RECOVERED));
        if (failed > 0
                && last.isPresent()
                && now.isBefore(last.get().plus(spec.recovery().backoff(failed)))) {
            return;
        }
        if (!spotNodeReady()) {
            return;
        }
        Instant at = now.truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> set = new LinkedHashMap<>();
        set.put(STATE, spec.spotLabel());
        set.put(LAST_RECOVERED, at.toString());
        patch(spec.spotLabel(), set, List.of());
        note("recovery attempt " + (failed + 1) + ": " + spec.deployment() + " back to " + spec.computeLabelKey() + "="
                + spec.spotLabel());
        busy.set(true);
        rollout(spec.recovery().timeout(), complete -> {
            if (!complete) {
                rollback(
                        failed,
                        "rollout to spot did not complete within "
                                + spec.recovery().timeout());
                return;
            }
            submit(spec.verificationDelay(), "recovery health check", () -> {
                if (faults().recoveryFails()) {
                    rollback(failed, "health check failed (fault " + FargateFaults.RECOVERY_FAILS + ")");
                } else if (!healthy()) {
                    rollback(failed, "health check failed: not every pod is Ready");
                } else {
                    Map<String, String> ok = new LinkedHashMap<>();
                    ok.put(
                            LAST_RECOVERED,
                            clock.now().truncatedTo(ChronoUnit.SECONDS).toString());
                    ok.put(RECOVERY_REASON, "successful-recovery");
                    patch(null, ok, List.of(FAILED_ATTEMPTS, MIGRATED_AT));
                    migratedAtInMemory = null;
                    busy.set(false);
                    note("recovered " + spec.deployment() + " to Spot");
                }
            });
        });
    }

    private void rollback(int failedBefore, String why) {
        Instant now = clock.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> set = new LinkedHashMap<>();
        set.put(STATE, spec.fargateLabel());
        set.put(REASON, "rollback");
        set.put(MIGRATED_AT, now.toString());
        set.put(LAST_RECOVERED, now.toString());
        set.put(RECOVERY_REASON, why);
        set.put(FAILED_ATTEMPTS, Integer.toString(failedBefore + 1));
        migratedAtInMemory = now;
        patch(spec.fargateLabel(), set, List.of());
        note("recovery attempt " + (failedBefore + 1) + " failed (" + why + "); rolled back to Fargate, next attempt"
                + " after " + spec.recovery().backoff(failedBefore + 1));
        rollout(spec.rolloutTimeout(), complete -> busy.set(false));
    }

    private boolean spotNodeReady() {
        for (Node n : client.nodes().list().getItems()) {
            Map<String, String> labels = LabController.labelsOf(n.getMetadata());
            boolean spot =
                    labels.entrySet().stream().anyMatch(e -> SPOT_CAPACITY.contains(e.getKey() + "=" + e.getValue()));
            if (spot
                    && !LabFargate.isFargateNode(n)
                    && Kube.isNodeReady(n)
                    && !Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ Kubernetes

    private Deployment deployment() {
        return client.apps()
                .deployments()
                .inNamespace(spec.namespace())
                .withName(spec.deployment())
                .get();
    }

    private String computeType(Deployment d) {
        Map<String, String> labels =
                LabController.labelsOf(d.getSpec().getTemplate().getMetadata());
        return labels.getOrDefault(spec.computeLabelKey(), spec.spotLabel());
    }

    private static Map<String, String> annotations(Deployment d) {
        return d.getMetadata().getAnnotations() == null
                ? Map.of()
                : d.getMetadata().getAnnotations();
    }

    /**
     * One update of the Deployment: the template's compute label and nodeSelector (unless {@code value} is null),
     * annotations set and removed. A conflict (the Deployment changed between the read and the write: the
     * Deployment controller writes its status all the time) is retried on the new version, as client-go's
     * RetryOnConflict does; the reference orchestrator's patches carry no resourceVersion and never conflict.
     */
    private void patch(String value, Map<String, String> set, List<String> remove) {
        for (int attempt = 1; ; attempt++) {
            try {
                patchOnce(value, set, remove);
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 5) {
                    throw e;
                }
                LOG.debug("Deployment {} changed meanwhile; patching again ({})", spec.deployment(), attempt);
            }
        }
    }

    private void patchOnce(String value, Map<String, String> set, List<String> remove) {
        client.apps()
                .deployments()
                .inNamespace(spec.namespace())
                .withName(spec.deployment())
                .edit(d -> {
                    if (value != null) {
                        var t = d.getSpec().getTemplate();
                        Map<String, String> labels = new LinkedHashMap<>(LabController.labelsOf(t.getMetadata()));
                        labels.put(spec.computeLabelKey(), value);
                        t.getMetadata().setLabels(labels);
                        Map<String, String> selector = new LinkedHashMap<>(
                                t.getSpec().getNodeSelector() == null
                                        ? Map.of()
                                        : t.getSpec().getNodeSelector());
                        selector.put(spec.computeLabelKey(), value);
                        t.getSpec().setNodeSelector(selector);
                    }
                    Map<String, String> ann = new LinkedHashMap<>(annotations(d));
                    ann.putAll(set);
                    remove.forEach(ann::remove);
                    d.getMetadata().setAnnotations(ann);
                    return d;
                });
    }

    /** Calls back with true once the rollout completes (as kubectl rollout status judges it), false at the timeout. */
    private void rollout(Duration worldTimeout, Consumer<Boolean> then) {
        CompletableFuture<List<Deployment>> watch = client.apps()
                .deployments()
                .inNamespace(spec.namespace())
                .withName(spec.deployment())
                .informOnCondition(l -> !l.isEmpty() && rolledOut(l.get(0)));
        waits.add(watch);
        watch.thenApply(l -> true)
                .completeOnTimeout(false, clock.toWall(worldTimeout).toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(e -> false)
                .thenAccept(ok -> {
                    watch.cancel(true);
                    waits.remove(watch);
                    if (!closed) {
                        submit(Duration.ZERO, "rollout wait", () -> then.accept(ok));
                    }
                });
    }

    static boolean rolledOut(Deployment d) {
        var s = d.getStatus();
        if (s == null) {
            return false;
        }
        long generation =
                d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        int updated = s.getUpdatedReplicas() == null ? 0 : s.getUpdatedReplicas();
        int replicas = s.getReplicas() == null ? 0 : s.getReplicas();
        int available = s.getAvailableReplicas() == null ? 0 : s.getAvailableReplicas();
        return s.getObservedGeneration() != null
                && s.getObservedGeneration() >= generation
                && updated >= desired
                && replicas == updated
                && available >= updated;
    }

    /** The health check: as many Ready pods as the Deployment wants. */
    private boolean healthy() {
        Deployment d = deployment();
        if (d == null) {
            return false;
        }
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        long ready = client
                .pods()
                .inNamespace(spec.namespace())
                .withLabels(d.getSpec().getSelector().getMatchLabels())
                .list()
                .getItems()
                .stream()
                .filter(Kube::isPodReady)
                .count();
        return ready >= desired;
    }

    private static Optional<Instant> time(String v) {
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(v));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static int attempts(String v) {
        if (v == null) {
            return 0;
        }
        try {
            return Integer.parseInt(v.endsWith("m") ? v.substring(0, v.length() - 1) : v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ------------------------------------------------------------------ plumbing

    private void submit(Duration worldDelay, String what, Runnable task) {
        if (closed) {
            return;
        }
        try {
            worker.schedule(() -> guarded(what, task), clock.toWall(worldDelay).toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void guarded(String what, Runnable task) {
        if (closed) {
            return;
        }
        try {
            task.run();
        } catch (KubernetesClientException e) {
            busy.set(false);
            if (!closed) {
                note(what + " failed: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            busy.set(false);
            if (!closed) {
                LOG.warn("lab fargate orchestrator: {} failed", what, e);
            }
        }
    }

    private boolean pause(long millis) {
        try {
            return stop.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Stops reading the queue and acting; the client it was given is closed by its owner. */
    @Override
    public void close() {
        closed = true;
        stop.countDown();
        receiver.interrupt();
        waits.forEach(w -> w.cancel(true));
        if (pods != null) {
            pods.close();
        }
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "FargateOrchestrator[" + spec.namespace() + "/" + spec.deployment() + ", " + queueUrl + "]";
    }

    /** For tests: the attempts value as the orchestrator reads it ("2" or, as the original writes it, "2m"). */
    static int attemptsOf(String v) {
        return attempts(v);
    }
}
