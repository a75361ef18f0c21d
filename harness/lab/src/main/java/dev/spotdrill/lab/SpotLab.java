package dev.spotdrill.lab;

import com.sun.net.httpserver.HttpServer;
import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.KubeAccess;
import dev.spotdrill.core.Secret;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.lab.kube.CapacityType;
import dev.spotdrill.lab.kube.ClusterSpec;
import dev.spotdrill.lab.kube.LabCluster;
import dev.spotdrill.lab.kube.LabJobs;
import dev.spotdrill.lab.kube.NodeSpec;
import dev.spotdrill.lab.kube.SpotBlacklisterFaults;
import dev.spotdrill.lab.kube.SpotBlacklisterSpec;
import dev.spotdrill.lab.kube.TerminationHandlerFaults;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded lab: a small AWS world on 127.0.0.1 that real AWS SDK v2 clients talk to.
 *
 * <p>It serves FIS, EC2, STS and IAM on their wire protocols, one IMDSv2 server per instance, and runs the
 * instances' Spot lifecycle in world time, {@code pace} times faster than wall time. Every request is logged in
 * {@link #callLog()}. Start it with {@link #start()} or {@link #start(LabOptions)}, hand {@link #world()} to core,
 * and close it when done:
 *
 * <pre>{@code
 * try (SpotLab lab = SpotLab.start()) {
 *     World world = lab.world();
 *     ...
 * }
 * }</pre>
 */
public final class SpotLab implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpotLab.class);
    private static final Map<String, SpotLab> RUNNING = new ConcurrentHashMap<>();
    /** The pace when neither the options nor the scenario give one. */
    public static final double DEFAULT_PACE = 60;

    private final String id;
    private final LabContext ctx;
    private final Ec2Fleet fleet;
    private final IamApi iam;
    private final FisApi fis;
    private final ImdsServers imds;
    private final ExecutorService sqsPool;
    private final SqsApi sqs;
    private final EventsApi eventsApi;
    private ElasticMq elasticMq;
    private EventBus bus;
    private final AwsCredentials responderCredentials;
    private final Map<String, String> responderQueues = new java.util.LinkedHashMap<>();
    private final List<AutoCloseable> responderClients = new ArrayList<>();
    private final List<HttpServer> servers = new ArrayList<>();
    private final ScheduledThreadPoolExecutor scheduler;
    private final ThreadPoolExecutor httpPool;
    private final World world;
    private final LabCluster cluster;
    private final ExecutorService kubeWiring;
    private final LabSpotAdvisor spotAdvisor;
    private final LabCastAi castAi;
    private final LabSlack slack;
    private final LabJobs jobs;
    private final Set<String> nodeInstances = ConcurrentHashMap.newKeySet();
    private final Set<String> lostInstances = ConcurrentHashMap.newKeySet();
    private final long startupMillis;
    private final LabPorts ports;
    private final Instant wallAnchor;
    private final Map<String, String> worldSettings = new java.util.LinkedHashMap<>();
    private final Map<String, Secret> worldSecrets = new java.util.LinkedHashMap<>();
    private volatile boolean closed;

    private SpotLab(LabOptions options) {
        long t0 = System.nanoTime();
        Scenario scenario = options.scenario();
        LabFaults faults = checkFaults(options.faults());
        this.ports = LabPorts.from(options.portBase());
        List<EventRuleSpec> eventRules = new ArrayList<>(EventRuleSpec.fromScenario(scenario));
        double pace = options.pace().orElse(scenario.pace().orElse(DEFAULT_PACE));
        this.id = "lab-" + hex(8);
        this.wallAnchor = Instant.now();
        WorldClock clock = WorldClock.paced(wallAnchor.truncatedTo(ChronoUnit.SECONDS), pace);
        this.scheduler = new ScheduledThreadPoolExecutor(1, threads("spotdrill-lab-scheduler-" + id));
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.httpPool = new ThreadPoolExecutor(
                8, 8, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads("spotdrill-lab-http-" + id));
        httpPool.allowCoreThreadTimeOut(true);
        String accessKey = "AKIA" + alnum(16);
        AwsCredentials credentials = AwsCredentials.of(accessKey, secret());
        this.ctx = new LabContext(id, scenario, clock, faults, new CallLog(), accessKey, scheduler, httpPool);
        this.responderCredentials = AwsCredentials.of(ctx.responderAccessKeyId, secret());
        // SQS has a pool of its own: a long poll holds a thread for up to 20 s and must not starve FIS or EC2.
        this.sqsPool = Executors.newCachedThreadPool(threads("spotdrill-lab-sqs-" + id));
        this.sqs = new SqsApi(ctx, sqsPool);
        this.eventsApi = new EventsApi(ctx);
        LabCluster startedCluster = null;
        ExecutorService wiring = null;
        LabJobs startedJobs = null;
        try {
            this.fleet = new Ec2Fleet(ctx);
            this.iam = new IamApi(ctx);
            this.fis = new FisApi(ctx, fleet, iam);
            this.imds = new ImdsServers(ctx, fleet, ports);
            HttpServer fisServer = serve(fis, LabPorts.Server.FIS);
            HttpServer ec2Server = serve(new Ec2Api(ctx, fleet), LabPorts.Server.EC2);
            HttpServer stsServer = serve(new StsApi(ctx), LabPorts.Server.STS);
            HttpServer iamServer = serve(iam, LabPorts.Server.IAM);
            HttpServer eventsServer = serve(eventsApi, LabPorts.Server.EVENTBRIDGE);
            HttpServer sqsServer =
                    Http.start(sqsPool, sqs, ports.port(LabPorts.Server.SQS), LabPorts.Server.SQS.label());
            servers.add(sqsServer);
            // ElasticMQ starts in the background (about 2 s the first time in a JVM); the front waits for it.
            this.elasticMq = new ElasticMq(id, Http.uri(sqsServer), scenario.region(), scenario.account());
            sqs.attach(Http.uri(sqsServer), elasticMq);
            this.bus = new EventBus(ctx, eventsApi, sqs);
            fleet.events(bus);
            fis.events(bus);
            this.spotAdvisor = LabSpotAdvisor.of(scenario);
            spotAdvisor.url(Http.uri(serve(new SpotAdvisorApi(ctx, spotAdvisor), LabPorts.Server.SPOT_ADVISOR))
                    .resolve(LabSpotAdvisor.PATH));
            this.castAi = new LabCastAi(clock, Secret.of("castai-lab-" + hex(40)));
            castAi.url(Http.uri(serve(new CastAiApi(ctx, castAi), LabPorts.Server.CASTAI)));
            this.slack = new LabSlack(hex(24));
            slack.serveAt(Http.uri(serve(slack.handler(ctx), LabPorts.Server.SLACK)));
            Optional<SpotBlacklisterSpec> blacklister = blacklister(scenario);
            Optional<dev.spotdrill.lab.kube.FargateOrchestratorSpec> orchestrator =
                    fargateOrchestrator(scenario, eventRules);
            List<NodeSpec> nodes = clusterNodes(scenario);
            if (!nodes.isEmpty()) {
                ClusterSpec clusterSpec;
                try {
                    clusterSpec = ClusterSpec.fromYaml(scenario.raw()).withNodes(nodes);
                } catch (SpotDrillConfigurationException e) {
                    throw new SpotDrillConfigurationException(
                            "scenario " + scenario.name() + ", Kubernetes part: " + e.getMessage());
                }
                wiring = Executors.newSingleThreadExecutor(threads("spotdrill-lab-kube-" + id));
                startedCluster = LabCluster.start(
                        clusterSpec, clock, this::imdsOrNull, faults::snapshot, ports.port(LabPorts.Server.KUBERNETES));
                nodes.forEach(n -> nodeInstances.add(n.instanceId()));
                awaitWorkloadsReady(startedCluster, clusterSpec);
                if (blacklister.isPresent()) {
                    startedJobs = LabJobs.start(
                            startedCluster,
                            clock,
                            blacklister.get(),
                            new LabJobs.Endpoints(
                                    spotAdvisor.url(),
                                    castAi.url(),
                                    castAi.organizationId(),
                                    castAi.clusterId(),
                                    castAi.apiKey()),
                            faults::snapshot);
                }
            }
            this.cluster = startedCluster;
            this.jobs = startedJobs;
            this.kubeWiring = wiring;
            worldSettings.put(
                    SpotDrillConfig.SPOT_ADVISOR_URL, spotAdvisor.url().toString());
            worldSettings.put(SpotDrillConfig.CASTAI_URL, castAi.url().toString());
            worldSettings.put(SpotDrillConfig.CASTAI_ORGANIZATION_ID, castAi.organizationId());
            worldSettings.put(SpotDrillConfig.CASTAI_CLUSTER_ID, castAi.clusterId());
            worldSecrets.put(dev.spotdrill.core.castai.CastAiSettings.API_KEY_ENV, castAi.apiKey());
            World.Builder wb = World.builder(World.LAB)
                    .region(scenario.region())
                    .clock(clock)
                    .endpoint(AwsService.FIS, Http.uri(fisServer))
                    .endpoint(AwsService.EC2, Http.uri(ec2Server))
                    .endpoint(AwsService.STS, Http.uri(stsServer))
                    .endpoint(AwsService.IAM, Http.uri(iamServer))
                    .endpoint(AwsService.EVENTBRIDGE, Http.uri(eventsServer))
                    .endpoint(AwsService.SQS, Http.uri(sqsServer))
                    .credentials(credentials)
                    .imdsEndpoints(imds::endpoint)
                    .fact("lab", id)
                    .fact("pace", Double.toString(pace))
                    .fact("scenario", scenario.name())
                    .fact("account", scenario.account())
                    .fact("region", scenario.region())
                    .attachment("lab-call-log", ctx.log::toJson);
            worldSettings.forEach(wb::setting);
            worldSecrets.forEach(wb::secret);
            if (startedCluster != null) {
                wb.kube(KubeAccess.master(startedCluster.masterUrl()));
                wb.fact("kube", startedCluster.masterUrl().toString());
                fleet.addListener(this::onInstanceChange);
            }
            this.world = wb.build();
            boolean queueMode = startedCluster != null
                    && startedCluster.spec().terminationHandler().enabled()
                    && startedCluster.spec().terminationHandler().mode()
                            == dev.spotdrill.lab.kube.TerminationHandlerSpec.Mode.QUEUE;
            if (queueMode) {
                eventRules.addAll(EventRuleSpec.terminationHandler());
            }
            if (!eventRules.isEmpty()) {
                setUpResponderQueues(eventRules);
            }
            if (queueMode) {
                startedCluster.startQueueProcessor(responderSqs(), responderQueues.get(EventRuleSpec.HANDLER_QUEUE));
            }
            if (orchestrator.isPresent() && startedCluster != null) {
                startedCluster.startFargateOrchestrator(
                        orchestrator.get(),
                        responderSqs(),
                        responderQueues.get(orchestrator.get().queue()));
            }
        } catch (RuntimeException e) {
            if (startedJobs != null) {
                startedJobs.close();
            }
            closeResponderClients();
            if (startedCluster != null) {
                startedCluster.close();
            }
            if (wiring != null) {
                wiring.shutdownNow();
            }
            shutdown();
            throw e;
        }
        this.startupMillis = (System.nanoTime() - t0) / 1_000_000;
        RUNNING.put(id, this);
        LOG.info(
                "lab {} started: scenario {}, pace {}, {} instances, in {} ms",
                id,
                scenario.name(),
                pace,
                scenario.instances().size(),
                startupMillis);
    }

    /** Starts a lab with the built-in {@code shop} scenario at its pace (60). */
    public static SpotLab start() {
        return start(LabOptions.defaults());
    }

    /**
     * Starts a lab.
     *
     * @throws dev.spotdrill.core.SpotDrillConfigurationException when a fault is unknown or badly written
     */
    public static SpotLab start(LabOptions options) {
        return new SpotLab(options);
    }

    /** The running lab with this id, for {@code spotdrill.lab.attach}; empty once it is closed. */
    public static Optional<SpotLab> attached(String id) {
        return Optional.ofNullable(id == null ? null : RUNNING.get(id));
    }

    /** The ids of the labs running in this JVM. */
    public static Set<String> runningIds() {
        return Set.copyOf(RUNNING.keySet());
    }

    private HttpServer serve(com.sun.net.httpserver.HttpHandler handler, LabPorts.Server server) {
        HttpServer s = Http.start(httpPool, handler, ports.port(server), server.label());
        servers.add(s);
        return s;
    }

    /**
     * Checks faults as a lab does at start and at run time: each name must be known and its value of the right form
     * ({@link LabFaults}), and the components that read a value later (the termination handler, the blacklister)
     * check it now, so that a bad one fails at once rather than in a running component.
     *
     * @param specs faults, each {@code component.fault[=value]}
     * @return the faults
     * @throws SpotDrillConfigurationException naming the fault, the problem and the fix
     */
    public static LabFaults checkFaults(java.util.Collection<String> specs) {
        LabFaults faults = LabFaults.of(specs);
        faults.snapshot().forEach((name, value) -> {
            if (name.startsWith(TerminationHandlerFaults.PREFIX)) {
                TerminationHandlerFaults.validate(name, value);
            }
            SpotBlacklisterFaults.validate(name, value);
            dev.spotdrill.lab.kube.FargateFaults.validate(name, value);
        });
        return faults;
    }

    /** The lab's ports: fixed from a port base, or dynamic. */
    public LabPorts ports() {
        return ports;
    }

    /** The wall-clock instant at which the world clock stood at {@link #worldAnchor()}. */
    Instant wallAnchor() {
        return wallAnchor;
    }

    /** The world time at {@link #wallAnchor()}: the clock's origin. */
    Instant worldAnchor() {
        return wallAnchor.truncatedTo(ChronoUnit.SECONDS);
    }

    /** The configuration defaults the lab's world supplies (never secrets). */
    Map<String, String> worldSettings() {
        return Map.copyOf(worldSettings);
    }

    /** The secrets the lab's world supplies, by name; only for the attach call of {@link LabControl}. */
    Map<String, Secret> worldSecrets() {
        return Map.copyOf(worldSecrets);
    }

    /** The world to hand to core: named {@code lab}, with the lab's endpoints, credentials and clock. */
    public World world() {
        return world;
    }

    /** The lab's world clock. */
    public WorldClock clock() {
        return ctx.clock;
    }

    /** This lab's id, unique in the JVM, for {@code spotdrill.lab.attach}. */
    public String id() {
        return id;
    }

    public Scenario scenario() {
        return ctx.scenario;
    }

    /** Every request the lab served. */
    public CallLog callLog() {
        return ctx.log;
    }

    /** The faults of this lab; they may be changed while it runs. */
    public LabFaults faults() {
        return ctx.faults;
    }

    /** The principal ARN the lab's credentials act as, as STS reports it. */
    public String principalArn() {
        return ctx.principalArn;
    }

    /** The instance with this id, as it is now. */
    public Optional<LabInstance> instance(String instanceId) {
        synchronized (ctx.lock) {
            Instant now = ctx.now();
            return fleet.get(instanceId).map(i -> i.view(now));
        }
    }

    /** Every instance, replacements included, as they are now. */
    public List<LabInstance> instances() {
        synchronized (ctx.lock) {
            Instant now = ctx.now();
            return fleet.all().stream().map(i -> i.view(now)).toList();
        }
    }

    /**
     * Calls the listener on every instance state change and for every replacement instance. It runs on the lab's
     * scheduler thread while the lab's model lock is held: keep it short and do not wait on other threads.
     */
    public void addInstanceListener(Consumer<LabInstance> listener) {
        fleet.addListener(listener);
    }

    /**
     * Every event the lab's EC2 and FIS put on the default event bus so far, oldest first, whether or not a rule
     * matched it.
     */
    public List<EmittedEvent> emittedEvents() {
        return bus.emitted();
    }

    /**
     * Every delivery of an event to a rule's queue so far, and every delivery the lab dropped (for example because
     * the queue's policy does not let the rule send), oldest first.
     */
    public List<EventDelivery> eventDeliveries() {
        return bus.deliveries();
    }

    /** Wall milliseconds the lab's SQS (ElasticMQ, started in the background) took to start; -1 until it has. */
    public long sqsStartupMillis() {
        return elasticMq.startMillis();
    }

    /** The lab's event bus, for tests that emit events of their own. */
    EventBus eventBus() {
        return bus;
    }

    /** How many ReceiveMessage calls (long polls) the lab's SQS is holding now. */
    int sqsReceivesInFlight() {
        return sqs.receivesInFlight();
    }

    /** How many FIS experiments are active (pending, initiating, running or stopping). */
    public long activeExperiments() {
        synchronized (ctx.lock) {
            return fis.activeExperiments();
        }
    }

    /** Wall milliseconds that {@link #start} took. */
    public long startupMillis() {
        return startupMillis;
    }

    /** The lab's Spot Advisor data, served as {@code spot-advisor-data.json}; it may be changed while the lab runs. */
    public LabSpotAdvisor spotAdvisor() {
        return spotAdvisor;
    }

    /** The lab's CAST AI: its URL, organization and cluster ids, and the cluster's blacklist. */
    public LabCastAi castAi() {
        return castAi;
    }

    /** The lab's Slack incoming-webhook sink: its secret URL and the messages posted to it. */
    public LabSlack slack() {
        return slack;
    }

    /** The scenario's reference Spot blacklister ({@code responders.spotBlacklister}), checked before anything starts. */
    private static Optional<SpotBlacklisterSpec> blacklister(Scenario scenario) {
        try {
            return SpotBlacklisterSpec.fromYaml(scenario.raw(), scenario.region());
        } catch (SpotDrillConfigurationException e) {
            throw new SpotDrillConfigurationException("scenario " + scenario.name() + ": " + e.getMessage());
        }
    }

    /**
     * The scenario's reference Fargate orchestrator ({@code responders.fargateOrchestrator}) when enabled, checked
     * before anything starts: its queue must be one of the scenario's {@code eventRules} queues.
     */
    private static Optional<dev.spotdrill.lab.kube.FargateOrchestratorSpec> fargateOrchestrator(
            Scenario scenario, List<EventRuleSpec> rules) {
        Optional<dev.spotdrill.lab.kube.FargateOrchestratorSpec> spec;
        try {
            spec = dev.spotdrill.lab.kube.FargateOrchestratorSpec.fromYaml(scenario.raw());
        } catch (SpotDrillConfigurationException e) {
            throw new SpotDrillConfigurationException("scenario " + scenario.name() + ": " + e.getMessage());
        }
        if (spec.isEmpty() || !spec.get().enabled()) {
            return Optional.empty();
        }
        List<String> queues =
                rules.stream().map(EventRuleSpec::queue).distinct().toList();
        if (!queues.contains(spec.get().queue())) {
            throw new SpotDrillConfigurationException("scenario " + scenario.name()
                    + ": responders.fargateOrchestrator.sqs_queue '"
                    + spec.get().queue() + "' is not a queue of"
                    + " the scenario's eventRules " + queues + "; add an eventRules entry with queue: "
                    + spec.get().queue() + " (pattern: the Spot interruption warning), or name one of those");
        }
        return spec;
    }

    /** The lab's Kubernetes cluster, when the scenario has nodes. */
    public Optional<LabCluster> cluster() {
        return Optional.ofNullable(cluster);
    }

    /** The scenario's running instances that back a node, as the cluster's nodes. */
    private List<NodeSpec> clusterNodes(Scenario scenario) {
        Map<String, NodeSpec> declared = new java.util.HashMap<>();
        try {
            ClusterSpec.fromYaml(scenario.raw()).nodes().forEach(n -> declared.put(n.instanceId(), n));
        } catch (SpotDrillConfigurationException e) {
            throw new SpotDrillConfigurationException(
                    "scenario " + scenario.name() + ", Kubernetes part: " + e.getMessage());
        }
        List<NodeSpec> nodes = new ArrayList<>();
        for (LabInstance i : instances()) {
            if (i.nodeName().isPresent() && i.state().equals("running")) {
                nodes.add(nodeSpec(
                        i,
                        Optional.ofNullable(declared.get(i.id()))
                                .map(NodeSpec::taints)
                                .orElse(List.of())));
            }
        }
        return nodes;
    }

    private static NodeSpec nodeSpec(LabInstance i, List<dev.spotdrill.lab.kube.TaintSpec> taints) {
        return new NodeSpec(
                i.nodeName().orElseThrow(),
                i.id(),
                i.zone(),
                i.type(),
                i.spot() ? CapacityType.SPOT : CapacityType.ON_DEMAND,
                i.nodeLabels(),
                taints);
    }

    /**
     * The IMDS endpoint for a termination handler's poll, only while the instance has an interruption pending or
     * past: before that every poll could only answer 404, and leaving those polls out keeps the call log to the
     * calls that matter (the handlers still look on every poll, so they see a notice as soon as they would).
     */
    private URI imdsOrNull(String instanceId) {
        Optional<LabInstance> i = instance(instanceId);
        if (i.isEmpty()
                || (i.get().interruptionTime().isEmpty()
                        && i.get().rebalanceTime().isEmpty())) {
            return null;
        }
        try {
            return imds.endpoint(instanceId);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The lab is ready when every Deployment has all its pods Ready (bounded, so a broken scenario still starts). */
    private static void awaitWorkloadsReady(LabCluster cluster, ClusterSpec spec) {
        if (spec.workloads().isEmpty()) {
            return;
        }
        java.util.concurrent.CompletableFuture<List<io.fabric8.kubernetes.api.model.Pod>> ready = cluster.client()
                .pods()
                .inAnyNamespace()
                .informOnCondition(pods -> spec.workloads().stream()
                        .allMatch(w -> pods.stream()
                                        .filter(p -> w.namespace()
                                                        .equals(p.getMetadata().getNamespace())
                                                && p.getMetadata().getLabels() != null
                                                && w.name()
                                                        .equals(p.getMetadata()
                                                                .getLabels()
                                                                .get("app")))
                                        .filter(SpotLab::podReady)
                                        .count()
                                >= w.replicas()));
        try {
            ready.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("lab: not every Deployment was Ready within 30 s: {}", e.toString());
        } finally {
            ready.cancel(true);
        }
    }

    private static boolean podReady(io.fabric8.kubernetes.api.model.Pod p) {
        return p.getStatus() != null
                && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /**
     * EC2 lifecycle to the cluster: a terminated (or stopped) instance loses its node; a new running instance with
     * a node (an ASG-like replacement) joins. Runs on the lab's scheduler under its lock, so the work is handed to
     * a thread of its own.
     */
    private void onInstanceChange(LabInstance i) {
        if (closed || kubeWiring == null) {
            return;
        }
        boolean gone =
                Set.of("shutting-down", "terminated", "stopping", "stopped").contains(i.state());
        if (gone && nodeInstances.contains(i.id()) && lostInstances.add(i.id())) {
            submitKube(() -> cluster.instanceTerminated(i.id()));
        } else if (i.state().equals("running") && i.nodeName().isPresent() && nodeInstances.add(i.id())) {
            NodeSpec node = nodeSpec(i, List.of());
            submitKube(() -> cluster.addNode(node));
        }
    }

    private void submitKube(Runnable r) {
        try {
            kubeWiring.execute(() -> {
                try {
                    if (!closed) {
                        r.run();
                    }
                } catch (RuntimeException e) {
                    LOG.warn("lab {}: Kubernetes side of an instance change failed: {}", id, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("lab {} is closing: {}", id, e.toString());
        }
    }

    /** Stops every server and thread of the lab; closing twice does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RUNNING.remove(id);
        shutdown();
        LOG.info("lab {} closed after {} calls", id, ctx.log.calls().size());
    }

    private void shutdown() {
        sqs.closing();
        if (jobs != null) {
            jobs.close();
        }
        if (bus != null) {
            bus.close();
        }
        if (kubeWiring != null) {
            kubeWiring.shutdownNow();
            try {
                kubeWiring.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (cluster != null) {
            cluster.close(); // with its queue processor, before the SQS clients it polls with
        }
        closeResponderClients();
        if (imds != null) {
            imds.close();
        }
        servers.forEach(s -> s.stop(0));
        servers.clear();
        if (elasticMq != null) {
            elasticMq.close();
        }
        sqsPool.shutdownNow();
        scheduler.shutdownNow();
        httpPool.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
            httpPool.awaitTermination(5, TimeUnit.SECONDS);
            sqsPool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "SpotLab[" + id + ", scenario=" + ctx.scenario.name() + ", pace=" + ctx.clock.pace()
                + (closed ? ", closed" : "") + "]";
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private static String hex(int n) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < n) {
            sb.append(Integer.toHexString(RANDOM.nextInt(16)));
        }
        return sb.toString();
    }

    private static String alnum(int n) {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return sb.toString();
    }

    private static String secret() {
        byte[] b = new byte[30];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    // ------------------------------------------------------------------ the lab's own rules and queues

    /**
     * The queues the lab made for its responders (the queue-mode termination handler's, and the scenario's
     * {@code eventRules}), name to URL.
     */
    public Map<String, String> responderQueues() {
        return Map.copyOf(responderQueues);
    }

    /** The principal the lab's responders call AWS as; their calls are left out of the least-privilege policy. */
    public String responderPrincipalArn() {
        return ctx.responderPrincipalArn;
    }

    /** Creates each rule's queue (300 s, SSE, a policy for its senders) and the rule, targeting it. */
    private void setUpResponderQueues(List<EventRuleSpec> rules) {
        software.amazon.awssdk.services.eventbridge.EventBridgeClient events = responderEvents();
        software.amazon.awssdk.services.sqs.SqsClient sqsClient = responderSqs();
        Map<String, List<EventRuleSpec>> byQueue = new java.util.LinkedHashMap<>();
        rules.forEach(
                r -> byQueue.computeIfAbsent(r.queue(), q -> new ArrayList<>()).add(r));
        for (Map.Entry<String, List<EventRuleSpec>> q : byQueue.entrySet()) {
            String queueArn = sqs.queueArn(q.getKey());
            List<String> ruleArns = q.getValue().stream()
                    .map(r -> "arn:aws:events:" + ctx.region() + ":" + ctx.account() + ":rule/" + r.name())
                    .toList();
            String url = sqsClient
                    .createQueue(r -> r.queueName(q.getKey())
                            .attributesWithStrings(Map.of(
                                    "MessageRetentionPeriod", "300",
                                    "SqsManagedSseEnabled", "true",
                                    "Policy",
                                            responderPolicy(
                                                    queueArn,
                                                    q.getValue().get(0).serviceSenders(),
                                                    ruleArns))))
                    .queueUrl();
            responderQueues.put(q.getKey(), url);
            for (EventRuleSpec rule : q.getValue()) {
                events.putRule(r -> r.name(rule.name())
                        .eventPattern(rule.pattern())
                        .description("spotdrill lab: into queue " + rule.queue()));
                var put = events.putTargets(
                        r -> r.rule(rule.name()).targets(t -> t.id("queue").arn(queueArn)));
                if (put.failedEntryCount() != null && put.failedEntryCount() > 0) {
                    throw new IllegalStateException("lab rule " + rule.name() + ": target refused: "
                            + put.failedEntries().get(0).errorMessage());
                }
            }
        }
    }

    /**
     * The handler's queue lets both services send, as NTH's and Karpenter's setups do; a scenario rule's queue lets
     * EventBridge send only from its rules.
     */
    private static String responderPolicy(String queueArn, List<String> senders, List<String> ruleArns) {
        com.fasterxml.jackson.databind.node.ObjectNode doc =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        doc.put("Version", "2012-10-17");
        com.fasterxml.jackson.databind.node.ObjectNode st =
                doc.putArray("Statement").addObject();
        st.put("Effect", "Allow");
        com.fasterxml.jackson.databind.node.ArrayNode services =
                st.putObject("Principal").putArray("Service");
        senders.forEach(services::add);
        st.put("Action", "sqs:SendMessage");
        st.put("Resource", queueArn);
        if (senders.size() == 1) {
            com.fasterxml.jackson.databind.node.ArrayNode arns =
                    st.putObject("Condition").putObject("ArnEquals").putArray("aws:SourceArn");
            ruleArns.forEach(arns::add);
        }
        return doc.toString();
    }

    private software.amazon.awssdk.services.eventbridge.EventBridgeClient responderEvents() {
        software.amazon.awssdk.http.SdkHttpClient http = dev.spotdrill.core.internal.HttpClients.urlConnection(
                java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(10));
        var c = software.amazon.awssdk.services.eventbridge.EventBridgeClient.builder()
                .httpClient(http)
                .region(software.amazon.awssdk.regions.Region.of(ctx.region()))
                .credentialsProvider(responderCredentialsProvider())
                .endpointOverride(world.endpoint(AwsService.EVENTBRIDGE).orElseThrow())
                .build();
        responderClients.add(c);
        responderClients.add(http);
        return c;
    }

    private software.amazon.awssdk.services.sqs.SqsClient responderSqs() {
        synchronized (responderClients) {
            for (AutoCloseable c : responderClients) {
                if (c instanceof software.amazon.awssdk.services.sqs.SqsClient s) {
                    return s;
                }
            }
            // the queue processor long-polls 20 s: its reads may be silent that long
            software.amazon.awssdk.http.SdkHttpClient http = dev.spotdrill.core.internal.HttpClients.urlConnection(
                    java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(40));
            var c = software.amazon.awssdk.services.sqs.SqsClient.builder()
                    .httpClient(http)
                    .region(software.amazon.awssdk.regions.Region.of(ctx.region()))
                    .credentialsProvider(responderCredentialsProvider())
                    .endpointOverride(world.endpoint(AwsService.SQS).orElseThrow())
                    .build();
            responderClients.add(c);
            responderClients.add(http);
            return c;
        }
    }

    private software.amazon.awssdk.auth.credentials.AwsCredentialsProvider responderCredentialsProvider() {
        return software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                        responderCredentials.accessKeyId(),
                        responderCredentials.secretAccessKey().reveal()));
    }

    private void closeResponderClients() {
        synchronized (responderClients) {
            for (AutoCloseable c : responderClients) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("lab {}: responder client close: {}", id, e.toString());
                }
            }
            responderClients.clear();
        }
    }

    /** For tests: the IMDS endpoint of an instance (also available through {@code world().imdsEndpoint}). */
    URI imdsEndpoint(String instanceId) {
        return imds.endpoint(instanceId);
    }
}
