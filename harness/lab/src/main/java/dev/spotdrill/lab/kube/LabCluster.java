package dev.spotdrill.lab.kube;

import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's Kubernetes cluster: the lab's own kubectl-grade API server ({@link KubeApiServer}) on 127.0.0.1 (plain
 * HTTP, dynamic port) with pod eviction, events and watches, a small controller that gives it Deployments, DaemonSets, scheduling, readiness and node
 * lifecycle, and a reference aws-node-termination-handler (IMDS mode) on each Spot node.
 *
 * <p>Pods of a Deployment are owned by a ReplicaSet {@code <deployment>-<hash>}, which the Deployment owns, as in
 * Kubernetes; DaemonSet pods are owned by their DaemonSet. World time comes from the {@link WorldClock}.
 */
public final class LabCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LabCluster.class);
    private static final Pattern EKS_NAME = Pattern.compile("ip-(\\d+)-(\\d+)-(\\d+)-(\\d+)\\..*");
    /**
     * The lab fault that keeps a dead node: the node of a terminated instance turns NotReady and its pods go, but
     * the node object is never deleted, as when no cloud controller removes it.
     */
    public static final String KEEP_DEAD_NODES = "cluster.keep-dead-nodes";

    private final ClusterSpec spec;
    private final WorldClock clock;
    private final ImdsLocator imds;
    private final Supplier<Map<String, String>> activeFaults;
    private final KubeApiServer api;
    private final PodLogs podLogs = new PodLogs();
    private final URI masterUrl;
    private final KubernetesClient client;
    /** The lab's own components' in-process access to the API server's storage. */
    private final LabApi labApi;

    private final KubernetesClient handlerClient;
    private final ScheduledExecutorService controllerExecutor;
    private final ScheduledExecutorService handlerExecutor;
    private final ExecutorService httpExecutor;
    private final HttpClient http;
    private final LabController controller;
    private final Map<String, String> nodeByInstance = new ConcurrentHashMap<>();
    private final Map<String, TerminationHandler> handlers = new ConcurrentHashMap<>();
    private final AtomicInteger ipCounter = new AtomicInteger();
    private final LabFargate fargate;
    private volatile QueueProcessor queueProcessor;
    private volatile FargateOrchestrator fargateOrchestrator;
    private volatile KubernetesClient orchestratorClient;
    private volatile boolean closed;

    private LabCluster(
            ClusterSpec spec,
            WorldClock clock,
            ImdsLocator imds,
            Supplier<Map<String, String>> activeFaults,
            int apiPort) {
        this.spec = spec;
        this.clock = clock;
        this.imds = imds;
        this.activeFaults = activeFaults;
        this.api = KubeApiServer.start(clock, apiPort);
        this.masterUrl = api.url();
        api.podLogs(podLogs);
        api.accessReviews(() -> java.util.Optional.ofNullable(activeFaults.get().get(AccessReviews.RBAC_DENY)));
        this.client = newClient(masterUrl, 0);
        this.handlerClient = newClient(masterUrl, 0);
        this.controllerExecutor = scheduler("spotdrill-kube-controller", 1);
        this.handlerExecutor = scheduler("spotdrill-kube-nth", 2);
        this.httpExecutor = Executors.newCachedThreadPool(threads("spotdrill-kube-nth-http"));
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .executor(httpExecutor)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.fargate = new LabFargate(
                spec.fargate(),
                client,
                clock,
                activeFaults,
                spec.nodes().stream().map(NodeSpec::zone).distinct().sorted().toList());
        this.labApi = new LabApi(api.store());
        this.controller = new LabController(
                labApi,
                clock,
                controllerExecutor,
                spec.nodeDeletionDelay(),
                api.events(),
                () -> activeFaults.get().containsKey(KEEP_DEAD_NODES),
                fargate);
    }

    /**
     * Starts the cluster with no handler faults.
     *
     * @see #start(ClusterSpec, WorldClock, ImdsLocator, Supplier)
     */
    public static LabCluster start(ClusterSpec spec, WorldClock clock, ImdsLocator imds) {
        return start(spec, clock, imds, Map::of);
    }

    /**
     * Starts the API server, creates the spec's nodes, Deployments (with their PodDisruptionBudgets) and
     * DaemonSets, starts the controller and one termination handler per covered node.
     *
     * @param spec what the cluster holds
     * @param clock the world clock (its pace scales every delay)
     * @param imds where each instance's IMDS is served, for the termination handlers
     * @param activeFaults the lab's active faults, read on every handler poll ({@code terminationHandler.*} keys,
     *     see {@link TerminationHandlerFaults}) and when a dead node is due for deletion ({@link #KEEP_DEAD_NODES});
     *     other keys are ignored
     */
    public static LabCluster start(
            ClusterSpec spec, WorldClock clock, ImdsLocator imds, Supplier<Map<String, String>> activeFaults) {
        return start(spec, clock, imds, activeFaults, 0);
    }

    /**
     * As {@link #start(ClusterSpec, WorldClock, ImdsLocator, Supplier)}, with the API server on a fixed port.
     *
     * @param apiPort the API server's port on 127.0.0.1; 0 for a dynamic one
     * @throws dev.spotdrill.core.SpotDrillConfigurationException when the port is in use
     */
    public static LabCluster start(
            ClusterSpec spec,
            WorldClock clock,
            ImdsLocator imds,
            Supplier<Map<String, String>> activeFaults,
            int apiPort) {
        if (spec == null || clock == null || imds == null || activeFaults == null) {
            throw new IllegalArgumentException("LabCluster.start needs a spec, a clock, an IMDS locator and a fault"
                    + " supplier; pass Map::of for no faults");
        }
        LabCluster cluster = new LabCluster(spec, clock, imds, activeFaults, apiPort);
        try {
            cluster.populate();
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void populate() {
        for (NodeSpec node : spec.nodes()) {
            createNode(node);
        }
        for (WorkloadSpec w : spec.workloads()) {
            createWorkload(w);
        }
        for (DaemonSetSpec ds : spec.daemonSets()) {
            createDaemonSet(ds);
        }
        controller.start();
        for (NodeSpec node : spec.nodes()) {
            startHandler(node);
        }
    }

    /** Calls the listener with every change of the API server's storage, under its lock (for benchmarks). */
    void onStoreChange(java.util.function.Consumer<ApiStore.Change> listener) {
        api.store().addListener(listener);
    }

    /** The PodDisruptionBudgets with fewer healthy pods than they ask for (namespace/name), for tests. */
    List<String> unsatisfiedBudgets() {
        return api.evictions().unsatisfied();
    }

    /** The API server's URL (plain HTTP on 127.0.0.1). */
    public URI masterUrl() {
        return masterUrl;
    }

    /** An admin client for the lab's own use and for tests; it does not retry (requestRetryBackoffLimit 0). */
    public KubernetesClient client() {
        return client;
    }

    /** The spec the cluster was started with. */
    public ClusterSpec spec() {
        return spec;
    }

    /** The API server's storage, read and written in process by the lab's own control plane. */
    LabApi labApi() {
        return labApi;
    }

    /** The logs of the pods the lab runs itself, served on pods/log. */
    PodLogs podLogs() {
        return podLogs;
    }

    /** The node backed by the instance, if any. */
    public Optional<String> nodeNameFor(String instanceId) {
        return Optional.ofNullable(nodeByInstance.get(instanceId));
    }

    /** How many evictions the API server granted and refused (PodDisruptionBudget) so far. */
    public long evictionsGranted() {
        return api.evictions().evictions();
    }

    /** How many evictions a PodDisruptionBudget refused so far. */
    public long evictionsRefused() {
        return api.evictions().refusals();
    }

    /**
     * A replacement instance joins: creates its node and, when the handler settings cover it, its termination
     * handler.
     *
     * @throws IllegalArgumentException when a node of that name or instance already exists
     */
    public void addNode(NodeSpec node) {
        checkOpen();
        if (nodeByInstance.containsKey(node.instanceId()) || nodeByInstance.containsValue(node.name())) {
            throw new IllegalArgumentException("node " + node.name() + " / instance " + node.instanceId()
                    + " already exists in the lab cluster; use a new name and instance id");
        }
        createNode(node);
        startHandler(node);
    }

    /**
     * The instance behind a node was terminated (called from the EC2 lifecycle): its termination handler stops,
     * its node turns NotReady at once and its pods are no longer Ready; after the node deletion delay (world time)
     * the node and its pods are deleted, and the controller replaces the pods on other nodes.
     *
     * @return whether the instance backed a node
     */
    public boolean instanceTerminated(String instanceId) {
        checkOpen();
        String nodeName = nodeByInstance.get(instanceId);
        if (nodeName == null) {
            return false;
        }
        TerminationHandler handler = handlers.remove(nodeName);
        if (handler != null) {
            handler.stop();
        }
        controller.nodeLost(nodeName);
        return true;
    }

    /** The nodes that run a termination handler now. */
    public List<String> handlerNodes() {
        return handlers.keySet().stream().sorted().toList();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the lab cluster is closed");
        }
    }

    private void createNode(NodeSpec n) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("kubernetes.io/hostname", n.name());
        labels.put("kubernetes.io/os", "linux");
        labels.put("kubernetes.io/arch", "amd64");
        labels.put("node.kubernetes.io/instance-type", n.instanceType());
        labels.put("topology.kubernetes.io/zone", n.zone());
        labels.put("topology.kubernetes.io/region", n.zone().replaceAll("[a-z]$", ""));
        labels.put("eks.amazonaws.com/capacityType", n.capacityType().name());
        labels.putAll(n.labels());
        Map<String, Quantity> allocatable = Map.of(
                "cpu", new Quantity("1930m"),
                "memory", new Quantity("7220Mi"),
                "pods", new Quantity("110"),
                "ephemeral-storage", new Quantity("18242267924"));
        String now = clock.now().toString();
        Node node = new NodeBuilder()
                .withNewMetadata()
                .withName(n.name())
                .withUid(UUID.randomUUID().toString())
                .withLabels(labels)
                .withCreationTimestamp(now)
                .endMetadata()
                .withNewSpec()
                .withProviderID(n.providerId())
                .withTaints(n.taints().stream()
                        .map(t -> new TaintBuilder()
                                .withKey(t.key())
                                .withValue(t.value().isEmpty() ? null : t.value())
                                .withEffect(t.effect())
                                .build())
                        .toList())
                .endSpec()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .withReason("KubeletReady")
                .withMessage("kubelet is posting ready status")
                .withLastHeartbeatTime(now)
                .withLastTransitionTime(now)
                .endCondition()
                .addNewAddress()
                .withType("InternalIP")
                .withAddress(internalIp(n.name()))
                .endAddress()
                .addNewAddress()
                .withType("Hostname")
                .withAddress(n.name())
                .endAddress()
                .withAllocatable(allocatable)
                .withCapacity(allocatable)
                .withNewNodeInfo()
                .withKubeletVersion("v1.30.0-eks-lab")
                .withOperatingSystem("linux")
                .withArchitecture("amd64")
                .withContainerRuntimeVersion("containerd://1.7.0")
                .withOsImage("Amazon Linux 2023 (spotdrill lab)")
                .withKernelVersion("6.1.0-lab")
                .endNodeInfo()
                .endStatus()
                .build();
        labApi.create(node);
        api.events().registeredNode(n.name());
        nodeByInstance.put(n.instanceId(), n.name());
    }

    private String internalIp(String name) {
        Matcher m = EKS_NAME.matcher(name);
        if (m.matches()) {
            return m.group(1) + "." + m.group(2) + "." + m.group(3) + "." + m.group(4);
        }
        int i = ipCounter.incrementAndGet();
        return "10.0.200." + (i % 250 + 1);
    }

    private void createWorkload(WorkloadSpec w) {
        Map<String, String> labels = Map.of(LabController.APP_LABEL, w.name());
        Map<String, String> templateLabels = new LinkedHashMap<>(labels);
        templateLabels.putAll(w.labels());
        List<Toleration> tolerations = w.tolerations().stream()
                .map(t -> new TolerationBuilder()
                        .withKey(t.key().isEmpty() ? null : t.key())
                        .withOperator(t.operator())
                        .withValue(t.value().isEmpty() ? null : t.value())
                        .withEffect(t.effect().isEmpty() ? null : t.effect())
                        .build())
                .toList();
        labApi.create(new DeploymentBuilder()
                .withNewMetadata()
                .withName(w.name())
                .withNamespace(w.namespace())
                .withUid(UUID.randomUUID().toString())
                .withLabels(labels)
                .withGeneration(1L)
                .endMetadata()
                .withNewSpec()
                .withReplicas(w.replicas())
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(templateLabels)
                .withAnnotations(Map.of(
                        Kube.READINESS_DELAY_ANNOTATION, w.readinessDelay().toString()))
                .endMetadata()
                .withNewSpec()
                .withNodeSelector(w.nodeSelector().isEmpty() ? null : w.nodeSelector())
                .withTolerations(tolerations.isEmpty() ? null : tolerations)
                .withContainers(PodShapes.container(
                        w.namespace(), w.name(), "public.ecr.aws/lab/" + w.name() + ":1.0", "100m", "128Mi"))
                .withVolumes(PodShapes.volumes())
                .withServiceAccountName(w.name())
                .withDnsPolicy("ClusterFirst")
                .withRestartPolicy("Always")
                .withSchedulerName("default-scheduler")
                .withTerminationGracePeriodSeconds(30L)
                .withEnableServiceLinks(true)
                .withPreemptionPolicy("PreemptLowerPriority")
                .withPriority(0)
                .withNewSecurityContext()
                .withFsGroup(65534L)
                .endSecurityContext()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build());
        w.pdb()
                .ifPresent(p -> labApi.create(new PodDisruptionBudgetBuilder()
                        .withNewMetadata()
                        .withName(w.name() + "-pdb")
                        .withNamespace(w.namespace())
                        .endMetadata()
                        .withNewSpec()
                        .withMinAvailable(
                                p.minAvailable().map(LabCluster::intOrString).orElse(null))
                        .withMaxUnavailable(
                                p.maxUnavailable().map(LabCluster::intOrString).orElse(null))
                        .withNewSelector()
                        .withMatchLabels(labels)
                        .endSelector()
                        .endSpec()
                        .build()));
    }

    private static IntOrString intOrString(String v) {
        return v.endsWith("%") ? new IntOrString(v) : new IntOrString(Integer.parseInt(v));
    }

    private void createDaemonSet(DaemonSetSpec ds) {
        Map<String, String> labels = Map.of(LabController.APP_LABEL, ds.name());
        labApi.create(new DaemonSetBuilder()
                .withNewMetadata()
                .withName(ds.name())
                .withNamespace(ds.namespace())
                .withUid(UUID.randomUUID().toString())
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .withAnnotations(Map.of(Kube.READINESS_DELAY_ANNOTATION, "PT2S"))
                .endMetadata()
                .withNewSpec()
                .withTolerations(new TolerationBuilder().withOperator("Exists").build())
                .withContainers(PodShapes.container(
                        ds.namespace(), ds.name(), "public.ecr.aws/lab/" + ds.name() + ":1.0", "25m", "64Mi"))
                .withVolumes(PodShapes.volumes())
                .withServiceAccountName(ds.name())
                .withDnsPolicy("ClusterFirst")
                .withRestartPolicy("Always")
                .withSchedulerName("default-scheduler")
                .withTerminationGracePeriodSeconds(30L)
                .withPriorityClassName("system-node-critical")
                .endSpec()
                .endTemplate()
                .endSpec()
                .build());
    }

    private void startHandler(NodeSpec node) {
        if (!spec.terminationHandler().covers(node)) {
            return;
        }
        TerminationHandler h = new TerminationHandler(
                node.name(),
                node.instanceId(),
                spec.terminationHandler(),
                handlerClient,
                clock,
                imds,
                activeFaults,
                handlerExecutor,
                http,
                api.events());
        handlers.put(node.name(), h);
        if (spec.terminationHandler().mode() == TerminationHandlerSpec.Mode.IMDS) {
            h.start();
        }
    }

    /**
     * Queue mode: starts the termination handler's queue processor on the given queue, through the given client (its
     * HTTP client must allow a 20 s long poll). It stops when the cluster closes.
     *
     * @throws IllegalStateException when the handler is not in queue mode, or a processor already runs
     */
    public synchronized void startQueueProcessor(software.amazon.awssdk.services.sqs.SqsClient sqs, String queueUrl) {
        checkOpen();
        if (spec.terminationHandler().mode() != TerminationHandlerSpec.Mode.QUEUE || queueProcessor != null) {
            throw new IllegalStateException(
                    "the termination handler is in " + spec.terminationHandler().mode()
                            + " mode" + (queueProcessor != null ? " and its queue processor already runs" : "")
                            + "; a queue processor runs once, in queue mode");
        }
        QueueProcessor p = new QueueProcessor(this, sqs, queueUrl);
        queueProcessor = p;
        p.start();
    }

    /**
     * Starts the reference Spot→Fargate orchestrator on its queue, through the given SQS client (its HTTP client must
     * allow a 20 s long poll), with a Kubernetes client of its own. It stops when the cluster closes.
     *
     * @throws IllegalStateException when an orchestrator already runs
     */
    public synchronized void startFargateOrchestrator(
            FargateOrchestratorSpec settings, software.amazon.awssdk.services.sqs.SqsClient sqs, String queueUrl) {
        checkOpen();
        if (fargateOrchestrator != null) {
            throw new IllegalStateException("the Fargate orchestrator already runs; it runs once per cluster");
        }
        orchestratorClient = newClient(masterUrl, 0);
        FargateOrchestrator o =
                new FargateOrchestrator(settings, orchestratorClient, clock, sqs, queueUrl, activeFaults);
        fargateOrchestrator = o;
        o.start();
    }

    /**
     * What the reference Fargate orchestrator did so far, oldest first, each line starting with its world time;
     * empty when none runs.
     */
    public List<String> fargateOrchestratorLog() {
        FargateOrchestrator o = fargateOrchestrator;
        return o == null ? List.of() : o.log();
    }

    /** The handler of a node, if it has one. */
    Optional<TerminationHandler> handlerOn(String nodeName) {
        return Optional.ofNullable(handlers.get(nodeName));
    }

    /** The handler faults in force now. */
    TerminationHandlerFaults.Active handlerFaults() {
        try {
            return TerminationHandlerFaults.Active.of(activeFaults.get());
        } catch (RuntimeException e) {
            return TerminationHandlerFaults.Active.NONE;
        }
    }

    WorldClock clock() {
        return clock;
    }

    /** Stops the handlers, the controller, the clients and the API server. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (queueProcessor != null) {
            queueProcessor.close();
        }
        if (fargateOrchestrator != null) {
            fargateOrchestrator.close();
        }
        handlers.values().forEach(TerminationHandler::stop);
        handlers.clear();
        controller.close();
        shutdown(handlerExecutor);
        shutdown(controllerExecutor);
        httpExecutor.shutdownNow();
        if (http instanceof AutoCloseable c) { // JDK 21+
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("http client close: {}", e.toString());
            }
        }
        client.close();
        handlerClient.close();
        if (orchestratorClient != null) {
            orchestratorClient.close();
        }
        api.close();
    }

    private static void shutdown(ScheduledExecutorService executor) {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("lab executor did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static KubernetesClient newClient(URI masterUrl, int retries) {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(masterUrl.toString())
                .withTrustCerts(true)
                .withNamespace("default")
                .withRequestRetryBackoffLimit(retries)
                .withRequestTimeout(10_000)
                .withOnlyHttpWatches(true)
                .withConnectionTimeout(5_000)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    private static ScheduledExecutorService scheduler(String name, int threads) {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(threads, threads(name));
        e.setRemoveOnCancelPolicy(true);
        e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return e;
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public String toString() {
        return "LabCluster[" + masterUrl + ", nodes=" + nodeByInstance.size() + ", handlers=" + handlers.size() + "]";
    }
}
