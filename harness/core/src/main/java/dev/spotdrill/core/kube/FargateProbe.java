package dev.spotdrill.core.kube;

import static dev.spotdrill.core.kube.FargateObservations.*;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Timeline;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches Deployments that a Spot→Fargate orchestrator moves, with Fabric8 informers (never by polling lists): each
 * Deployment by name, its pods by its label selector in its namespace, and every node one of those pods lands on,
 * by name. Each change lands on the drill's {@link Timeline} as one observation (see {@link FargateObservations}):
 * annotations changed, pod template changed, a recovery attempt, a pod Pending (with its scheduling reason),
 * scheduled, Ready on a node (with the node's compute label), deleted, the rollout started or complete. Each carries
 * a {@link DeploymentSnapshot} of the Deployment after the change.
 *
 * <p>{@link #close()} stops the informers and closes the client.
 */
public final class FargateProbe implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FargateProbe.class);
    private static final long SYNC_TIMEOUT_SECONDS = 30;
    /** The node label EKS gives Fargate nodes; always recorded. */
    public static final String COMPUTE_TYPE = "eks.amazonaws.com/compute-type";

    private final World world;
    private final Timeline timeline;
    private final KubernetesClient client;
    private final Set<String> computeLabels;
    private final Set<String> nodeLabelKeys;
    private final String fargateValue;
    private final Map<String, Watch> watches = new LinkedHashMap<>();
    private final Map<String, Node> nodes = new TreeMap<>();
    private final Map<String, CompletableFuture<Void>> nodesWatched = new LinkedHashMap<>();
    private final List<SharedIndexInformer<?>> informers = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile boolean synced;
    private volatile boolean closed;

    private FargateProbe(
            World world,
            Timeline timeline,
            KubernetesClient client,
            Set<String> computeLabels,
            Set<String> nodeLabelKeys,
            String fargateValue) {
        this.world = world;
        this.timeline = timeline;
        this.client = client;
        this.computeLabels = Set.copyOf(computeLabels);
        Set<String> keys = new LinkedHashSet<>(nodeLabelKeys);
        keys.add(COMPUTE_TYPE);
        this.nodeLabelKeys = Set.copyOf(keys);
        this.fargateValue = fargateValue;
    }

    /**
     * Starts the informers and returns once they have synced and the starting state is on the timeline.
     *
     * @param deployments the Deployments, {@code namespace/name}
     * @param computeLabels the pod template label keys an orchestrator switches (for recovery attempts), e.g.
     *     {@code compute-type}
     * @param nodeLabelKeys node labels to record for each pod's node, besides {@value #COMPUTE_TYPE}
     * @throws SpotDrillConfigurationException when a Deployment does not exist
     */
    public static FargateProbe start(
            World world,
            Timeline timeline,
            List<String> deployments,
            Set<String> computeLabels,
            Set<String> nodeLabelKeys) {
        KubernetesClient client = KubeClientFactory.client(world, "the Fargate expectations");
        FargateProbe probe = new FargateProbe(world, timeline, client, computeLabels, nodeLabelKeys, "fargate");
        try {
            probe.begin(deployments);
            return probe;
        } catch (RuntimeException e) {
            probe.close();
            throw e;
        }
    }

    private void begin(List<String> names) {
        long t0 = System.nanoTime();
        for (String name : names) {
            String ns = name.substring(0, name.indexOf('/'));
            String n = name.substring(name.indexOf('/') + 1);
            Deployment d =
                    client.apps().deployments().inNamespace(ns).withName(n).get();
            if (d == null) {
                throw new SpotDrillConfigurationException(FargateSource.noSuchDeployment(name));
            }
            watches.put(name, new Watch(name, ns, n, d.getSpec().getSelector()));
        }
        List<CompletableFuture<Void>> syncs = new ArrayList<>();
        for (Watch w : watches.values()) {
            SharedIndexInformer<Deployment> di = client.apps()
                    .deployments()
                    .inNamespace(w.namespace)
                    .withField("metadata.name", w.shortName)
                    .runnableInformer(0);
            di.addEventHandler(handler(d -> onDeployment(w, d), d -> onDeploymentDeleted(w)));
            SharedIndexInformer<Pod> pi = client.pods()
                    .inNamespace(w.namespace)
                    .withLabelSelector(w.selector)
                    .runnableInformer(0);
            pi.addEventHandler(handler(p -> onPod(w, p), p -> onPodDeleted(w, p)));
            informers.add(di);
            informers.add(pi);
            syncs.add(di.start().toCompletableFuture());
            syncs.add(pi.start().toCompletableFuture());
        }
        await(syncs);
        // the nodes the pods run on now, synced too, so that the starting state names them
        List<CompletableFuture<Void>> nodeSyncs;
        synchronized (lock) {
            for (Watch w : watches.values()) {
                for (Pod p : w.pods.values()) {
                    watchNode(nodeOf(p));
                }
            }
            nodeSyncs = new ArrayList<>(nodesWatched.values());
        }
        await(nodeSyncs);
        synchronized (lock) {
            Instant at = world.clock().now();
            for (Watch w : watches.values()) {
                DeploymentSnapshot s = snapshot(w);
                w.last = s;
                Map<String, String> data = data(w, s);
                data.put("initial", "true");
                timeline.add(new Observation(
                        at, SOURCE, "", DEPLOYMENT_STATE, w.name + " when the source started: " + summary(s), data));
                timeline.status("", status(w.name), at, summary(s));
            }
            synced = true;
        }
        LOG.debug(
                "spotdrill: Fargate probe synced on {} in {} ms",
                watches.keySet(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static void await(List<CompletableFuture<Void>> syncs) {
        for (CompletableFuture<Void> sync : syncs) {
            try {
                sync.get(SYNC_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SpotDrillException("interrupted while the Fargate probe synced", e);
            } catch (Exception e) {
                throw new SpotDrillException(
                        "the Fargate probe's informers did not sync within " + SYNC_TIMEOUT_SECONDS + " s (" + e
                                + "); check that the credentials may watch deployments, pods and nodes",
                        e);
            }
        }
    }

    private static <T> ResourceEventHandler<T> handler(Consumer<T> upsert, Consumer<T> delete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                upsert.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                upsert.accept(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                delete.accept(obj);
            }
        };
    }

    // ------------------------------------------------------------------ events

    private void onDeployment(Watch w, Deployment d) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            w.current = d;
            changed(w);
        }
    }

    private void onDeploymentDeleted(Watch w) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            w.current = null;
            changed(w);
        }
    }

    private void onPod(Watch w, Pod p) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (p.getMetadata().getDeletionTimestamp() != null) {
                w.pods.remove(p.getMetadata().getName());
            } else {
                w.pods.put(p.getMetadata().getName(), p);
                watchNode(nodeOf(p));
            }
            changed(w);
        }
    }

    private void onPodDeleted(Watch w, Pod p) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            w.pods.remove(p.getMetadata().getName());
            changed(w);
        }
    }

    private void onNode(Node n, boolean deleted) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (deleted) {
                nodes.remove(n.getMetadata().getName());
            } else {
                nodes.put(n.getMetadata().getName(), n);
            }
            for (Watch w : watches.values()) {
                if (w.pods.values().stream()
                        .anyMatch(p -> n.getMetadata().getName().equals(nodeOf(p)))) {
                    changed(w);
                }
            }
        }
    }

    /** Starts watching a node the first time a pod lands on it (its informer syncs in the background). */
    private void watchNode(String node) {
        if (node == null || closed || nodesWatched.containsKey(node)) {
            return;
        }
        SharedIndexInformer<Node> ni =
                client.nodes().withField("metadata.name", node).runnableInformer(0);
        ni.addEventHandler(handler(n -> onNode(n, false), n -> onNode(n, true)));
        informers.add(ni);
        nodesWatched.put(node, ni.start().toCompletableFuture());
    }

    private static String nodeOf(Pod p) {
        return p.getSpec() == null ? null : p.getSpec().getNodeName();
    }

    private static boolean ready(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        return p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    // ------------------------------------------------------------------ snapshots and what changed

    private DeploymentSnapshot snapshot(Watch w) {
        Deployment d = w.current;
        List<DeploymentSnapshot.PodState> pods = new ArrayList<>();
        for (Pod p : new TreeMap<>(w.pods).values()) {
            String node = nodeOf(p);
            Node n = node == null ? null : nodes.get(node);
            Map<String, String> labels = new TreeMap<>();
            if (n != null && n.getMetadata().getLabels() != null) {
                for (String k : nodeLabelKeys) {
                    String v = n.getMetadata().getLabels().get(k);
                    if (v != null) {
                        labels.put(k, v);
                    }
                }
            }
            pods.add(new DeploymentSnapshot.PodState(
                    p.getMetadata().getName(),
                    node,
                    p.getStatus() == null ? "" : p.getStatus().getPhase(),
                    ready(p),
                    p.getSpec() == null ? "" : p.getSpec().getSchedulerName(),
                    node == null ? scheduling(p) : "",
                    labels,
                    n != null));
        }
        if (d == null) {
            return new DeploymentSnapshot(w.name, false, 0, 0, 0, 0, 0, 0, Map.of(), Map.of(), Map.of(), pods);
        }
        var s = d.getStatus();
        var t = d.getSpec().getTemplate();
        return new DeploymentSnapshot(
                w.name,
                true,
                d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration(),
                s == null || s.getObservedGeneration() == null ? 0 : s.getObservedGeneration(),
                d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas(),
                s == null || s.getReplicas() == null ? 0 : s.getReplicas(),
                s == null || s.getUpdatedReplicas() == null ? 0 : s.getUpdatedReplicas(),
                s == null || s.getAvailableReplicas() == null ? 0 : s.getAvailableReplicas(),
                d.getMetadata().getAnnotations(),
                t.getMetadata() == null ? Map.of() : t.getMetadata().getLabels(),
                t.getSpec() == null ? Map.of() : t.getSpec().getNodeSelector(),
                pods);
    }

    private static String scheduling(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return "";
        }
        for (PodCondition c : p.getStatus().getConditions()) {
            if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())) {
                String reason = Objects.toString(c.getReason(), "");
                String message = Objects.toString(c.getMessage(), "");
                return message.isEmpty() ? reason : reason + ": " + message;
            }
        }
        return "";
    }

    /** Compares the Deployment with how it was last seen and puts each change on the timeline. */
    private void changed(Watch w) {
        if (!synced) {
            return;
        }
        DeploymentSnapshot now = snapshot(w);
        DeploymentSnapshot before = w.last;
        if (now.equals(before)) {
            return;
        }
        w.last = now;
        Instant at = world.clock().now();
        timeline.status("", status(w.name), at, summary(now));
        if (before.exists() && !now.exists()) {
            add(w, now, at, DEPLOYMENT_DELETED, "Deployment " + w.name + " deleted", Map.of());
            return;
        }
        // annotations
        Set<String> keys = new java.util.TreeSet<>(before.annotations().keySet());
        keys.addAll(now.annotations().keySet());
        List<String> changes = new ArrayList<>();
        List<String> changedKeys = new ArrayList<>();
        for (String k : keys) {
            String was = before.annotations().get(k);
            String is = now.annotations().get(k);
            if (!Objects.equals(was, is)) {
                changedKeys.add(k);
                changes.add(k + (is == null ? " removed" : "=" + is) + (was == null ? "" : " (was " + was + ")"));
            }
        }
        if (!changes.isEmpty()) {
            add(
                    w,
                    now,
                    at,
                    ANNOTATIONS_CHANGED,
                    w.name + " annotations: " + String.join(", ", changes),
                    Map.of("changed", String.join(",", changedKeys)));
        }
        // the pod template
        if (!before.templateLabels().equals(now.templateLabels())
                || !before.nodeSelector().equals(now.nodeSelector())) {
            add(
                    w,
                    now,
                    at,
                    TEMPLATE_CHANGED,
                    w.name + " pod template (generation " + now.generation() + "): labels "
                            + pairs(without(now.templateLabels(), "app", "pod-template-hash")) + ", nodeSelector "
                            + pairs(now.nodeSelector()),
                    Map.of());
            for (String key : computeLabels) {
                String was = before.templateLabels().get(key);
                String is = now.templateLabels().get(key);
                if (fargateValue.equals(was) && !Objects.equals(was, is)) {
                    add(
                            w,
                            now,
                            at,
                            RECOVERY_ATTEMPT,
                            "recovery attempt: " + w.name + " pod template " + key + " " + was + " -> " + is,
                            Map.of("label", key, "value", Objects.toString(is, "")));
                }
            }
        }
        // the pods
        Map<String, DeploymentSnapshot.PodState> was =
                before.pods().stream().collect(Collectors.toMap(DeploymentSnapshot.PodState::name, p -> p));
        for (DeploymentSnapshot.PodState p : now.pods()) {
            DeploymentSnapshot.PodState old = was.remove(p.name());
            String pod = w.namespace + "/" + p.name();
            if (p.pending()) {
                if (old == null || !old.pending() || !old.scheduling().equals(p.scheduling())) {
                    add(
                            w,
                            now,
                            at,
                            POD_PENDING,
                            "pod " + pod + " Pending"
                                    + (p.scheduling().isEmpty()
                                            ? ", not scheduled yet"
                                                    + (p.scheduler().isEmpty()
                                                            ? ""
                                                            : " (scheduler " + p.scheduler() + ")")
                                            : ": " + p.scheduling()),
                            Map.of("pod", p.name(), "reason", p.scheduling()));
                }
                continue;
            }
            if (old == null || old.pending()) {
                add(
                        w,
                        now,
                        at,
                        POD_SCHEDULED,
                        "pod " + pod + " scheduled on node " + p.node() + " " + nodeText(p),
                        Map.of("pod", p.name(), "node", p.node()));
            } else if (!old.nodeSeen() && p.nodeSeen()) {
                add(
                        w,
                        now,
                        at,
                        NODE_SEEN,
                        "node " + p.node() + " of pod " + pod + " " + nodeText(p),
                        Map.of("pod", p.name(), "node", p.node()));
            }
            boolean wasReady = old != null && old.ready();
            if (p.ready() && !wasReady) {
                add(
                        w,
                        now,
                        at,
                        POD_READY,
                        "pod " + pod + " Ready on node " + p.node() + " " + nodeText(p),
                        Map.of("pod", p.name(), "node", p.node()));
            } else if (!p.ready() && wasReady) {
                add(
                        w,
                        now,
                        at,
                        POD_NOT_READY,
                        "pod " + pod + " not Ready on node " + p.node(),
                        Map.of("pod", p.name(), "node", p.node()));
            }
        }
        for (DeploymentSnapshot.PodState gone : was.values()) {
            add(
                    w,
                    now,
                    at,
                    POD_DELETED,
                    "pod " + w.namespace + "/" + gone.name() + " deleted"
                            + (gone.node() == null ? " while Pending" : " (was on node " + gone.node() + ")"),
                    Map.of("pod", gone.name(), "node", Objects.toString(gone.node(), "")));
        }
        // the rollout
        if (now.rolloutComplete() && !before.rolloutComplete()) {
            add(w, now, at, ROLLOUT_COMPLETE, w.name + " rollout complete: " + now.rollout(), Map.of());
        } else if (!now.rolloutComplete() && before.rolloutComplete() && now.exists()) {
            add(w, now, at, ROLLOUT_STARTED, w.name + " rolling out: " + now.rollout(), Map.of());
        } else if (!now.rolloutComplete() && now.exists() && !now.rollout().equals(before.rollout())) {
            add(w, now, at, ROLLOUT_PROGRESS, w.name + " rolling out: " + now.rollout(), Map.of());
        }
    }

    private String nodeText(DeploymentSnapshot.PodState p) {
        if (!p.nodeSeen()) {
            return "(node not seen yet)";
        }
        return nodeLabelKeys.stream()
                .sorted()
                .map(k ->
                        p.nodeLabels().containsKey(k) ? k + "=" + p.nodeLabels().get(k) : k + " unset")
                .collect(Collectors.joining(", ", "(", ")"));
    }

    private void add(Watch w, DeploymentSnapshot s, Instant at, String kind, String detail, Map<String, String> extra) {
        Map<String, String> data = data(w, s);
        data.putAll(extra);
        timeline.add(new Observation(at, SOURCE, "", kind, detail, data));
    }

    private static Map<String, String> data(Watch w, DeploymentSnapshot s) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(DEPLOYMENT, w.name);
        data.put(SNAPSHOT, s.toJson());
        return data;
    }

    /** One line on a Deployment: its orchestrator state annotations, rollout and where its pods are. */
    static String summary(DeploymentSnapshot s) {
        if (!s.exists()) {
            return s.deployment() + " deleted";
        }
        Map<String, String> ann = new TreeMap<>();
        s.annotations().forEach((k, v) -> {
            if (k.startsWith("spot-orchestrator")) {
                ann.put(k, v);
            }
        });
        String pods = s.pods().stream()
                .map(p -> p.name()
                        + (p.pending() ? " Pending" : (p.ready() ? " Ready" : " not Ready") + " on " + p.node()))
                .collect(Collectors.joining(", "));
        return s.deployment() + ": " + (ann.isEmpty() ? "no spot-orchestrator annotations" : pairs(ann)) + "; "
                + s.rollout() + (s.rolloutComplete() ? " (rolled out)" : " (rolling out)") + "; pods: "
                + (pods.isEmpty() ? "none" : pods);
    }

    private static Map<String, String> without(Map<String, String> m, String... keys) {
        Map<String, String> out = new TreeMap<>(m);
        for (String k : keys) {
            out.remove(k);
        }
        return out;
    }

    private static String pairs(Map<String, String> m) {
        return m.isEmpty()
                ? "{}"
                : m.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(", ", "{", "}"));
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
        return "FargateProbe[deployments=" + watches.keySet() + ", nodes=" + nodesWatched.keySet() + "]";
    }

    /** One watched Deployment, its pods by name, and how it was last put on the timeline. */
    private static final class Watch {
        final String name;
        final String namespace;
        final String shortName;
        final LabelSelector selector;
        final Map<String, Pod> pods = new TreeMap<>();
        Deployment current;
        DeploymentSnapshot last;

        Watch(String name, String namespace, String shortName, LabelSelector selector) {
            this.name = name;
            this.namespace = namespace;
            this.shortName = shortName;
            this.selector = selector;
        }
    }
}
