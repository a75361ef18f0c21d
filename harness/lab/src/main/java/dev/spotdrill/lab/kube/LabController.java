package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    final LabApi api;
    final WorldClock clock;
    private final ScheduledExecutorService executor;
    final EventRecorder events;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    final LabFargate fargate;
    final LabScheduler scheduler = new LabScheduler(this);
    final LabKubelet kubelet = new LabKubelet(this);
    final WorkloadStatuses statuses = new WorkloadStatuses(this);
    private final NodeLifecycle lifecycle;
    static final String BY_NODE = "node";
    static final String BY_OWNER = "owner";
    static final String BY_APP = "app";
    private static final String BY_UID = "uid";
    /** Informer events wait here until the controller thread applies them to its caches. */
    private final java.util.concurrent.ConcurrentLinkedQueue<ApiStore.Change> inbox =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    final LabCache<Pod> pods = new LabCache<>(Map.of(
            BY_NODE,
            p -> Kube.nodeName(p) == null ? List.of() : List.of(Kube.nodeName(p)),
            BY_OWNER,
            p -> Kube.controller(p).map(r -> List.of(r.getUid())).orElse(List.of()),
            BY_APP,
            p -> labelsOf(p.getMetadata()).containsKey(APP_LABEL)
                    ? List.of(p.getMetadata().getNamespace() + "/"
                            + labelsOf(p.getMetadata()).get(APP_LABEL))
                    : List.of()));
    final LabCache<Node> nodes = new LabCache<>(Map.of());
    final LabCache<Deployment> deployments = new LabCache<>(Map.of());
    final LabCache<ReplicaSet> replicaSets = new LabCache<>(Map.of());
    final LabCache<DaemonSet> daemonSets =
            new LabCache<>(Map.of(BY_UID, d -> List.of(d.getMetadata().getUid())));
    private Set<String> dirtyPods = new java.util.LinkedHashSet<>();
    Set<String> dirtyDeployments = new java.util.LinkedHashSet<>();
    private Set<String> dirtyDaemonSets = new java.util.LinkedHashSet<>();
    private Set<String> dirtyNodes = new java.util.LinkedHashSet<>();
    final Set<String> pendingPods = new java.util.LinkedHashSet<>();
    final Map<String, String> templateHashes = new HashMap<>();
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
        this.lifecycle = new NodeLifecycle(this, nodeDeletionDelay, keepDeadNodes);
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

    void podChanged(Pod p) {
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
    void drain() {
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
            if (node != null && !LabScheduler.toleratesAll(pod, node, Set.of("NoExecute"))) {
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
        scheduler.schedulePending(!nodeNames.isEmpty());
        reconcileFargate();
        for (Pod p : touched.values()) {
            Pod now = pods.get(LabCache.key(p));
            if (now != null) {
                kubelet.armReadiness(now);
            }
        }
        for (String k : deploymentKeys) {
            Deployment d = deployments.get(k);
            if (d != null) {
                statuses.updateDeploymentStatus(d);
            }
        }
        if (!daemonSetKeys.isEmpty() || !nodeNames.isEmpty()) {
            int desired = (int) nodes.all().stream()
                    .filter(n -> !LabFargate.isFargateNode(n))
                    .count();
            for (DaemonSet ds : List.copyOf(daemonSets.all())) {
                statuses.updateDaemonSetStatus(ds, desired);
            }
        }
        if (!dirtyPods.isEmpty()
                || !dirtyDeployments.isEmpty()
                || !dirtyDaemonSets.isEmpty()
                || !dirtyNodes.isEmpty()) {
            requestReconcile();
        }
    }

    List<Node> sortedNodes() {
        if (sorted == null || sortedAt != nodes.version()) {
            sorted = nodes.all().stream()
                    .sorted(Comparator.comparing(n -> n.getMetadata().getName()))
                    .toList();
            sortedAt = nodes.version();
        }
        return sorted;
    }

    /** The nodes by name, as of the node cache's version {@link #sortedAt}. */
    private List<Node> sorted;

    private long sortedAt = -1;

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

    final Set<String> pendingFargate = new java.util.LinkedHashSet<>();

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
        statuses.updateReplicaSetStatus(rs, pods.byIndex(BY_OWNER, rsUid));
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
                .withName(rs.getMetadata().getName() + "-" + PodShapes.randomSuffix())
                .withNamespace(rs.getMetadata().getNamespace())
                .withUid(UUID.randomUUID().toString())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(owner("apps/v1", "ReplicaSet", rs.getMetadata()))
                .endMetadata()
                .withNewStatus()
                .withPhase("Pending")
                .withConditions(kubelet.condition("PodScheduled", "False", "Unschedulable"))
                .endStatus()
                .build();
        // the pods of a ReplicaSet share one spec object (the controller never changes it in place)
        PodSpec shared = sharedSpecs.get(rs.getMetadata().getUid());
        pod.setSpec(shared != null ? shared : new io.fabric8.kubernetes.api.model.PodSpecBuilder(t.getSpec()).build());
        PodShapes.ensureContainer(pod, d.getMetadata().getName());
        fargate.admit(pod);
        if (shared == null) {
            if (sharedSpecs.size() > 20_000) {
                sharedSpecs.clear();
            }
            sharedSpecs.put(rs.getMetadata().getUid(), pod.getSpec());
        }
        PodShapes.manage(pod, "kube-controller-manager", clock.now());
        Pod created = api.createPod(pod, api.sharedSpec(rs.getMetadata().getUid(), pod, null));
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
                    .withName(ds.getMetadata().getName() + "-" + PodShapes.randomSuffix())
                    .withNamespace(ds.getMetadata().getNamespace())
                    .withUid(UUID.randomUUID().toString())
                    .withLabels(labelsOf(t.getMetadata()))
                    .withAnnotations(
                            t.getMetadata() == null ? null : t.getMetadata().getAnnotations())
                    .withOwnerReferences(owner("apps/v1", "DaemonSet", ds.getMetadata()))
                    .endMetadata()
                    .withSpec(t.getSpec())
                    .build();
            PodShapes.ensureContainer(pod, ds.getMetadata().getName());
            pod.getSpec().setNodeName(nodeName);
            List<Toleration> tolerations = new ArrayList<>(
                    pod.getSpec().getTolerations() == null
                            ? List.of()
                            : pod.getSpec().getTolerations());
            tolerations.add(new TolerationBuilder().withOperator("Exists").build());
            pod.getSpec().setTolerations(tolerations);
            pod.setStatus(kubelet.runningStatus(node, pod));
            PodShapes.manage(pod, "kube-controller-manager", clock.now());
            Pod created = api.createPod(pod, api.sharedSpec(ds.getMetadata().getUid(), pod, nodeName));
            pods.put(created);
            covered.add(nodeName);
            kubelet.armReadiness(created);
        }
    }

    private final Map<String, PodSpec> sharedSpecs = new HashMap<>();

    /** The instance behind the node is gone (see {@link NodeLifecycle#nodeLost}). */
    void nodeLost(String nodeName) {
        lifecycle.nodeLost(nodeName);
    }

    boolean closed() {
        return closed.get();
    }

    /** Binds the pod to the node (see {@link LabKubelet#bind}); null when that failed. */
    Pod bind(Pod pod, Node node) {
        return kubelet.bind(pod, node);
    }

    /** Reports that a scheduler could not place the pod (see {@link LabScheduler#failedScheduling}). */
    void failedScheduling(Pod pod, String scheduler, String message) {
        this.scheduler.failedScheduling(pod, scheduler, message);
    }

    /** The pods bound to the node, as the controller's cache knows them (controller thread only). */
    List<Pod> podsOn(String nodeName) {
        drain();
        return List.copyOf(pods.byIndex(BY_NODE, nodeName));
    }

    // ---------------------------------------------------------------- helpers

    void deletePod(Pod pod, String why) {
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

    private static Map<String, String> nodeSelectorOf(PodTemplateSpec t) {
        return t == null || t.getSpec() == null ? Map.of() : t.getSpec().getNodeSelector();
    }

    static Map<String, String> labelsOf(ObjectMeta meta) {
        return meta == null || meta.getLabels() == null ? Map.of() : meta.getLabels();
    }

    String templateHash(PodTemplateSpec template) {
        return PodShapes.templateHash(api.asJson(template));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {}
    }
}
