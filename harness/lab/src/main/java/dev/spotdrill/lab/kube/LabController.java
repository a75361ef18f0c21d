package dev.spotdrill.lab.kube;

import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controllers the mock API server lacks: Deployments (through ReplicaSets named {@code <deploy>-<hash>}),
 * DaemonSets, a scheduler, kubelet readiness, the NoExecute taint manager and node lifecycle. It is event
 * driven: informers on pods, nodes, Deployments and DaemonSets request a reconcile, and reconciles run one at a
 * time on a single controller thread. A reconcile reads the server (not the informer caches), so it always sees
 * its own writes.
 */
final class LabController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LabController.class);
    static final String APP_LABEL = "app";
    static final String HASH_LABEL = "pod-template-hash";
    private static final String UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";
    private static final String UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable";
    private static final String POD_CHARS = "bcdfghjklmnpqrstvwxz2456789";

    private final KubernetesClient client;
    private final WorldClock clock;
    private final ScheduledExecutorService executor;
    private final Duration nodeDeletionDelay;
    private final EventRecorder events;
    private final BooleanSupplier keepDeadNodes;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<String> readinessArmed = ConcurrentHashMap.newKeySet();
    private final Set<String> terminatedNodes = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ipCounter = new AtomicInteger();
    private final LabFargate fargate;
    private final Set<String> schedulingReported = ConcurrentHashMap.newKeySet();

    /**
     * @param events where the controller's Kubernetes events go
     * @param keepDeadNodes read when a dead node is due for deletion: true keeps its object (its pods still go)
     */
    LabController(
            KubernetesClient client,
            WorldClock clock,
            ScheduledExecutorService executor,
            Duration nodeDeletionDelay,
            EventRecorder events,
            BooleanSupplier keepDeadNodes,
            LabFargate fargate) {
        this.client = client;
        this.events = events;
        this.clock = clock;
        this.executor = executor;
        this.nodeDeletionDelay = nodeDeletionDelay;
        this.keepDeadNodes = keepDeadNodes;
        this.fargate = fargate;
        fargate.attach(this);
    }

    void start() {
        ResourceEventHandler<Object> trigger = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object obj) {
                requestReconcile();
            }

            @Override
            public void onUpdate(Object oldObj, Object newObj) {
                requestReconcile();
            }

            @Override
            public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                requestReconcile();
            }
        };
        informers.add(client.pods().inAnyNamespace().inform(cast(trigger), 0));
        informers.add(client.nodes().inform(cast(trigger), 0));
        informers.add(client.apps().deployments().inAnyNamespace().inform(cast(trigger), 0));
        informers.add(client.apps().daemonSets().inAnyNamespace().inform(cast(trigger), 0));
        requestReconcile();
    }

    @SuppressWarnings("unchecked")
    private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> h) {
        return (ResourceEventHandler<T>) (ResourceEventHandler<?>) h;
    }

    void requestReconcile() {
        if (closed.get() || !pending.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                pending.set(false);
                if (closed.get()) {
                    return;
                }
                try {
                    reconcile();
                } catch (RuntimeException e) {
                    if (!closed.get()) {
                        LOG.warn("lab controller reconcile failed, retrying: {}", e.toString());
                        schedule(Duration.ofMillis(200), this::requestReconcile);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pending.set(false);
        }
    }

    void schedule(Duration wallDelay, Runnable task) {
        if (closed.get()) {
            return;
        }
        try {
            executor.schedule(
                    () -> {
                        if (closed.get()) {
                            return;
                        }
                        try {
                            task.run();
                        } catch (RuntimeException e) {
                            if (!closed.get()) {
                                LOG.warn("lab controller task failed: {}", e.toString());
                            }
                        }
                    },
                    wallDelay.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    // ---------------------------------------------------------------- reconcile

    private void reconcile() {
        List<Pod> pods = new ArrayList<>(client.pods().inAnyNamespace().list().getItems());
        List<Deployment> deployments =
                client.apps().deployments().inAnyNamespace().list().getItems();
        List<DaemonSet> daemonSets =
                client.apps().daemonSets().inAnyNamespace().list().getItems();
        // Nodes last: a pod list that shows an eviction then comes with a node list that shows the cordon made
        // before it (NTH's order), so a replacement never lands on the node being drained.
        List<Node> nodes = client.nodes().list().getItems();
        Map<String, Node> nodeByName =
                nodes.stream().collect(Collectors.toMap(n -> n.getMetadata().getName(), n -> n));

        // The taint manager: NoExecute taints evict pods that do not tolerate them.
        for (Pod pod : List.copyOf(pods)) {
            Node node = nodeByName.get(Kube.nodeName(pod));
            if (node != null && !toleratesAll(pod, node, Set.of("NoExecute"))) {
                events.taintEviction(pod);
                deletePod(pod, "taint manager: NoExecute taint not tolerated");
                pods.remove(pod);
            }
        }
        for (Deployment d : deployments) {
            reconcileDeployment(d, pods);
        }
        for (DaemonSet ds : daemonSets) {
            reconcileDaemonSet(ds, nodes, pods);
        }
        schedulePending(nodes, pods);
        fargate.reconcile(pods, nodes);
        for (Pod pod : pods) {
            armReadiness(pod, nodeByName);
        }
        for (Deployment d : deployments) {
            updateDeploymentStatus(d, pods);
        }
        for (DaemonSet ds : daemonSets) {
            updateDaemonSetStatus(ds, nodes, pods);
        }
    }

    private void reconcileDeployment(Deployment d, List<Pod> pods) {
        String ns = d.getMetadata().getNamespace();
        String hash = templateHash(d.getSpec().getTemplate());
        String rsName = d.getMetadata().getName() + "-" + hash;
        ReplicaSet rs =
                client.apps().replicaSets().inNamespace(ns).withName(rsName).get();
        int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        if (rs == null) {
            rs = client.apps()
                    .replicaSets()
                    .inNamespace(ns)
                    .resource(newReplicaSet(d, rsName, hash, replicas))
                    .create();
        } else if (!Objects.equals(rs.getSpec().getReplicas(), replicas)) {
            rs = client.apps().replicaSets().inNamespace(ns).withName(rsName).edit(r -> {
                r.getSpec().setReplicas(replicas);
                return r;
            });
        }
        String rsUid = rs.getMetadata().getUid();
        List<Pod> current = ownedBy(pods, rsUid);
        List<Pod> old = pods.stream()
                .filter(p -> ns.equals(p.getMetadata().getNamespace()))
                .filter(p -> Kube.ownedBy(p, "ReplicaSet"))
                .filter(p -> !rsUid.equals(Kube.controller(p).get().getUid()))
                .filter(p -> Kube.controller(p)
                        .get()
                        .getName()
                        .startsWith(d.getMetadata().getName() + "-"))
                .filter(p -> Objects.equals(
                        p.getMetadata().getLabels() == null
                                ? null
                                : p.getMetadata().getLabels().get(APP_LABEL),
                        d.getMetadata().getName()))
                .collect(Collectors.toList());
        // Scale the current ReplicaSet up or down.
        for (int i = current.size(); i < replicas; i++) {
            Pod created = createPod(d, rs, hash);
            pods.add(created);
        }
        if (current.size() > replicas) {
            current.stream()
                    .sorted(Comparator.comparing((Pod p) -> Kube.nodeName(p) != null)
                            .thenComparing(Kube::isPodReady))
                    .limit(current.size() - replicas)
                    .forEach(p -> {
                        deletePod(p, "scale down");
                        pods.remove(p);
                    });
        }
        // Roll out: old pods go as new ones turn Ready (max surge 100%, max unavailable 0).
        long newReady = ownedBy(pods, rsUid).stream().filter(Kube::isPodReady).count();
        long keep = Math.max(0, replicas - newReady);
        List<Pod> oldSorted =
                old.stream().sorted(Comparator.comparing(Kube::isPodReady)).toList();
        for (int i = 0; i < oldSorted.size() - keep; i++) {
            deletePod(oldSorted.get(i), "rollout");
            pods.remove(oldSorted.get(i));
        }
        updateReplicaSetStatus(rs, ownedBy(pods, rsUid));
    }

    /** The ReplicaSet controller's status, so that {@code kubectl get rs} shows current and ready counts. */
    private void updateReplicaSetStatus(ReplicaSet rs, List<Pod> own) {
        int count = own.size();
        int ready = (int) own.stream().filter(Kube::isPodReady).count();
        io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus s = rs.getStatus();
        if (s != null
                && Objects.equals(s.getReplicas(), count)
                && Objects.equals(s.getReadyReplicas(), ready)
                && Objects.equals(s.getObservedGeneration(), rs.getMetadata().getGeneration())) {
            return;
        }
        try {
            client.apps()
                    .replicaSets()
                    .inNamespace(rs.getMetadata().getNamespace())
                    .withName(rs.getMetadata().getName())
                    .editStatus(x -> {
                        x.setStatus(new io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder()
                                .withReplicas(count)
                                .withFullyLabeledReplicas(count)
                                .withReadyReplicas(ready)
                                .withAvailableReplicas(ready)
                                .withObservedGeneration(rs.getMetadata().getGeneration())
                                .build());
                        return x;
                    });
        } catch (KubernetesClientException e) {
            LOG.debug("replicaset status not updated: {}", e.getMessage());
        }
    }

    private ReplicaSet newReplicaSet(Deployment d, String rsName, String hash, int replicas) {
        Map<String, String> labels =
                new LinkedHashMap<>(labelsOf(d.getSpec().getTemplate().getMetadata()));
        labels.put(HASH_LABEL, hash);
        PodTemplateSpec template =
                new PodTemplateSpec(new ObjectMeta(), d.getSpec().getTemplate().getSpec());
        template.getMetadata().setLabels(labels);
        template.getMetadata()
                .setAnnotations(
                        d.getSpec().getTemplate().getMetadata() == null
                                ? null
                                : d.getSpec().getTemplate().getMetadata().getAnnotations());
        return new ReplicaSetBuilder()
                .withNewMetadata()
                .withName(rsName)
                .withNamespace(d.getMetadata().getNamespace())
                .withUid(UUID.randomUUID().toString())
                .withLabels(labels)
                .withOwnerReferences(owner(d.getApiVersion(), "Deployment", d.getMetadata()))
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withTemplate(template)
                .endSpec()
                .build();
    }

    private Pod createPod(Deployment d, ReplicaSet rs, String hash) {
        PodTemplateSpec t = rs.getSpec().getTemplate();
        Map<String, String> labels = new LinkedHashMap<>(labelsOf(t.getMetadata()));
        labels.put(HASH_LABEL, hash);
        Map<String, String> annotations = new LinkedHashMap<>();
        if (t.getMetadata() != null && t.getMetadata().getAnnotations() != null) {
            annotations.putAll(t.getMetadata().getAnnotations());
        }
        if (d.getMetadata().getAnnotations() != null
                && d.getMetadata().getAnnotations().containsKey(Kube.READINESS_DELAY_ANNOTATION)) {
            annotations.putIfAbsent(
                    Kube.READINESS_DELAY_ANNOTATION,
                    d.getMetadata().getAnnotations().get(Kube.READINESS_DELAY_ANNOTATION));
        }
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(rs.getMetadata().getName() + "-" + randomSuffix())
                .withNamespace(rs.getMetadata().getNamespace())
                .withUid(UUID.randomUUID().toString())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(owner("apps/v1", "ReplicaSet", rs.getMetadata()))
                .endMetadata()
                .withSpec(t.getSpec())
                .withNewStatus()
                .withPhase("Pending")
                .withConditions(condition("PodScheduled", "False", "Unschedulable"))
                .endStatus()
                .build();
        ensureContainer(pod, d.getMetadata().getName());
        fargate.admit(pod);
        return client.pods()
                .inNamespace(rs.getMetadata().getNamespace())
                .resource(pod)
                .create();
    }

    private void reconcileDaemonSet(DaemonSet ds, List<Node> nodes, List<Pod> pods) {
        String uid = ds.getMetadata().getUid();
        List<Pod> own = ownedBy(pods, uid);
        Set<String> covered = own.stream().map(Kube::nodeName).collect(Collectors.toSet());
        for (Node node : nodes) {
            String nodeName = node.getMetadata().getName();
            // EKS's own DaemonSets keep off Fargate nodes (node affinity compute-type NotIn fargate)
            if (covered.contains(nodeName)
                    || LabFargate.isFargateNode(node)
                    || !Kube.selectorMatches(
                            nodeSelectorOf(ds.getSpec().getTemplate()), labelsOf(node.getMetadata()))) {
                continue;
            }
            PodTemplateSpec t = ds.getSpec().getTemplate();
            Pod pod = new PodBuilder()
                    .withNewMetadata()
                    .withName(ds.getMetadata().getName() + "-" + randomSuffix())
                    .withNamespace(ds.getMetadata().getNamespace())
                    .withUid(UUID.randomUUID().toString())
                    .withLabels(labelsOf(t.getMetadata()))
                    .withAnnotations(
                            t.getMetadata() == null ? null : t.getMetadata().getAnnotations())
                    .withOwnerReferences(owner("apps/v1", "DaemonSet", ds.getMetadata()))
                    .endMetadata()
                    .withSpec(t.getSpec())
                    .build();
            ensureContainer(pod, ds.getMetadata().getName());
            pod.getSpec().setNodeName(nodeName);
            List<Toleration> tolerations = new ArrayList<>(
                    pod.getSpec().getTolerations() == null
                            ? List.of()
                            : pod.getSpec().getTolerations());
            tolerations.add(new TolerationBuilder().withOperator("Exists").build());
            pod.getSpec().setTolerations(tolerations);
            pod.setStatus(runningStatus(node));
            pods.add(client.pods()
                    .inNamespace(ds.getMetadata().getNamespace())
                    .resource(pod)
                    .create());
        }
    }

    private void schedulePending(List<Node> nodes, List<Pod> pods) {
        Map<String, Integer> load = new HashMap<>();
        Map<String, Integer> ownerLoad = new HashMap<>();
        for (Pod p : pods) {
            String n = Kube.nodeName(p);
            if (n != null) {
                load.merge(n, 1, Integer::sum);
                ownerLoad.merge(n + "|" + ownerKey(p), 1, Integer::sum);
            }
        }
        for (int i = 0; i < pods.size(); i++) {
            Pod pod = pods.get(i);
            if (Kube.nodeName(pod) != null
                    || pod.getMetadata().getDeletionTimestamp() != null
                    || LabFargate.isFargatePod(pod)) {
                continue;
            }
            String key = ownerKey(pod);
            Node best = nodes.stream()
                    .filter(n -> fits(pod, n))
                    .min(Comparator.comparingInt((Node n) ->
                                    ownerLoad.getOrDefault(n.getMetadata().getName() + "|" + key, 0))
                            .thenComparingInt(
                                    n -> load.getOrDefault(n.getMetadata().getName(), 0))
                            .thenComparing(n -> n.getMetadata().getName()))
                    .orElse(null);
            if (best == null) {
                // stays Pending until a node fits (node events trigger a new reconcile)
                failedScheduling(pod, EventRecorder.SCHEDULER, EventRecorder.unschedulableMessage(pod, nodes));
                continue;
            }
            String nodeName = best.getMetadata().getName();
            Pod bound = bind(pod, best);
            if (bound != null) {
                events.scheduled(bound, nodeName);
                pods.set(i, bound);
                load.merge(nodeName, 1, Integer::sum);
                ownerLoad.merge(nodeName + "|" + key, 1, Integer::sum);
            }
        }
    }

    /** Whether the scheduler may put the pod on the node (nodeSelector, taints, cordon, readiness). */
    static boolean fits(Pod pod, Node node) {
        return misfit(pod, node).isEmpty();
    }

    /** Why the scheduler may not put the pod on the node, in kube-scheduler's words; empty when it may. */
    static java.util.Optional<String> misfit(Pod pod, Node node) {
        if (!Kube.isNodeReady(node) || node.getMetadata().getDeletionTimestamp() != null) {
            return java.util.Optional.of("had untolerated taint {node.kubernetes.io/not-ready: }");
        }
        if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
            Taint cordon = new TaintBuilder()
                    .withKey(UNSCHEDULABLE_TAINT)
                    .withEffect("NoSchedule")
                    .build();
            if (!Kube.tolerates(pod.getSpec().getTolerations(), cordon)) {
                return java.util.Optional.of("were unschedulable");
            }
        }
        if (!Kube.selectorMatches(pod.getSpec().getNodeSelector(), labelsOf(node.getMetadata()))) {
            return java.util.Optional.of("didn't match Pod's node affinity/selector");
        }
        List<Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        if (taints != null) {
            for (Taint t : taints) {
                if (Set.of("NoSchedule", "NoExecute").contains(t.getEffect())
                        && !Kube.tolerates(pod.getSpec().getTolerations(), t)) {
                    return java.util.Optional.of("had untolerated taint {" + t.getKey() + ": "
                            + (t.getValue() == null ? "" : t.getValue()) + "}");
                }
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A scheduler could not place the pod: its PodScheduled condition says why (reason Unschedulable) and a
     * Warning event FailedScheduling is recorded, once per pod and message, as kube-scheduler and EKS's
     * fargate-scheduler do.
     */
    void failedScheduling(Pod pod, String scheduler, String message) {
        String uid = pod.getMetadata().getUid();
        if (uid == null || !schedulingReported.add(uid + "|" + message)) {
            return;
        }
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        String now = clock.now().toString();
        try {
            client.pods().inNamespace(ns).withName(name).edit(p -> {
                if (p.getStatus() == null) {
                    p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
                }
                List<PodCondition> conditions = new ArrayList<>(
                        p.getStatus().getConditions() == null
                                ? List.of()
                                : p.getStatus().getConditions());
                conditions.removeIf(c -> "PodScheduled".equals(c.getType()));
                conditions.add(new PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("False")
                        .withReason("Unschedulable")
                        .withMessage(message)
                        .withLastTransitionTime(now)
                        .build());
                p.getStatus().setConditions(conditions);
                p.getStatus().setPhase("Pending");
                return p;
            });
            events.pod(pod, "Warning", "FailedScheduling", message, scheduler);
        } catch (KubernetesClientException e) {
            LOG.debug("pod {}/{}: FailedScheduling not recorded: {}", ns, name, e.getMessage());
        }
    }

    private static boolean toleratesAll(Pod pod, Node node, Set<String> effects) {
        List<Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        if (taints == null) {
            return true;
        }
        for (Taint t : taints) {
            if (effects.contains(t.getEffect()) && !Kube.tolerates(pod.getSpec().getTolerations(), t)) {
                return false;
            }
        }
        return true;
    }

    /** Binds the pod to the node (the node's kubelet starts it: Running, not Ready yet); null when that failed. */
    Pod bind(Pod pod, Node node) {
        try {
            return client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .edit(p -> {
                        p.getSpec().setNodeName(node.getMetadata().getName());
                        p.setStatus(runningStatus(node));
                        return p;
                    });
        } catch (KubernetesClientException e) {
            LOG.debug("could not bind {}: {}", pod.getMetadata().getName(), e.getMessage());
            return null;
        }
    }

    private io.fabric8.kubernetes.api.model.PodStatus runningStatus(Node node) {
        String hostIp = internalIp(node);
        return new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Running")
                .withHostIP(hostIp)
                .withPodIP("10.1." + (ipCounter.incrementAndGet() / 250 % 250) + "." + (ipCounter.get() % 250 + 1))
                .withStartTime(clock.now().toString())
                .withConditions(
                        condition("PodScheduled", "True", null),
                        condition("Initialized", "True", null),
                        condition("ContainersReady", "False", "ContainersNotReady"),
                        condition("Ready", "False", "ContainersNotReady"))
                .build();
    }

    private PodCondition condition(String type, String status, String reason) {
        return new PodConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withLastTransitionTime(clock.now().toString())
                .build();
    }

    /** Kubelet: a bound, Running pod on a Ready node turns Ready after its readiness delay (world time). */
    private void armReadiness(Pod pod, Map<String, Node> nodes) {
        String uid = pod.getMetadata().getUid();
        Node node = nodes.get(Kube.nodeName(pod));
        if (uid == null
                || node == null
                || !Kube.isNodeReady(node)
                || Kube.isPodReady(pod)
                || pod.getStatus() == null
                || !"Running".equals(pod.getStatus().getPhase())
                || !readinessArmed.add(uid)) {
            return;
        }
        Instant readyAt = scheduledAt(pod).plus(readinessDelay(pod));
        schedule(clock.wallUntil(readyAt), () -> markReady(pod));
    }

    private Instant scheduledAt(Pod pod) {
        return Kube.condition(pod, "PodScheduled")
                .map(PodCondition::getLastTransitionTime)
                .map(t -> {
                    try {
                        return Instant.parse(t);
                    } catch (DateTimeParseException e) {
                        return clock.now();
                    }
                })
                .orElse(clock.now());
    }

    static Duration readinessDelay(Pod pod) {
        Map<String, String> a = pod.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(Kube.READINESS_DELAY_ANNOTATION);
        if (v != null) {
            try {
                return Duration.parse(v);
            } catch (DateTimeParseException e) {
                LOG.warn(
                        "pod {}: annotation {}={} is not an ISO-8601 duration; using {}",
                        pod.getMetadata().getName(),
                        Kube.READINESS_DELAY_ANNOTATION,
                        v,
                        WorkloadSpec.DEFAULT_READINESS_DELAY);
            }
        }
        return WorkloadSpec.DEFAULT_READINESS_DELAY;
    }

    private void markReady(Pod armed) {
        String ns = armed.getMetadata().getNamespace();
        String name = armed.getMetadata().getName();
        try {
            Pod now = client.pods().inNamespace(ns).withName(name).get();
            if (now == null
                    || !Objects.equals(
                            now.getMetadata().getUid(), armed.getMetadata().getUid())) {
                return;
            }
            Node node = client.nodes().withName(Kube.nodeName(now)).get();
            if (node == null || !Kube.isNodeReady(node)) {
                readinessArmed.remove(armed.getMetadata().getUid());
                return;
            }
            client.pods().inNamespace(ns).withName(name).edit(p -> {
                p.getStatus()
                        .getConditions()
                        .removeIf(
                                c -> c.getType().equals("Ready") || c.getType().equals("ContainersReady"));
                p.getStatus().getConditions().add(condition("ContainersReady", "True", null));
                p.getStatus().getConditions().add(condition("Ready", "True", null));
                return p;
            });
        } catch (KubernetesClientException e) {
            // gone, or a transient failure: forget the timer so that the next reconcile arms it again if needed
            LOG.debug("pod {}/{} not marked Ready: {}", ns, name, e.getMessage());
            readinessArmed.remove(armed.getMetadata().getUid());
            requestReconcile();
        }
    }

    private void updateDeploymentStatus(Deployment d, List<Pod> pods) {
        String ns = d.getMetadata().getNamespace();
        String name = d.getMetadata().getName();
        String hash = templateHash(d.getSpec().getTemplate());
        List<Pod> all = pods.stream()
                .filter(p -> ns.equals(p.getMetadata().getNamespace()))
                .filter(p -> Kube.controller(p)
                        .map(r ->
                                "ReplicaSet".equals(r.getKind()) && r.getName().startsWith(name + "-"))
                        .orElse(false))
                .filter(p -> name.equals(labelsOf(p.getMetadata()).get(APP_LABEL)))
                .toList();
        int replicas = all.size();
        int updated = (int) all.stream()
                .filter(p -> hash.equals(labelsOf(p.getMetadata()).get(HASH_LABEL)))
                .count();
        int ready = (int) all.stream().filter(Kube::isPodReady).count();
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        io.fabric8.kubernetes.api.model.apps.DeploymentStatus s = d.getStatus();
        Long generation = d.getMetadata().getGeneration();
        if (s != null
                && Objects.equals(s.getReplicas(), replicas)
                && Objects.equals(s.getUpdatedReplicas(), updated)
                && Objects.equals(s.getReadyReplicas(), ready)
                && Objects.equals(s.getAvailableReplicas(), ready)
                && Objects.equals(s.getUnavailableReplicas(), Math.max(0, desired - ready))
                && Objects.equals(s.getObservedGeneration(), generation)) {
            return;
        }
        try {
            client.apps().deployments().inNamespace(ns).withName(name).editStatus(x -> {
                io.fabric8.kubernetes.api.model.apps.DeploymentStatus st =
                        new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                                .withReplicas(replicas)
                                .withUpdatedReplicas(updated)
                                .withReadyReplicas(ready)
                                .withAvailableReplicas(ready)
                                .withUnavailableReplicas(Math.max(0, desired - ready))
                                .withObservedGeneration(generation)
                                .addNewCondition()
                                .withType("Available")
                                .withStatus(ready >= desired ? "True" : "False")
                                .withReason(
                                        ready >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable")
                                .endCondition()
                                .build();
                x.setStatus(st);
                return x;
            });
        } catch (KubernetesClientException e) {
            LOG.debug("deployment {}/{} status not updated: {}", ns, name, e.getMessage());
        }
    }

    private void updateDaemonSetStatus(DaemonSet ds, List<Node> nodes, List<Pod> pods) {
        List<Pod> own = ownedBy(pods, ds.getMetadata().getUid());
        int scheduled = own.size();
        int ready = (int) own.stream().filter(Kube::isPodReady).count();
        int desired =
                (int) nodes.stream().filter(n -> !LabFargate.isFargateNode(n)).count();
        io.fabric8.kubernetes.api.model.apps.DaemonSetStatus s = ds.getStatus();
        if (s != null
                && Objects.equals(s.getCurrentNumberScheduled(), scheduled)
                && Objects.equals(s.getNumberReady(), ready)
                && Objects.equals(s.getDesiredNumberScheduled(), desired)) {
            return;
        }
        try {
            client.apps()
                    .daemonSets()
                    .inNamespace(ds.getMetadata().getNamespace())
                    .withName(ds.getMetadata().getName())
                    .editStatus(x -> {
                        x.setStatus(new io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder()
                                .withCurrentNumberScheduled(scheduled)
                                .withDesiredNumberScheduled(desired)
                                .withNumberReady(ready)
                                .withNumberAvailable(ready)
                                .withUpdatedNumberScheduled(scheduled)
                                .withNumberMisscheduled(0)
                                .build());
                        return x;
                    });
        } catch (KubernetesClientException e) {
            LOG.debug("daemonset status not updated: {}", e.getMessage());
        }
    }

    // ---------------------------------------------------------------- node lifecycle

    /** The instance behind the node is gone: NotReady at once, pods not Ready, node and pods deleted later. */
    void nodeLost(String nodeName) {
        if (!terminatedNodes.add(nodeName) || closed.get()) {
            return;
        }
        schedule(Duration.ZERO, () -> {
            events.nodeNotReady(nodeName);
            try {
                client.nodes().withName(nodeName).editStatus(n -> {
                    for (NodeCondition c : n.getStatus().getConditions()) {
                        if ("Ready".equals(c.getType())) {
                            c.setStatus("False");
                            c.setReason("NodeStatusUnknown");
                            c.setMessage("Kubelet stopped posting node status: the instance is terminated.");
                            c.setLastTransitionTime(clock.now().toString());
                        }
                    }
                    List<Taint> taints = new ArrayList<>(
                            n.getSpec().getTaints() == null
                                    ? List.of()
                                    : n.getSpec().getTaints());
                    taints.add(new TaintBuilder()
                            .withKey(UNREACHABLE_TAINT)
                            .withEffect("NoSchedule")
                            .withTimeAdded(clock.now().toString())
                            .build());
                    n.getSpec().setTaints(taints);
                    return n;
                });
                for (Pod pod : podsOn(nodeName)) {
                    try {
                        client.pods()
                                .inNamespace(pod.getMetadata().getNamespace())
                                .withName(pod.getMetadata().getName())
                                .edit(p -> {
                                    if (p.getStatus() != null && p.getStatus().getConditions() != null) {
                                        p.getStatus().getConditions().forEach(c -> {
                                            if (c.getType().equals("Ready")
                                                    || c.getType().equals("ContainersReady")) {
                                                c.setStatus("False");
                                                c.setReason("NodeLost");
                                            }
                                        });
                                    }
                                    return p;
                                });
                    } catch (KubernetesClientException e) {
                        LOG.debug("pod already gone: {}", e.getMessage());
                    }
                }
            } catch (KubernetesClientException e) {
                LOG.warn("node {} could not be marked NotReady: {}", nodeName, e.getMessage());
            }
            schedule(clock.toWall(nodeDeletionDelay), () -> deleteNode(nodeName));
        });
    }

    private void deleteNode(String nodeName) {
        events.removingNode(nodeName);
        for (Pod pod : podsOn(nodeName)) {
            deletePod(pod, "node " + nodeName + " deleted");
        }
        if (keepDeadNodes.getAsBoolean()) {
            LOG.debug("node {} kept NotReady (fault {})", nodeName, LabCluster.KEEP_DEAD_NODES);
        } else {
            client.nodes().withName(nodeName).delete();
        }
        requestReconcile();
    }

    List<Pod> podsOn(String nodeName) {
        return client.pods().inAnyNamespace().list().getItems().stream()
                .filter(p -> nodeName.equals(Kube.nodeName(p)))
                .toList();
    }

    // ---------------------------------------------------------------- helpers

    private void deletePod(Pod pod, String why) {
        LOG.debug(
                "deleting pod {}/{}: {}",
                pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(),
                why);
        try {
            client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .delete();
        } catch (KubernetesClientException e) {
            LOG.debug("pod delete failed: {}", e.getMessage());
        }
    }

    private static List<Pod> ownedBy(List<Pod> pods, String ownerUid) {
        return pods.stream()
                .filter(p ->
                        Kube.controller(p).map(r -> ownerUid.equals(r.getUid())).orElse(false))
                .collect(Collectors.toList());
    }

    private static String ownerKey(Pod pod) {
        return Kube.controller(pod).map(OwnerReference::getUid).orElse("none");
    }

    private static OwnerReference owner(String apiVersion, String kind, ObjectMeta meta) {
        return new OwnerReferenceBuilder()
                .withApiVersion(apiVersion == null ? "apps/v1" : apiVersion)
                .withKind(kind)
                .withName(meta.getName())
                .withUid(meta.getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    private static void ensureContainer(Pod pod, String name) {
        if (pod.getSpec() == null) {
            pod.setSpec(new io.fabric8.kubernetes.api.model.PodSpec());
        }
        if (pod.getSpec().getContainers() == null
                || pod.getSpec().getContainers().isEmpty()) {
            Container c = new ContainerBuilder()
                    .withName(name)
                    .withImage("public.ecr.aws/lab/" + name + ":latest")
                    .withNewResources()
                    .addToRequests("cpu", new Quantity("100m"))
                    .addToRequests("memory", new Quantity("128Mi"))
                    .endResources()
                    .build();
            pod.getSpec().setContainers(List.of(c));
        }
    }

    private static Map<String, String> nodeSelectorOf(PodTemplateSpec t) {
        return t == null || t.getSpec() == null ? Map.of() : t.getSpec().getNodeSelector();
    }

    static Map<String, String> labelsOf(ObjectMeta meta) {
        return meta == null || meta.getLabels() == null ? Map.of() : meta.getLabels();
    }

    private static String internalIp(Node node) {
        if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
            return null;
        }
        return node.getStatus().getAddresses().stream()
                .filter(a -> "InternalIP".equals(a.getType()))
                .map(io.fabric8.kubernetes.api.model.NodeAddress::getAddress)
                .findFirst()
                .orElse(null);
    }

    String templateHash(PodTemplateSpec template) {
        String json = client.getKubernetesSerialization().asJson(template);
        String hex = Kube.sha256Hex(json);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            sb.append(POD_CHARS.charAt(Character.digit(hex.charAt(i), 16) % POD_CHARS.length()));
        }
        return sb.toString();
    }

    private static String randomSuffix() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            sb.append(POD_CHARS.charAt(r.nextInt(POD_CHARS.length())));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            informers.forEach(SharedIndexInformer::close);
            informers.clear();
        }
    }
}
