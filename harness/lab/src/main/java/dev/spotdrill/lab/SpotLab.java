package dev.spotdrill.lab;

import com.sun.net.httpserver.HttpServer;
import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
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
    private final List<HttpServer> servers = new ArrayList<>();
    private final ScheduledThreadPoolExecutor scheduler;
    private final ThreadPoolExecutor httpPool;
    private final World world;
    private final long startupMillis;
    private volatile boolean closed;

    private SpotLab(LabOptions options) {
        long t0 = System.nanoTime();
        Scenario scenario = options.scenario();
        LabFaults faults = LabFaults.of(options.faults());
        double pace = options.pace().orElse(scenario.pace().orElse(DEFAULT_PACE));
        this.id = "lab-" + hex(8);
        WorldClock clock = WorldClock.paced(Instant.now().truncatedTo(ChronoUnit.SECONDS), pace);
        this.scheduler = new ScheduledThreadPoolExecutor(1, threads("spotdrill-lab-scheduler-" + id));
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.httpPool = new ThreadPoolExecutor(
                8, 8, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads("spotdrill-lab-http-" + id));
        httpPool.allowCoreThreadTimeOut(true);
        String accessKey = "AKIA" + alnum(16);
        AwsCredentials credentials = AwsCredentials.of(accessKey, secret());
        this.ctx = new LabContext(id, scenario, clock, faults, new CallLog(), accessKey, scheduler, httpPool);
        try {
            this.fleet = new Ec2Fleet(ctx);
            this.iam = new IamApi(ctx);
            this.fis = new FisApi(ctx, fleet, iam);
            this.imds = new ImdsServers(ctx, fleet);
            HttpServer fisServer = serve(fis);
            HttpServer ec2Server = serve(new Ec2Api(ctx, fleet));
            HttpServer stsServer = serve(new StsApi(ctx));
            HttpServer iamServer = serve(iam);
            this.world = World.builder(World.LAB)
                    .region(scenario.region())
                    .clock(clock)
                    .endpoint(AwsService.FIS, Http.uri(fisServer))
                    .endpoint(AwsService.EC2, Http.uri(ec2Server))
                    .endpoint(AwsService.STS, Http.uri(stsServer))
                    .endpoint(AwsService.IAM, Http.uri(iamServer))
                    .credentials(credentials)
                    .imdsEndpoints(imds::endpoint)
                    .fact("lab", id)
                    .fact("pace", Double.toString(pace))
                    .fact("scenario", scenario.name())
                    .fact("account", scenario.account())
                    .fact("region", scenario.region())
                    .attachment("lab-call-log", ctx.log::toJson)
                    .build();
        } catch (RuntimeException e) {
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

    private HttpServer serve(com.sun.net.httpserver.HttpHandler handler) {
        HttpServer s = Http.start(httpPool, handler);
        servers.add(s);
        return s;
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
        if (imds != null) {
            imds.close();
        }
        servers.forEach(s -> s.stop(0));
        servers.clear();
        scheduler.shutdownNow();
        httpPool.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
            httpPool.awaitTermination(5, TimeUnit.SECONDS);
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

    /** For tests: the IMDS endpoint of an instance (also available through {@code world().imdsEndpoint}). */
    URI imdsEndpoint(String instanceId) {
        return imds.endpoint(instanceId);
    }
}
