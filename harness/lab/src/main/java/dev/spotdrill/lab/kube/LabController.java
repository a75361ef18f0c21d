package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
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
 * time on a single controller thread. It works from its own indexed caches (pods by node, by owner and by
 * Deployment; nodes, Deployments, ReplicaSets and DaemonSets by name), fed by the informers and by its own writes,
 * and a reconcile looks only at what changed since the last one: it never lists the cluster.
 */
final class LabController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LabController.class);
    static final String APP_LABEL = "app";
    static final String HASH_LABEL = "pod-template-hash";
    private static final String UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";
    private static final String UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable";
    private static final String POD_CHARS = "bcdfghjklmnpqrstvwxz2456789";

    private final LabApi api;
    private final WorldClock clock;
    private final ScheduledExecutorService executor;
    private final Duration nodeDeletionDelay;
    private final EventRecorder events;
    private final BooleanSupplier keepDeadNodes;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<String> readinessArmed = ConcurrentHashMap.newKeySet();
    private final Set<String> terminatedNodes = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ipCounter = new AtomicInteger();
    private final LabFargate fargate;
    private final Set<String> schedulingReported = ConcurrentHashMap.newKeySet();
    private static final String BY_NODE = "node";
    private static final String BY_OWNER = "owner";
    private static final String BY_APP = "app";
    private static final String BY_UID = "uid";
    /** Informer events wait here until the controller thread applies them to its caches. */
    private final java.util.concurrent.ConcurrentLinkedQueue<ApiStore.Change> inbox =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    private final LabCache<Pod> pods = new LabCache<>(Map.of(
            BY_NODE,
            p -> Kube.nodeName(p) == null ? List.of() : List.of(Kube.nodeName(p)),
            BY_OWNER,
            p -> Kube.controller(p).map(r -> List.of(r.getUid())).orElse(List.of()),
            BY_APP,
            p -> labelsOf(p.getMetadata()).containsKey(APP_LABEL)
                    ? List.of(p.getMetadata().getNamespace() + "/"
                            + labelsOf(p.getMetadata()).get(APP_LABEL))
                    : List.of()));
    private final LabCache<Node> nodes = new LabCache<>(Map.of());
    private final LabCache<Deployment> deployments = new LabCache<>(Map.of());
    private final LabCache<ReplicaSet> replicaSets = new LabCache<>(Map.of());
    private final LabCache<DaemonSet> daemonSets =
            new LabCache<>(Map.of(BY_UID, d -> List.of(d.getMetadata().getUid())));
    private Set<String> dirtyPods = new java.util.LinkedHashSet<>();
    private Set<String> dirtyDeployments = new java.util.LinkedHashSet<>();
    private Set<String> dirtyDaemonSets = new java.util.LinkedHashSet<>();
    private Set<String> dirtyNodes = new java.util.LinkedHashSet<>();
    private final Set<String> pendingPods = new java.util.LinkedHashSet<>();
    private final Map<String, String> templateHashes = new HashMap<>();
    private boolean everything = true;

    /**
     * @param events where the controller's Kubernetes events go
     * @param keepDeadNodes read when a dead node is due for deletion: true keeps its object (its pods still go)
     */
    LabController(
            LabApi api,
            WorldClock clock,
            ScheduledExecutorService executor,
            Duration nodeDeletionDelay,
            EventRecorder events,
            BooleanSupplier keepDeadNodes,
            LabFargate fargate) {
        this.api = api;
        this.events = events;
        this.clock = clock;
        this.executor = executor;
        this.nodeDeletionDelay = nodeDeletionDelay;
        this.keepDeadNodes = keepDeadNodes;
        this.fargate = fargate;
        fargate.attach(this);
    }

    /**
     * Reads every object once, then follows the store's changes (the listener is added under the store's lock, so
     * nothing falls between the read and the first change).
     */
    void start() {
        api.store().atomically(() -> {
            for (Class<? extends HasMetadata> c :
                    List.of(Node.class, Deployment.class, ReplicaSet.class, DaemonSet.class, Pod.class)) {
                ApiResources.Type t = LabApi.type(c);
                for (ObjectNode o :
                        api.store().list(t, null, Selectors.Filter.ALL).items()) {
                    inbox.add(new ApiStore.Change(t, 0, null, o));
                }
            }
            api.store().addListener(this::changed);
            return null;
        });
        requestReconcile();
    }

    /** A store change (under the store's lock): queued for the controller thread. */
    private void changed(ApiStore.Change c) {
        if (closed.get() || !followed(c.type())) {
            return;
        }
        inbox.add(c);
        requestReconcile();
    }

    private static boolean followed(ApiResources.Type t) {
        return t.equals(LabApi.type(Pod.class))
                || t.equals(LabApi.type(Node.class))
                || t.equals(LabApi.type(Deployment.class))
                || t.equals(LabApi.type(ReplicaSet.class))
                || t.equals(LabApi.type(DaemonSet.class));
    }

    private void apply(ApiStore.Change c) {
        ApiResources.Type t = c.type();
        if (t.equals(LabApi.type(Pod.class))) {
            apply(c, pods, Pod.class, this::podChanged);
        } else if (t.equals(LabApi.type(Node.class))) {
            apply(c, nodes, Node.class, this::nodeChanged);
        } else if (t.equals(LabApi.type(Deployment.class))) {
            apply(c, deployments, Deployment.class, this::deploymentChanged);
        } else if (t.equals(LabApi.type(ReplicaSet.class))) {
            apply(c, replicaSets, ReplicaSet.class, this::replicaSetChanged);
        } else if (t.equals(LabApi.type(DaemonSet.class))) {
            apply(c, daemonSets, DaemonSet.class, this::daemonSetChanged);
        }
    }

    /**
     * Applies one change to a cache. A change the controller made itself is in the cache already (it stores what
     * it writes), so the stored tree is converted only for what others changed.
     */
    private <T extends HasMetadata> void apply(
            ApiStore.Change c, LabCache<T> cache, Class<T> type, java.util.function.Consumer<T> changed) {
        ObjectNode any = c.after() != null ? c.after() : c.before();
        com.fasterxml.jackson.databind.JsonNode meta = any.path("metadata");
        String ns = meta.path("namespace").asText("");
        String k = ns.isEmpty()
                ? meta.path("name").asText()
                : ns + "/" + meta.path("name").asText();
        T cached = cache.get(k);
        boolean same = cached != null
                && meta.path("uid").asText().equals(cached.getMetadata().getUid());
        if (c.after() == null) {
            T gone = same ? cached : api.read(c.before(), type);
            cache.deleted(gone);
            changed.accept(gone);
            return;
        }
        long rv = meta.path("resourceVersion").asLong(0);
        if (same && LabCache.rv(cached) >= rv && rv > 0) {
            changed.accept(cached);
            return;
        }
        T obj = api.read(c.after(), type);
        if (cache.put(obj)) {
            changed.accept(obj);
        }
    }

    private void podChanged(Pod p) {
        dirtyPods.add(LabCache.key(p));
        String app = labelsOf(p.getMetadata()).get(APP_LABEL);
        if (app != null) {
            String dk = p.getMetadata().getNamespace() + "/" + app;
            if (deployments.get(dk) != null) {
                dirtyDeployments.add(dk);
            }
        }
        Kube.controller(p).filter(r -> "DaemonSet".equals(r.getKind())).ifPresent(r -> daemonSets
                .byIndex(BY_UID, r.getUid())
                .forEach(d -> dirtyDaemonSets.add(LabCache.key(d))));
    }

    private void nodeChanged(Node n) {
        dirtyNodes.add(n.getMetadata().getName());
    }

    private void deploymentChanged(Deployment d) {
        dirtyDeployments.add(LabCache.key(d));
    }

    private void replicaSetChanged(ReplicaSet rs) {
        List<OwnerReference> refs = rs.getMetadata().getOwnerReferences();
        if (refs != null) {
            refs.stream()
                    .filter(r -> "Deployment".equals(r.getKind()))
                    .forEach(r -> dirtyDeployments.add(rs.getMetadata().getNamespace() + "/" + r.getName()));
        }
    }

    private void daemonSetChanged(DaemonSet ds) {
        dirtyDaemonSets.add(LabCache.key(ds));
    }

    /** Applies the informers' events that arrived since the last call to the caches (controller thread only). */
    private void drain() {
        ApiStore.Change c;
        while ((c = inbox.poll()) != null) {
            apply(c);
        }
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
        drain();
        if (everything) {
            everything = false;
            pods.all().forEach(p -> dirtyPods.add(LabCache.key(p)));
            deployments.all().forEach(d -> dirtyDeployments.add(LabCache.key(d)));
            daemonSets.all().forEach(d -> dirtyDaemonSets.add(LabCache.key(d)));
            nodes.all().forEach(n -> dirtyNodes.add(n.getMetadata().getName()));
        }
        Set<String> podKeys = dirtyPods;
        Set<String> deploymentKeys = dirtyDeployments;
        Set<String> daemonSetKeys = dirtyDaemonSets;
        Set<String> nodeNames = dirtyNodes;
        if (podKeys.isEmpty() && deploymentKeys.isEmpty() && daemonSetKeys.isEmpty() && nodeNames.isEmpty()) {
            return;
        }
        dirtyPods = new java.util.LinkedHashSet<>();
        dirtyDeployments = new java.util.LinkedHashSet<>();
        dirtyDaemonSets = new java.util.LinkedHashSet<>();
        dirtyNodes = new java.util.LinkedHashSet<>();
        try {
            reconcile(podKeys, deploymentKeys, daemonSetKeys, nodeNames);
        } catch (RuntimeException e) {
            // what this pass did not finish is still to do
            dirtyPods.addAll(podKeys);
            dirtyDeployments.addAll(deploymentKeys);
            dirtyDaemonSets.addAll(daemonSetKeys);
            dirtyNodes.addAll(nodeNames);
            throw e;
        }
    }

    private void reconcile(
            Set<String> podKeys, Set<String> deploymentKeys, Set<String> daemonSetKeys, Set<String> nodeNames) {

        // The taint manager: NoExecute taints evict pods that do not tolerate them (changed pods, pods on changed
        // nodes).
        Map<String, Pod> touched = new LinkedHashMap<>();
        for (String k : podKeys) {
            Pod p = pods.get(k);
            if (p != null) {
                touched.put(k, p);
            }
        }
        for (String n : nodeNames) {
            for (Pod p : pods.byIndex(BY_NODE, n)) {
                touched.put(LabCache.key(p), p);
            }
        }
        for (Pod pod : List.copyOf(touched.values())) {
            Node node = Kube.nodeName(pod) == null ? null : nodes.get(Kube.nodeName(pod));
            if (node != null && !toleratesAll(pod, node, Set.of("NoExecute"))) {
                events.taintEviction(pod);
                deletePod(pod, "taint manager: NoExecute taint not tolerated");
                touched.remove(LabCache.key(pod));
            }
        }
        for (Pod p : touched.values()) {
            if (Kube.nodeName(p) == null && p.getMetadata().getDeletionTimestamp() == null) {
                pendingPods.add(LabCache.key(p));
            }
        }
        for (String k : deploymentKeys) {
            Deployment d = deployments.get(k);
            if (d != null) {
                reconcileDeployment(d);
            }
        }
        List<Node> changedNodes =
                nodeNames.stream().map(nodes::get).filter(Objects::nonNull).toList();
        for (DaemonSet ds : List.copyOf(daemonSets.all())) {
            if (daemonSetKeys.contains(LabCache.key(ds))) {
                reconcileDaemonSet(ds, sortedNodes());
            } else if (!changedNodes.isEmpty()) {
                reconcileDaemonSet(ds, changedNodes);
            }
        }
        schedulePending(!nodeNames.isEmpty());
        reconcileFargate();
        for (Pod p : touched.values()) {
            Pod now = pods.get(LabCache.key(p));
            if (now != null) {
                armReadiness(now);
            }
        }
        for (String k : deploymentKeys) {
            Deployment d = deployments.get(k);
            if (d != null) {
                updateDeploymentStatus(d);
            }
        }
        if (!daemonSetKeys.isEmpty() || !nodeNames.isEmpty()) {
            int desired = (int) nodes.all().stream()
                    .filter(n -> !LabFargate.isFargateNode(n))
                    .count();
            for (DaemonSet ds : List.copyOf(daemonSets.all())) {
                updateDaemonSetStatus(ds, desired);
            }
        }
        if (!dirtyPods.isEmpty()
                || !dirtyDeployments.isEmpty()
                || !dirtyDaemonSets.isEmpty()
                || !dirtyNodes.isEmpty()) {
            requestReconcile();
        }
    }

    private List<Node> sortedNodes() {
        return nodes.all().stream()
                .sorted(Comparator.comparing(n -> n.getMetadata().getName()))
                .toList();
    }

    /** The Fargate scheduler's pass, given only what it looks at: Fargate nodes, their pods and Fargate pods. */
    private void reconcileFargate() {
        List<Node> fargateNodes =
                nodes.all().stream().filter(LabFargate::isFargateNode).toList();
        List<Pod> relevant = new ArrayList<>();
        for (Node n : fargateNodes) {
            relevant.addAll(pods.byIndex(BY_NODE, n.getMetadata().getName()));
        }
        for (String k : pendingFargate) {
            Pod p = pods.get(k);
            if (p != null) {
                relevant.add(p);
            }
        }
        pendingFargate.removeIf(k -> {
            Pod p = pods.get(k);
            return p == null || Kube.nodeName(p) != null;
        });
        if (!fargateNodes.isEmpty() || !relevant.isEmpty()) {
            fargate.reconcile(relevant, fargateNodes);
        }
    }

    private final Set<String> pendingFargate = new java.util.LinkedHashSet<>();

    /**
     * Runs the Fargate scheduler's pass on the controller thread, for its retries and failed provisions: a
     * reconcile with nothing changed would skip it.
     */
    void fargatePass() {
        schedule(Duration.ZERO, () -> {
            drain();
            reconcileFargate();
        });
    }

    private void reconcileDeployment(Deployment d) {
        String ns = d.getMetadata().getNamespace();
        String hash = templateHashes.computeIfAbsent(
                d.getMetadata().getUid() + "@" + d.getMetadata().getGeneration(),
                k -> templateHash(d.getSpec().getTemplate()));
        String rsName = d.getMetadata().getName() + "-" + hash;
        ReplicaSet rs = replicaSets.get(ns + "/" + rsName);
        if (rs == null) {
            rs = api.get(ReplicaSet.class, ns, rsName);
        }
        int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        if (rs == null) {
            rs = api.create(newReplicaSet(d, rsName, hash, replicas));
        } else if (!Objects.equals(rs.getSpec().getReplicas(), replicas)) {
            rs = api.edit(ReplicaSet.class, ns, rsName, r -> {
                r.getSpec().setReplicas(replicas);
                return r;
            });
        }
        replicaSets.put(rs);
        String rsUid = rs.getMetadata().getUid();
        List<Pod> current = new ArrayList<>(pods.byIndex(BY_OWNER, rsUid));
        List<Pod> old = pods.byIndex(BY_APP, ns + "/" + d.getMetadata().getName()).stream()
                .filter(p -> Kube.ownedBy(p, "ReplicaSet"))
                .filter(p -> !rsUid.equals(Kube.controller(p).get().getUid()))
                .filter(p -> Kube.controller(p)
                        .get()
                        .getName()
                        .startsWith(d.getMetadata().getName() + "-"))
                .collect(Collectors.toList());
        // Scale the current ReplicaSet up or down.
        for (int i = current.size(); i < replicas; i++) {
            createPod(d, rs, hash);
        }
        if (current.size() > replicas) {
            current.stream()
                    .sorted(Comparator.comparing((Pod p) -> Kube.nodeName(p) != null)
                            .thenComparing(Kube::isPodReady))
                    .limit(current.size() - replicas)
                    .forEach(p -> deletePod(p, "scale down"));
        }
        // Roll out: old pods go as new ones turn Ready (max surge 100%, max unavailable 0).
        long newReady =
                pods.byIndex(BY_OWNER, rsUid).stream().filter(Kube::isPodReady).count();
        long keep = Math.max(0, replicas - newReady);
        List<Pod> oldSorted =
                old.stream().sorted(Comparator.comparing(Kube::isPodReady)).toList();
        for (int i = 0; i < oldSorted.size() - keep; i++) {
            deletePod(oldSorted.get(i), "rollout");
        }
        updateReplicaSetStatus(rs, pods.byIndex(BY_OWNER, rsUid));
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
            var st = new io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder()
                    .withReplicas(count)
                    .withFullyLabeledReplicas(count)
                    .withReadyReplicas(ready)
                    .withAvailableReplicas(ready)
                    .withObservedGeneration(rs.getMetadata().getGeneration())
                    .build();
            ReplicaSet next = withOwnMetadata(rs);
            next.setStatus(st);
            replicaSets.put(api.writeStatus(next, st));
        } catch (ApiException e) {
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
                .withNewStatus()
                .withPhase("Pending")
                .withConditions(condition("PodScheduled", "False", "Unschedulable"))
                .endStatus()
                .build();
        // the pods of a ReplicaSet share one spec object (the controller never changes it in place)
        PodSpec shared = sharedSpecs.get(rs.getMetadata().getUid());
        pod.setSpec(shared != null ? shared : new io.fabric8.kubernetes.api.model.PodSpecBuilder(t.getSpec()).build());
        ensureContainer(pod, d.getMetadata().getName());
        fargate.admit(pod);
        if (shared == null) {
            if (sharedSpecs.size() > 20_000) {
                sharedSpecs.clear();
            }
            sharedSpecs.put(rs.getMetadata().getUid(), pod.getSpec());
        }
        PodShapes.manage(pod, "kube-controller-manager", clock.now());
        Pod created = api.createPod(pod, specTree(rs.getMetadata().getUid(), pod, null));
        pods.put(created);
        pendingPods.add(LabCache.key(created));
        return created;
    }

    private void reconcileDaemonSet(DaemonSet ds, List<Node> candidates) {
        String uid = ds.getMetadata().getUid();
        Set<String> covered = pods.byIndex(BY_OWNER, uid).stream()
                .map(Kube::nodeName)
                .filter(Objects::nonNull)
                .collect(Collectors.toSet());
        for (Node node : candidates) {
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
            pod.setStatus(runningStatus(node, pod));
            PodShapes.manage(pod, "kube-controller-manager", clock.now());
            Pod created = api.createPod(pod, specTree(ds.getMetadata().getUid(), pod, nodeName));
            pods.put(created);
            covered.add(nodeName);
            armReadiness(created);
        }
    }

    /**
     * The scheduler: each pending pod goes to a fitting node with the fewest pods of its owner, then the fewest
     * pods, then the first name. The pods of one owner share a template, so the nodes that fit are found once per
     * owner, and a priority queue hands out the nodes.
     *
     * @param retryAll whether nodes changed, so that pods that fitted nowhere are tried again
     */
    private void schedulePending(boolean retryAll) {
        if (pendingPods.isEmpty()) {
            return;
        }
        Map<String, List<Pod>> byOwner = new LinkedHashMap<>();
        for (java.util.Iterator<String> it = pendingPods.iterator(); it.hasNext(); ) {
            String k = it.next();
            Pod pod = pods.get(k);
            if (pod == null || Kube.nodeName(pod) != null || pod.getMetadata().getDeletionTimestamp() != null) {
                it.remove();
                continue;
            }
            if (LabFargate.isFargatePod(pod)) {
                it.remove();
                pendingFargate.add(k);
                continue;
            }
            String owner = Kube.controller(pod).map(OwnerReference::getUid).orElse("none|" + k);
            byOwner.computeIfAbsent(owner, x -> new ArrayList<>()).add(pod);
        }
        if (byOwner.isEmpty()) {
            return;
        }
        List<Node> all = sortedNodes();
        Map<String, Integer> load = new HashMap<>();
        for (Node n : all) {
            load.put(
                    n.getMetadata().getName(),
                    pods.count(BY_NODE, n.getMetadata().getName()));
        }
        Comparator<Node> byLoad = Comparator.comparingInt(
                        (Node n) -> load.get(n.getMetadata().getName()))
                .thenComparing(n -> n.getMetadata().getName());
        // the nodes that fit, by what decides the fit (node selector and tolerations), least loaded first
        Map<String, java.util.TreeSet<Node>> fitting = new HashMap<>();
        for (Map.Entry<String, List<Pod>> group : byOwner.entrySet()) {
            List<Pod> waiting = group.getValue();
            Pod first = waiting.get(0);
            boolean fresh = retryAll
                    || waiting.stream()
                            .anyMatch(p -> !unplaceable.contains(p.getMetadata().getUid()));
            if (!fresh) {
                continue;
            }
            java.util.TreeSet<Node> fit = fitting.computeIfAbsent(fitKey(first), k -> {
                java.util.TreeSet<Node> t = new java.util.TreeSet<>(byLoad);
                all.stream().filter(n -> fits(first, n)).forEach(t::add);
                return t;
            });
            if (fit.isEmpty()) {
                for (Pod pod : waiting) {
                    unplaceable.add(pod.getMetadata().getUid());
                    // stays Pending until a node fits (node events trigger a new reconcile)
                    failedScheduling(pod, EventRecorder.SCHEDULER, EventRecorder.unschedulableMessage(pod, all));
                }
                continue;
            }
            // each pod goes to a fitting node with the fewest pods of its owner, then the fewest pods, then the
            // first name: the nodes without a pod of the owner, least loaded first, while there are such nodes
            Map<String, Integer> ownerLoad = new HashMap<>();
            for (Pod p : pods.byIndex(BY_OWNER, group.getKey())) {
                if (Kube.nodeName(p) != null) {
                    ownerLoad.merge(Kube.nodeName(p), 1, Integer::sum);
                }
            }
            for (Pod pod : waiting) {
                Node best = null;
                for (Node n : fit) {
                    if (!ownerLoad.containsKey(n.getMetadata().getName())) {
                        best = n;
                        break;
                    }
                }
                if (best == null) {
                    best = fit.stream()
                            .min(Comparator.comparingInt((Node n) -> ownerLoad.getOrDefault(
                                            n.getMetadata().getName(), 0))
                                    .thenComparing(byLoad))
                            .orElseThrow();
                }
                String nodeName = best.getMetadata().getName();
                Pod bound = bind(pod, best);
                if (bound != null) {
                    events.scheduled(bound, nodeName);
                    pendingPods.remove(LabCache.key(pod));
                    unplaceable.remove(pod.getMetadata().getUid());
                    ownerLoad.merge(nodeName, 1, Integer::sum);
                    List<java.util.TreeSet<Node>> holding = new ArrayList<>();
                    for (java.util.TreeSet<Node> t : fitting.values()) {
                        if (t.remove(best)) {
                            holding.add(t);
                        }
                    }
                    load.merge(nodeName, 1, Integer::sum);
                    for (java.util.TreeSet<Node> t : holding) {
                        t.add(best);
                    }
                }
            }
        }
    }

    /** What decides which nodes a pod fits: its node selector and tolerations. */
    private static String fitKey(Pod pod) {
        return String.valueOf(pod.getSpec().getNodeSelector()) + "|"
                + pod.getSpec().getTolerations();
    }

    /**
     * The stored form of a pod's spec: one tree for the pods of an owner (a 10 KB pod is mostly spec, and the store
     * never changes a tree in place), with the pod's node when it has one from the start (a DaemonSet's).
     */
    private ObjectNode specTree(String ownerUid, Pod pod, String nodeName) {
        String k = ownerUid + "|" + pod.getSpec().getSchedulerName();
        ObjectNode shared = specTrees.get(k);
        if (shared == null) {
            String was = pod.getSpec().getNodeName();
            pod.getSpec().setNodeName(null);
            shared = (ObjectNode)
                    api.tree(new Pod(null, null, null, pod.getSpec(), null)).get("spec");
            pod.getSpec().setNodeName(was);
            if (specTrees.size() > 20_000) {
                specTrees.clear();
            }
            specTrees.put(k, shared);
        }
        if (nodeName == null) {
            return shared;
        }
        ObjectNode withNode = shared.objectNode();
        shared.fields().forEachRemaining(e -> withNode.set(e.getKey(), e.getValue()));
        withNode.put("nodeName", nodeName);
        return withNode;
    }

    private final Map<String, ObjectNode> specTrees = new HashMap<>();
    private final Map<String, PodSpec> sharedSpecs = new HashMap<>();

    /** Pods the scheduler found no node for; tried again when a node changes. */
    private final Set<String> unplaceable = new java.util.HashSet<>();

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
            api.edit(Pod.class, ns, name, p -> {
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
        } catch (ApiException e) {
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
        String nodeName = node.getMetadata().getName();
        try {
            Pod next = writable(pod, nodeName);
            next.setStatus(runningStatus(node, next));
            PodShapes.manage(next, "kube-scheduler", clock.now());
            Pod bound;
            try {
                bound = api.writePodStatus(next, nodeName);
            } catch (ApiException e) {
                if (e.code != 409) {
                    throw e;
                }
                bound = api.edit(
                        Pod.class,
                        pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(),
                        p -> {
                            p.getSpec().setNodeName(nodeName);
                            p.setStatus(runningStatus(node, p));
                            return p;
                        });
            }
            pods.put(bound);
            armReadiness(bound);
            return bound;
        } catch (ApiException e) {
            LOG.debug("could not bind {}: {}", pod.getMetadata().getName(), e.getMessage());
            return null;
        }
    }

    private io.fabric8.kubernetes.api.model.PodStatus runningStatus(Node node, Pod pod) {
        String hostIp = internalIp(node);
        return new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withContainerStatuses(PodShapes.containerStatuses(pod, clock.now()))
                .withQosClass("Burstable")
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
    private void armReadiness(Pod pod) {
        String uid = pod.getMetadata().getUid();
        Node node = Kube.nodeName(pod) == null ? null : nodes.get(Kube.nodeName(pod));
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
        drain();
        String ns = armed.getMetadata().getNamespace();
        String name = armed.getMetadata().getName();
        try {
            Pod now = pods.get(LabCache.key(armed));
            if (now == null
                    || !Objects.equals(
                            now.getMetadata().getUid(), armed.getMetadata().getUid())) {
                return;
            }
            Node node = Kube.nodeName(now) == null ? null : nodes.get(Kube.nodeName(now));
            if (node == null || !Kube.isNodeReady(node)) {
                readinessArmed.remove(armed.getMetadata().getUid());
                return;
            }
            Pod next = writable(now, null);
            ready(next);
            Pod updated;
            try {
                updated = api.writePodStatus(next, null);
            } catch (ApiException e) {
                if (e.code != 409) {
                    throw e;
                }
                updated = api.edit(Pod.class, ns, name, p -> {
                    ready(p);
                    return p;
                });
            }
            pods.put(updated);
            podChanged(updated);
            requestReconcile();
        } catch (ApiException e) {
            // gone, or a transient failure: forget the timer so that the next reconcile arms it again if needed
            LOG.debug("pod {}/{} not marked Ready: {}", ns, name, e.getMessage());
            readinessArmed.remove(armed.getMetadata().getUid());
            requestReconcile();
        }
    }

    /**
     * A copy of the pod to change and write: its own metadata and status (conditions and container statuses
     * included), its spec shared with the cached version unless the node is set, which gives it its own.
     */
    private static Pod writable(Pod pod, String nodeName) {
        Pod next = ModelCopies.shallow(pod);
        next.setMetadata(ModelCopies.shallow(pod.getMetadata()));
        if (nodeName != null) {
            PodSpec spec = ModelCopies.shallow(pod.getSpec());
            spec.setNodeName(nodeName);
            next.setSpec(spec);
        }
        io.fabric8.kubernetes.api.model.PodStatus st = pod.getStatus() == null
                ? new io.fabric8.kubernetes.api.model.PodStatus()
                : ModelCopies.shallow(pod.getStatus());
        if (st.getConditions() != null) {
            st.setConditions(new ArrayList<>(st.getConditions()));
        }
        if (st.getContainerStatuses() != null) {
            st.setContainerStatuses(
                    st.getContainerStatuses().stream().map(ModelCopies::shallow).collect(Collectors.toList()));
        }
        next.setStatus(st);
        return next;
    }

    /** A shallow copy with its own metadata, to give a new status and the stored resourceVersion. */
    private static <T extends HasMetadata> T withOwnMetadata(T o) {
        T next = ModelCopies.shallow(o);
        next.setMetadata(ModelCopies.shallow(o.getMetadata()));
        return next;
    }

    private void ready(Pod p) {
        if (p.getStatus().getConditions() == null) {
            p.getStatus().setConditions(new ArrayList<>());
        }
        p.getStatus()
                .getConditions()
                .removeIf(c -> c.getType().equals("Ready") || c.getType().equals("ContainersReady"));
        p.getStatus().getConditions().add(condition("ContainersReady", "True", null));
        p.getStatus().getConditions().add(condition("Ready", "True", null));
        if (p.getStatus().getContainerStatuses() != null) {
            p.getStatus().getContainerStatuses().forEach(s -> s.setReady(true));
        }
        PodShapes.manage(p, "kubelet", clock.now());
    }

    private void updateDeploymentStatus(Deployment d) {
        String ns = d.getMetadata().getNamespace();
        String name = d.getMetadata().getName();
        String hash = templateHashes.computeIfAbsent(
                d.getMetadata().getUid() + "@" + d.getMetadata().getGeneration(),
                k -> templateHash(d.getSpec().getTemplate()));
        List<Pod> all = pods.byIndex(BY_APP, ns + "/" + name).stream()
                .filter(p -> Kube.controller(p)
                        .map(r ->
                                "ReplicaSet".equals(r.getKind()) && r.getName().startsWith(name + "-"))
                        .orElse(false))
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
            {
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
                Deployment next = withOwnMetadata(d);
                next.setStatus(st);
                deployments.put(api.writeStatus(next, st));
            }
        } catch (ApiException e) {
            LOG.debug("deployment {}/{} status not updated: {}", ns, name, e.getMessage());
            dirtyDeployments.add(ns + "/" + name);
            schedule(Duration.ofMillis(200), this::requestReconcile);
        }
    }

    private void updateDaemonSetStatus(DaemonSet ds, int desired) {
        List<Pod> own = pods.byIndex(BY_OWNER, ds.getMetadata().getUid());
        int scheduled = own.size();
        int ready = (int) own.stream().filter(Kube::isPodReady).count();
        io.fabric8.kubernetes.api.model.apps.DaemonSetStatus s = ds.getStatus();
        if (s != null
                && Objects.equals(s.getCurrentNumberScheduled(), scheduled)
                && Objects.equals(s.getNumberReady(), ready)
                && Objects.equals(s.getDesiredNumberScheduled(), desired)) {
            return;
        }
        try {
            var st = new io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder()
                    .withCurrentNumberScheduled(scheduled)
                    .withDesiredNumberScheduled(desired)
                    .withNumberReady(ready)
                    .withNumberAvailable(ready)
                    .withUpdatedNumberScheduled(scheduled)
                    .withNumberMisscheduled(0)
                    .build();
            DaemonSet next = withOwnMetadata(ds);
            next.setStatus(st);
            daemonSets.put(api.writeStatus(next, st));
        } catch (ApiException e) {
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
                nodes.put(api.edit(Node.class, null, nodeName, n -> {
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
                }));
                for (Pod pod : podsOn(nodeName)) {
                    try {
                        pods.put(api.edit(
                                Pod.class,
                                pod.getMetadata().getNamespace(),
                                pod.getMetadata().getName(),
                                p -> {
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
                                }));
                    } catch (ApiException e) {
                        LOG.debug("pod already gone: {}", e.getMessage());
                    }
                }
            } catch (ApiException e) {
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
            try {
                api.delete(Node.class, null, nodeName);
            } catch (ApiException e) {
                LOG.debug("node {} already gone: {}", nodeName, e.getMessage());
            }
            drain();
            Node gone = nodes.get(nodeName);
            if (gone != null) {
                nodes.forget(gone);
            }
        }
        requestReconcile();
    }

    /** The pods bound to the node, as the controller's cache knows them (controller thread only). */
    List<Pod> podsOn(String nodeName) {
        drain();
        return List.copyOf(pods.byIndex(BY_NODE, nodeName));
    }

    // ---------------------------------------------------------------- helpers

    private void deletePod(Pod pod, String why) {
        LOG.debug(
                "deleting pod {}/{}: {}",
                pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(),
                why);
        try {
            api.delete(
                    Pod.class,
                    pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName());
        } catch (ApiException e) {
            LOG.debug("pod delete failed: {}", e.getMessage());
        }
        pods.forget(pod);
        pendingPods.remove(LabCache.key(pod));
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
        String json = api.asJson(template);
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
        if (closed.compareAndSet(false, true)) {}
    }
}
