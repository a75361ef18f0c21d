package dev.spotdrill.core.kube;

import static dev.spotdrill.core.kube.KubeObservations.*;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.KubeExpectations;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.internal.Messages;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the targets' Kubernetes nodes and their pods with Fabric8 informers (never by polling lists), and
 * writes what changes to the drill's {@link Timeline}: taints, cordon, pods leaving (evicted or deleted), the
 * node draining empty, NotReady, deletion, replacement pods Ready elsewhere, and the Ready count of the watched
 * Deployments. See {@link KubeObservations} for the kinds.
 *
 * <p>One informer per target node (field selector {@code metadata.name}) and one pod informer over all
 * namespaces with a by-node index: the field selector {@code spec.nodeName} is not served by every API server
 * (not by the Fabric8 mock). State already present when the informers sync (a taint or cordon the handler set
 * before the probe saw the node) is recorded as an observation with {@code initial=true}, at the sync time; such
 * observations prove nothing, and a node that already shows what an expectation will judge is refused at start (see
 * {@link KubeSource}). Evictable pods that leave while the node is NotReady or gone are lost with it, not drained:
 * the node emptying that way is {@link KubeObservations#PODS_LOST}, never {@link KubeObservations#NODE_DRAINED}.
 * {@link #close()} stops the informers and closes the client.
 */
public final class KubeProbe implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubeProbe.class);
    private static final long SYNC_TIMEOUT_SECONDS = 30;

    private final World world;
    private final Timeline timeline;
    private final KubernetesClient client;
    private final Map<String, Target> targetByNode = new LinkedHashMap<>();
    private final List<SharedIndexInformer<?>> informers = new CopyOnWriteArrayList<>();
    private final Map<String, NodeView> lastNode = new HashMap<>();
    private final Map<String, Integer> evictable = new HashMap<>();
    private final Map<String, Integer> lostPods = new HashMap<>();
    private final Map<String, Map<String, Integer>> awaitingReplacement = new HashMap<>();
    private final Set<String> readyPods = new HashSet<>();
    private final Map<String, Watched> deployments = new LinkedHashMap<>();
    private final Object lock = new Object();
    /** Each target node's pods: a pod watch with the field selector {@code spec.nodeName}. */
    private final Map<String, SharedIndexInformer<Pod>> nodePods = new LinkedHashMap<>();
    /** Each watched Deployment's pods: a pod watch in its namespace with its label selector. */
    private final Map<String, SharedIndexInformer<Pod>> deploymentPods = new LinkedHashMap<>();
    /** The pods of each owner that has pods on a target node (namespace and labels), for replacements elsewhere. */
    private final Map<String, SharedIndexInformer<Pod>> ownerPods = new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.AtomicLong podEvents = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean synced;
    private volatile boolean closed;

    private KubeProbe(World world, Timeline timeline, KubernetesClient client) {
        this.world = world;
        this.timeline = timeline;
        this.client = client;
    }

    /**
     * Starts the informers and returns once they have synced.
     *
     * @param targets the drill's targets; one without a node name is looked up by providerID
     * @param deployments the Deployments ({@code namespace/name}) whose Ready count to watch
     * @throws SpotDrillConfigurationException when the world has no cluster or a Deployment does not exist
     */
    public static KubeProbe start(World world, List<Target> targets, List<String> deployments, Timeline timeline) {
        return start(
                world,
                targets,
                timeline,
                deployments.stream()
                        .map(d -> SourceRequest.of(KubeExpectations.KUBE, KubeSource.DEPLOYMENT, d))
                        .toList());
    }

    /**
     * Starts the informers for the Kubernetes source's requests (see {@link KubeSource}), and returns once they
     * have synced and every target's node was found fresh for what the requests will judge.
     *
     * @throws SpotDrillConfigurationException when the world has no cluster or a Deployment does not exist
     * @throws GuardrailException when a target's node already shows a state an expectation will judge (already
     *     cordoned, already tainted so, nothing to drain): such a drill would prove nothing
     */
    public static KubeProbe start(World world, List<Target> targets, Timeline timeline, List<SourceRequest> requests) {
        List<String> deployments = KubeExpectations.deployments(requests);
        List<SourceRequest> fresh = requests.stream()
                .filter(r -> r.param(KubeSource.EXPECT) != null)
                .toList();
        KubernetesClient client = KubeClientFactory.client(world, "the Kubernetes expectations");
        KubeProbe probe = new KubeProbe(world, timeline, client);
        try {
            probe.begin(targets, deployments);
            probe.refuseStale(fresh);
            return probe;
        } catch (RuntimeException e) {
            probe.close();
            throw e;
        }
    }

    private void begin(List<Target> targets, List<String> deploymentNames) {
        long t0 = System.nanoTime();
        Instant now = world.clock().now();
        List<Target> withoutNode =
                targets.stream().filter(t -> t.node().isEmpty()).toList();
        Map<String, String> nodeOfInstance = new HashMap<>();
        if (!withoutNode.isEmpty()) {
            for (Node n : client.nodes().list().getItems()) {
                NodeTargets.instanceId(n.getSpec() == null ? null : n.getSpec().getProviderID())
                        .ifPresent(id -> nodeOfInstance.put(id, n.getMetadata().getName()));
            }
        }
        for (Target t : targets) {
            String node = t.node().orElse(nodeOfInstance.get(t.instanceId()));
            if (node == null) {
                timeline.status(
                        t.instanceId(),
                        STATUS_NODE,
                        now,
                        "no Kubernetes node has providerID aws:///" + t.availabilityZone() + "/" + t.instanceId());
            } else {
                targetByNode.put(node, t);
            }
        }
        for (String d : deploymentNames) {
            deployments.put(d, watched(d));
        }
        for (String node : targetByNode.keySet()) {
            SharedIndexInformer<Node> informer =
                    client.nodes().withField("metadata.name", node).runnableInformer(0);
            informer.addEventHandler(new ResourceEventHandler<Node>() {
                @Override
                public void onAdd(Node obj) {
                    onNode(obj);
                }

                @Override
                public void onUpdate(Node oldObj, Node newObj) {
                    onNode(newObj);
                }

                @Override
                public void onDelete(Node obj, boolean deletedFinalStateUnknown) {
                    onNodeDeleted(obj);
                }
            });
            informers.add(informer);
        }
        // the pods of each target node only: the API server filters them (spec.nodeName), so a change elsewhere in a
        // big cluster is never received, let alone stored
        for (String node : targetByNode.keySet()) {
            SharedIndexInformer<Pod> informer = client.pods()
                    .inAnyNamespace()
                    .withField("spec.nodeName", node)
                    .runnableInformer(0)
                    .itemStore(SummaryStore.pods());
            informer.addEventHandler(handler(p -> onNodePod(node, p), p -> onNodePodDeleted(node, p)));
            nodePods.put(node, informer);
            informers.add(informer);
        }
        // each watched Deployment's pods: namespace- and label-scoped
        for (Watched w : deployments.values()) {
            SharedIndexInformer<Pod> informer = client.pods()
                    .inNamespace(w.namespace())
                    .withLabelSelector(w.selectorText())
                    .runnableInformer(0)
                    .itemStore(SummaryStore.pods());
            informer.addEventHandler(handler(p -> onDeploymentPod(w, null), p -> onDeploymentPod(w, uid(p))));
            deploymentPods.put(w.name(), informer);
            informers.add(informer);
        }
        List<java.util.concurrent.CompletableFuture<Void>> syncs = new ArrayList<>();
        for (SharedIndexInformer<?> i : informers) {
            syncs.add(i.start().toCompletableFuture());
        }
        for (java.util.concurrent.CompletableFuture<Void> sync : syncs) {
            await(sync);
        }
        baseline();
        // replacements: the pods of the same owners, wherever they run (started after the nodes' pods are known)
        List<Pod> onTargets = new ArrayList<>();
        nodePods.values().forEach(i -> onTargets.addAll(i.getStore().list()));
        for (Pod p : onTargets) {
            if (evictable(p)) {
                watchOwner(p, true);
            }
        }
        LOG.debug(
                "spotdrill: Kubernetes probe synced on {} in {} ms",
                targetByNode.keySet(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** Waits for an informer's sync (bounded): a watch the credentials may not open fails the drill with the fix. */
    private static void await(java.util.concurrent.CompletableFuture<Void> sync) {
        try {
            sync.get(SYNC_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SpotDrillException("interrupted while the Kubernetes probe synced", e);
        } catch (Exception e) {
            throw new SpotDrillException(
                    "the Kubernetes probe's informers did not sync within " + SYNC_TIMEOUT_SECONDS + " s (" + e
                            + "); check that the credentials may watch nodes and pods",
                    e);
        }
    }

    /**
     * What the probe holds: its watches, the objects in their stores (summaries, see {@link SummaryStore}) and the
     * pod events it received; for benchmarks and for tests that prove a change elsewhere never reaches it.
     *
     * @param podWatches the pod watches open (per target node, per Deployment, per owner)
     * @param storedPods the pods across their stores (a pod in two watches counts twice)
     * @param podEvents the pod add, update and delete events received since the start
     */
    public record Stats(int podWatches, int storedPods, long podEvents) {}

    /** What the probe holds now. */
    public Stats stats() {
        List<SharedIndexInformer<Pod>> all = new ArrayList<>(nodePods.values());
        all.addAll(deploymentPods.values());
        all.addAll(ownerPods.values());
        return new Stats(
                all.size(),
                all.stream().mapToInt(i -> i.getStore().list().size()).sum(),
                podEvents.get());
    }

    private Watched watched(String name) {
        int slash = name.indexOf('/');
        String ns = slash < 0 ? client.getNamespace() : name.substring(0, slash);
        String n = slash < 0 ? name : name.substring(slash + 1);
        Deployment d = client.apps().deployments().inNamespace(ns).withName(n).get();
        if (d == null) {
            throw new SpotDrillConfigurationException(Messages.attr("ExpectAvailability", "deployment", name)
                    + ": no such Deployment in the cluster; check the namespace and the name (kubectl get deployment -n "
                    + ns + " " + n + ")");
        }
        StringBuilder sel = new StringBuilder();
        var s = d.getSpec().getSelector();
        if (s.getMatchLabels() != null) {
            s.getMatchLabels().forEach((k, v) -> sel.append(sel.isEmpty() ? "" : ",")
                    .append(k)
                    .append('=')
                    .append(v));
        }
        if (s.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : s.getMatchExpressions()) {
                sel.append(sel.isEmpty() ? "" : ",");
                switch (r.getOperator()) {
                    case "In" ->
                        sel.append(r.getKey())
                                .append(" in (")
                                .append(String.join(",", r.getValues()))
                                .append(')');
                    case "NotIn" ->
                        sel.append(r.getKey())
                                .append(" notin (")
                                .append(String.join(",", r.getValues()))
                                .append(')');
                    case "DoesNotExist" -> sel.append('!').append(r.getKey());
                    default -> sel.append(r.getKey());
                }
            }
        }
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        return new Watched(ns + "/" + n, ns, LabelSelector.parse(sel.toString()), sel.toString(), desired);
    }

    private void baseline() {
        synchronized (lock) {
            Instant at = world.clock().now();
            for (Map.Entry<String, Target> e : targetByNode.entrySet()) {
                String node = e.getKey();
                String id = e.getValue().instanceId();
                NodeView v = lastNode.get(node);
                if (v == null) {
                    timeline.status(id, STATUS_NODE, at, "node " + node + " not found when the probe started");
                    continue;
                }
                for (TaintView t : v.taints()) {
                    add(
                            at,
                            id,
                            TAINT_ADDED,
                            "taint " + t + " already on node " + node + " when the probe started",
                            t.data(true));
                }
                if (v.unschedulable()) {
                    add(
                            at,
                            id,
                            CORDONED,
                            "node " + node + " already cordoned when the probe started",
                            Map.of("initial", "true"));
                }
                readings(id, node, v, at);
                recomputeDrain(node, null, at, true);
            }
            for (Watched w : deployments.values()) {
                recomputeReady(w, null, at, true);
            }
            synced = true;
        }
    }

    /**
     * Refuses the drill when a target's node already shows what an expectation will judge: a cordon, a taint or a
     * drain seen now would not be the handler's doing, so the verdict would prove nothing.
     */
    private void refuseStale(List<SourceRequest> requests) {
        if (requests.isEmpty()) {
            return;
        }
        List<String> refusals = new ArrayList<>();
        synchronized (lock) {
            for (Map.Entry<String, Target> e : targetByNode.entrySet()) {
                String node = e.getKey();
                Target t = e.getValue();
                NodeView v = lastNode.get(node);
                if (v == null) {
                    continue; // no node to judge: the status says so, and the expectations miss with it
                }
                for (SourceRequest r : requests) {
                    String expect = r.param(KubeSource.EXPECT);
                    if (KubeSource.CORDON.equals(expect) && v.unschedulable()) {
                        refusals.add(Messages.alreadyCordoned(t, node));
                    } else if (KubeSource.TAINT.equals(expect)) {
                        String key = r.param(KubeSource.KEY);
                        String effect = r.param(KubeSource.EFFECT);
                        v.taints().stream()
                                .filter(taint -> taint.key().equals(key)
                                        && taint.effect().equals(effect))
                                .findFirst()
                                .ifPresent(taint -> refusals.add(Messages.alreadyTainted(
                                        t,
                                        node,
                                        "@ExpectTaint(key=\"" + key + "\", effect=\"" + effect + "\")",
                                        taint.toString(),
                                        key,
                                        effect)));
                    } else if (KubeSource.DRAIN.equals(expect) && evictable.getOrDefault(node, 0) == 0) {
                        refusals.add(Messages.nothingToDrain(t, node));
                    }
                }
            }
        }
        if (!refusals.isEmpty()) {
            throw new GuardrailException(
                    String.join("\n", refusals.stream().distinct().toList()));
        }
    }

    // ------------------------------------------------------------------ nodes

    private void onNode(Node node) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            String name = node.getMetadata().getName();
            Target t = targetByNode.get(name);
            if (t == null) {
                return;
            }
            NodeView now = NodeView.of(node);
            NodeView before = lastNode.put(name, now);
            if (!synced || before == null) {
                return;
            }
            Instant at = world.clock().now();
            String id = t.instanceId();
            for (TaintView taint : now.taints()) {
                if (!before.taints().contains(taint)) {
                    add(at, id, TAINT_ADDED, "taint " + taint + " added to node " + name, taint.data(false));
                }
            }
            for (TaintView taint : before.taints()) {
                if (!now.taints().contains(taint)) {
                    add(at, id, TAINT_REMOVED, "taint " + taint + " removed from node " + name, taint.data(false));
                }
            }
            if (now.unschedulable() && !before.unschedulable()) {
                add(at, id, CORDONED, "node " + name + " cordoned (spec.unschedulable=true)", Map.of());
            } else if (!now.unschedulable() && before.unschedulable()) {
                add(at, id, UNCORDONED, "node " + name + " uncordoned", Map.of());
            }
            if (before.ready() && !now.ready()) {
                add(
                        at,
                        id,
                        NODE_NOT_READY,
                        "node " + name + " Ready=" + now.readyStatus() + " (" + now.readyReason() + ")",
                        Map.of("status", now.readyStatus(), "reason", now.readyReason()));
            }
            readings(id, name, now, at);
        }
    }

    private void onNodeDeleted(Node node) {
        synchronized (lock) {
            if (closed || !synced) {
                return;
            }
            String name = node.getMetadata().getName();
            Target t = targetByNode.get(name);
            if (t == null) {
                return;
            }
            Instant at = world.clock().now();
            lastNode.computeIfPresent(name, (k, v) -> v.asDeleted());
            add(at, t.instanceId(), NODE_DELETED, "node " + name + " deleted", Map.of());
            timeline.status(t.instanceId(), STATUS_NODE, at, "node " + name + " deleted");
        }
    }

    private void readings(String id, String node, NodeView v, Instant at) {
        timeline.status(
                id,
                STATUS_TAINTS,
                at,
                v.taints().isEmpty()
                        ? "no taints on node " + node
                        : "taints on node " + node + ": "
                                + v.taints().stream().map(TaintView::toString).collect(Collectors.joining(", ")));
        timeline.status(
                id,
                STATUS_CORDON,
                at,
                v.unschedulable() ? "node " + node + " cordoned" : "node " + node + " schedulable (not cordoned)");
        timeline.status(id, STATUS_NODE, at, "node " + node + " Ready=" + v.readyStatus());
    }

    // ------------------------------------------------------------------ pods

    private ResourceEventHandler<Pod> handler(
            java.util.function.Consumer<Pod> changed, java.util.function.Consumer<Pod> deleted) {
        return new ResourceEventHandler<Pod>() {
            @Override
            public void onAdd(Pod obj) {
                podEvents.incrementAndGet();
                changed.accept(obj);
            }

            @Override
            public void onUpdate(Pod oldObj, Pod newObj) {
                podEvents.incrementAndGet();
                changed.accept(newObj);
            }

            @Override
            public void onDelete(Pod obj, boolean deletedFinalStateUnknown) {
                podEvents.incrementAndGet();
                deleted.accept(obj);
            }
        };
    }

    /** A pod on a target node appeared or changed. */
    private void onNodePod(String node, Pod pod) {
        synchronized (lock) {
            if (closed || !synced) {
                return;
            }
            recomputeDrain(node, null, world.clock().now(), false);
        }
        if (evictable(pod)) {
            watchOwner(pod, false);
        }
    }

    /** A pod left a target node: evicted (the node up) or deleted with the node down. */
    private void onNodePodDeleted(String node, Pod pod) {
        synchronized (lock) {
            if (closed || !synced) {
                return;
            }
            Instant at = world.clock().now();
            Target t = targetByNode.get(node);
            NodeView v = lastNode.get(node);
            boolean nodeUp = v != null && v.ready() && !v.deleted();
            boolean evictablePod = evictable(pod);
            String owner = owner(pod);
            String name =
                    pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
            add(
                    at,
                    t.instanceId(),
                    nodeUp ? POD_EVICTED : POD_DELETED,
                    "pod " + name + " (" + owner + ") left node " + node
                            + (nodeUp ? "" : " with the node down")
                            + (evictablePod ? "" : "; a drain leaves it (DaemonSet or mirror pod)"),
                    Map.of(
                            "pod", pod.getMetadata().getName(),
                            "namespace", pod.getMetadata().getNamespace(),
                            "owner", owner,
                            "evictable", Boolean.toString(evictablePod)));
            if (evictablePod && !nodeUp) {
                lostPods.merge(node, 1, Integer::sum);
            }
            if (evictablePod) {
                awaitingReplacement.computeIfAbsent(node, k -> new HashMap<>()).merge(ownerKey(pod), 1, Integer::sum);
            }
            recomputeDrain(node, uid(pod), at, false);
        }
    }

    /** A watched Deployment's pod changed; {@code excludeUid} is a pod just deleted. */
    private void onDeploymentPod(Watched w, String excludeUid) {
        synchronized (lock) {
            if (closed || !synced) {
                return;
            }
            recomputeReady(w, excludeUid, world.clock().now(), false);
        }
    }

    /** A pod of an owner that has pods on a target node changed, anywhere: a replacement may be Ready. */
    private void onOwnerPod(Pod pod) {
        synchronized (lock) {
            if (closed || !synced) {
                return;
            }
            if (ready(pod) && pod.getMetadata().getDeletionTimestamp() == null) {
                if (readyPods.add(uid(pod))) {
                    replacementReady(pod, nodeOf(pod), world.clock().now());
                }
            } else {
                readyPods.remove(uid(pod));
            }
        }
    }

    /**
     * Watches the pods with the same labels as this one in its namespace (its owner's pods: a ReplicaSet's share
     * their template's labels), so that a replacement Ready on another node is seen. The pods Ready when the watch
     * syncs are the baseline, not replacements. At start it waits for the sync; later (a pod newly on a target
     * node) it starts in the background.
     */
    private void watchOwner(Pod pod, boolean wait) {
        String ns = pod.getMetadata().getNamespace();
        Map<String, String> labels = pod.getMetadata().getLabels() == null
                ? Map.of()
                : new java.util.TreeMap<>(pod.getMetadata().getLabels());
        String key = ns + "|" + labels;
        if (closed || ownerPods.containsKey(key)) {
            return;
        }
        SharedIndexInformer<Pod> informer = client.pods()
                .inNamespace(ns)
                .withLabels(labels)
                .runnableInformer(0)
                .itemStore(SummaryStore.pods());
        if (ownerPods.putIfAbsent(key, informer) != null) {
            return;
        }
        informers.add(informer);
        java.util.concurrent.CompletableFuture<Void> synced = informer.start()
                .toCompletableFuture()
                .thenRun(() -> {
                    synchronized (lock) {
                        for (Pod p : informer.getStore().list()) {
                            if (ready(p)) {
                                readyPods.add(uid(p));
                            }
                        }
                    }
                    informer.addEventHandler(handler(this::onOwnerPod, p -> {
                        synchronized (lock) {
                            readyPods.remove(uid(p));
                        }
                    }));
                });
        if (wait) {
            await(synced);
        }
    }

    private void replacementReady(Pod pod, String node, Instant at) {
        String key = ownerKey(pod);
        for (Map.Entry<String, Map<String, Integer>> e : awaitingReplacement.entrySet()) {
            if (e.getKey().equals(node)) {
                continue;
            }
            Integer waiting = e.getValue().get(key);
            if (waiting != null && waiting > 0) {
                e.getValue().put(key, waiting - 1);
                String name = pod.getMetadata().getNamespace() + "/"
                        + pod.getMetadata().getName();
                add(
                        at,
                        targetByNode.get(e.getKey()).instanceId(),
                        REPLACEMENT_READY,
                        "pod " + name + " (" + owner(pod) + ") Ready on node " + node + ", replacing one that left "
                                + e.getKey(),
                        Map.of(
                                "pod", pod.getMetadata().getName(),
                                "namespace", pod.getMetadata().getNamespace(),
                                "owner", owner(pod),
                                "node", Objects.toString(node, "")));
                return;
            }
        }
    }

    private void recomputeDrain(String node, String excludeUid, Instant at, boolean initial) {
        Target t = targetByNode.get(node);
        List<String> left = new ArrayList<>();
        for (Pod p : nodePods.get(node).getStore().list()) {
            if (evictable(p) && !uid(p).equals(excludeUid) && !terminal(p)) {
                left.add(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName() + " (" + owner(p) + ")");
            }
        }
        left.sort(null);
        timeline.status(
                t.instanceId(),
                STATUS_PODS,
                at,
                left.isEmpty()
                        ? "no evictable pod left on node " + node
                        : left.size() + " evictable pod" + (left.size() == 1 ? "" : "s") + " still on node " + node
                                + ": " + String.join(", ", left));
        Integer before = evictable.put(node, left.size());
        if (left.isEmpty() && initial) {
            add(
                    at,
                    t.instanceId(),
                    NODE_DRAINED,
                    "no evictable pod on node " + node + " when the probe started",
                    Map.of("initial", "true"));
        } else if (left.isEmpty() && before != null && before > 0) {
            NodeView v = lastNode.get(node);
            boolean nodeUp = v != null && v.ready() && !v.deleted();
            if (nodeUp) {
                add(
                        at,
                        t.instanceId(),
                        NODE_DRAINED,
                        "the last evictable pod left node " + node,
                        Map.of("initial", "false"));
            } else {
                int lost = Math.max(1, lostPods.getOrDefault(node, 0));
                add(
                        at,
                        t.instanceId(),
                        PODS_LOST,
                        "the last evictable pod left node " + node + " with the node down: " + lost
                                + (lost == 1 ? " pod" : " pods") + " lost with the node, not drained",
                        Map.of("pods", Integer.toString(lost)));
            }
        }
    }

    private void recomputeReady(Watched w, String excludeUid, Instant at, boolean initial) {
        int ready = 0;
        for (Pod p : deploymentPods.get(w.name()).getStore().list()) {
            if (!uid(p).equals(excludeUid)
                    && ready(p)
                    && p.getMetadata().getDeletionTimestamp() == null
                    && w.selector().matches(p.getMetadata().getLabels())) {
                ready++;
            }
        }
        timeline.status("", statusReady(w.name()), at, w.name() + " " + ready + " of " + w.desired() + " Ready");
        if (initial || ready != w.lastReady) {
            w.lastReady = ready;
            add(
                    at,
                    "",
                    READY_COUNT,
                    w.name() + ": " + ready + " of " + w.desired() + " Ready"
                            + (initial ? " when the probe started" : ""),
                    Map.of(
                            "deployment",
                            w.name(),
                            "ready",
                            Integer.toString(ready),
                            "desired",
                            Integer.toString(w.desired())));
        }
    }

    private void add(Instant at, String targetId, String kind, String detail, Map<String, String> data) {
        timeline.add(new Observation(at, SOURCE, targetId, kind, detail, data));
    }

    // ------------------------------------------------------------------ helpers

    static String nodeOf(Pod p) {
        return p.getSpec() == null ? null : p.getSpec().getNodeName();
    }

    static String uid(Pod p) {
        String uid = p.getMetadata().getUid();
        return uid != null
                ? uid
                : p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }

    static boolean ready(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        for (PodCondition c : p.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }

    static boolean terminal(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    /**
     * Whether a drain must evict it: not owned by a DaemonSet, not a mirror (static) pod, and not the harness's own
     * IMDS probe pod.
     */
    static boolean evictable(Pod p) {
        Map<String, String> ann = p.getMetadata().getAnnotations();
        if (ann != null && ann.containsKey("kubernetes.io/config.mirror")) {
            return false;
        }
        Map<String, String> labels = p.getMetadata().getLabels();
        if (labels != null && ProbePodSpec.APP.equals(labels.get(ProbePodSpec.APP_LABEL))) {
            return false;
        }
        return controller(p)
                .map(o -> !o.getKind().equals("DaemonSet") && !o.getKind().equals("Node"))
                .orElse(true);
    }

    static Optional<OwnerReference> controller(Pod p) {
        List<OwnerReference> refs = p.getMetadata().getOwnerReferences();
        if (refs == null || refs.isEmpty()) {
            return Optional.empty();
        }
        return refs.stream()
                .filter(o -> Boolean.TRUE.equals(o.getController()))
                .findFirst()
                .or(() -> Optional.of(refs.get(0)));
    }

    static String owner(Pod p) {
        return controller(p).map(o -> o.getKind() + " " + o.getName()).orElse("no owner");
    }

    static String ownerKey(Pod p) {
        return p.getMetadata().getNamespace() + "|"
                + controller(p)
                        .map(o -> o.getKind() + "/" + o.getName())
                        .orElse("pod/" + p.getMetadata().getName());
    }

    /** The nodes this probe watches, by name, with their targets. */
    Map<String, Target> watchedNodes() {
        return Map.copyOf(targetByNode);
    }

    /** Stops the informers and closes the client. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        for (SharedIndexInformer<?> i : informers) {
            try {
                i.close();
            } catch (RuntimeException e) {
                LOG.debug("spotdrill: closing an informer failed: {}", e.toString());
            }
        }
        informers.clear();
        client.close();
    }

    @Override
    public String toString() {
        return "KubeProbe[nodes=" + targetByNode.keySet() + ", deployments=" + deployments.keySet() + "]";
    }

    /** A Deployment whose Ready pods are counted. */
    private static final class Watched {
        private final String name;
        private final String namespace;
        private final LabelSelector selector;
        private final String selectorText;
        private final int desired;
        int lastReady = -1;

        Watched(String name, String namespace, LabelSelector selector, String selectorText, int desired) {
            this.name = name;
            this.namespace = namespace;
            this.selector = selector;
            this.selectorText = selectorText;
            this.desired = desired;
        }

        String selectorText() {
            return selectorText;
        }

        String name() {
            return name;
        }

        String namespace() {
            return namespace;
        }

        LabelSelector selector() {
            return selector;
        }

        int desired() {
            return desired;
        }
    }

    /** A taint as the probe compares it. */
    record TaintView(String key, String value, String effect) {
        static TaintView of(Taint t) {
            return new TaintView(t.getKey(), Objects.toString(t.getValue(), ""), Objects.toString(t.getEffect(), ""));
        }

        Map<String, String> data(boolean initial) {
            return Map.of("key", key, "value", value, "effect", effect, "initial", Boolean.toString(initial));
        }

        @Override
        public String toString() {
            return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
        }
    }

    /** What the probe compares between two sightings of a node. */
    record NodeView(
            Set<TaintView> taints, boolean unschedulable, String readyStatus, String readyReason, boolean deleted) {
        static NodeView of(Node n) {
            Set<TaintView> taints = new LinkedHashSet<>();
            if (n.getSpec() != null && n.getSpec().getTaints() != null) {
                n.getSpec().getTaints().forEach(t -> taints.add(TaintView.of(t)));
            }
            boolean unschedulable =
                    n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
            String status = "Unknown";
            String reason = "";
            if (n.getStatus() != null && n.getStatus().getConditions() != null) {
                for (NodeCondition c : n.getStatus().getConditions()) {
                    if ("Ready".equals(c.getType())) {
                        status = Objects.toString(c.getStatus(), "Unknown");
                        reason = Objects.toString(c.getReason(), "");
                    }
                }
            }
            return new NodeView(taints, unschedulable, status, reason, false);
        }

        boolean ready() {
            return readyStatus.equals("True");
        }

        /** The same view, of a node that was deleted. */
        NodeView asDeleted() {
            return new NodeView(taints, unschedulable, readyStatus, readyReason, true);
        }
    }
}
