package dev.spotdrill.core.aws;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.internal.HttpClients;
import dev.spotdrill.core.kube.KubeClientFactory;
import dev.spotdrill.core.kube.ProbePodImds;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataRetryPolicy;

/**
 * The IMDS source ({@value Expectations#IMDS}): each target's instance metadata service, read directly (the lab,
 * or a runner that is itself the target) or through a probe pod on the target's node
 * ({@code spotdrill.imds.via=probe-pod}). It sees REBALANCE and NOTICE where IMDS is readable.
 *
 * <p>{@code direct} reads whatever IMDS the world's endpoint for a target answers with: on AWS that is the runner's
 * own. So before anything is created it asks each endpoint for its {@code instance-id}: only an endpoint that
 * answers with the target's own id counts as readable. An IMDS expectation on a target whose IMDS cannot be read
 * fails there, with the fix.
 */
public final class ImdsSource implements Source {
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);
    /** What an IMDS endpoint said its instance id was: per endpoint and JVM (a runner does not change instance). */
    private static final Map<URI, Optional<String>> IDENTITY = new ConcurrentHashMap<>();

    private static volatile SdkHttpClient checkHttp;

    @Override
    public String kind() {
        return Expectations.IMDS;
    }

    @Override
    public Set<Moment> moments(SourceContext ctx) {
        return unreadable(ctx).isEmpty() ? Set.of(Moment.REBALANCE, Moment.NOTICE) : Set.of();
    }

    @Override
    public String momentHint(SourceContext ctx) {
        return unreadable(ctx)
                .map(why -> "IMDS cannot be read here (" + why.brief() + "); a probe pod can read it"
                        + " (spotdrill.imds.via=probe-pod, with @SpotInterruption(nodes = ...))")
                .orElse("");
    }

    @Override
    public void check(SourceContext ctx, List<SourceRequest> requests) {
        if (requests.isEmpty()) {
            return; // started only to see a moment, which moments() already allowed
        }
        unreadable(ctx).ifPresent(why -> {
            throw new SpotDrillConfigurationException(why.full());
        });
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        ctx.timeline().subscribe(o -> {
            if (o.source().equals(Expectations.IMDS)) {
                if (o.kind().equals(Observation.Kinds.REBALANCE)) {
                    ctx.markMoment(Moment.REBALANCE, o.targetId(), o.at(), Expectations.IMDS);
                } else if (o.kind().equals(Observation.Kinds.NOTICE)) {
                    ctx.markMoment(Moment.NOTICE, o.targetId(), o.at(), Expectations.IMDS);
                }
            }
        });
        List<AutoCloseable> probes = new ArrayList<>();
        AutoCloseable all = new AutoCloseable() {
            @Override
            public void close() throws Exception {
                List<AutoCloseable> lifo = new ArrayList<>(probes);
                Collections.reverse(lifo);
                for (AutoCloseable p : lifo) {
                    p.close();
                }
            }

            @Override
            public String toString() {
                // what the shutdown cleanup prints: the probe pods (or direct IMDS probes) it stopped
                return "IMDS probes "
                        + probes.stream()
                                .map(String::valueOf)
                                .filter(x -> !x.contains("$$Lambda"))
                                .toList();
            }
        };
        World world = ctx.world();
        try {
            if (ctx.options().imdsVia().equals("probe-pod")) {
                // a real cluster: one probe pod per target node follows IMDS for us
                var client = KubeClientFactory.client(world, "spotdrill.imds.via=probe-pod");
                probes.add(client::close); // closed after the pods, which are added after it and closed first
                String namespace = world.kube().orElseThrow().namespace();
                for (Target t : ctx.targets()) {
                    probes.add(ProbePodImds.start(
                            client,
                            namespace,
                            ctx.drill().runId(),
                            t,
                            ctx.timeline(),
                            world.clock(),
                            ctx.options().probeImage()));
                }
            } else {
                for (Target t : ctx.targets()) {
                    probes.add(ImdsProbe.start(world, t, ctx.timeline()));
                }
            }
        } catch (RuntimeException e) {
            try {
                all.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return all;
    }

    /** Why IMDS cannot be read: in a few words, and in full with the fix. */
    private record Why(String brief, String full) {}

    /** Why this drill cannot read its targets' IMDS, or empty when it can. */
    private static Optional<Why> unreadable(SourceContext ctx) {
        World world = ctx.world();
        if (ctx.options().imdsVia().equals("probe-pod")) {
            Selector s = ctx.drill().spec().selector();
            if (s == null || s.kind() != Selector.Kind.NODES || world.kube().isEmpty()) {
                return Optional.of(new Why(
                        "a probe pod needs node targets and Kubernetes access",
                        SpotDrillConfig.IMDS_VIA
                                + "=\"probe-pod\": a probe pod runs on the target's node, so select targets with"
                                + " @SpotInterruption(nodes = ...) in a world with Kubernetes access; or use"
                                + " spotdrill.imds.via=direct"));
            }
            return Optional.empty();
        }
        for (Target t : ctx.targets()) {
            URI endpoint = world.imdsEndpoint(t.instanceId());
            Optional<String> id = IDENTITY.computeIfAbsent(endpoint, ImdsSource::identity);
            if (id.isEmpty()) {
                return Optional.of(new Why(
                        "spotdrill.imds.via=direct reads this runner's own IMDS, and " + endpoint + " did not answer",
                        SpotDrillConfig.IMDS_VIA + "=\"direct\" reads the IMDS of the machine the tests run"
                                + " on, and " + endpoint
                                + " did not answer: this runner is not an EC2 instance, so it cannot"
                                + " read the IMDS of " + t.describe()
                                + "; use spotdrill.imds.via=probe-pod (targets selected"
                                + " with @SpotInterruption(nodes = ...)), or rely on the EventBridge expectations"
                                + " (@ExpectInterruptionWarning, @ExpectRebalanceEvent)"));
            }
            if (!id.get().equals(t.instanceId())) {
                return Optional.of(
                        new Why(
                                "spotdrill.imds.via=direct reads this runner's own IMDS, which is " + id.get()
                                        + "'s, not " + t.instanceId() + "'s",
                                SpotDrillConfig.IMDS_VIA + "=\"direct\" reads the IMDS of the machine the tests run"
                                        + " on, which is " + id.get() + ", not the target " + t.describe() + "; use"
                                        + " spotdrill.imds.via=probe-pod (targets selected with @SpotInterruption(nodes = ...)), or"
                                        + " rely on the EventBridge expectations (@ExpectInterruptionWarning, @ExpectRebalanceEvent)"));
            }
        }
        return Optional.empty();
    }

    /** The instance id an IMDS endpoint answers with, or empty when it does not answer. */
    private static Optional<String> identity(URI endpoint) {
        try (Ec2MetadataClient client = Ec2MetadataClient.builder()
                .endpoint(endpoint)
                .httpClient(checkHttp())
                .retryPolicy(Ec2MetadataRetryPolicy.none())
                .build()) {
            String id = client.get("/latest/meta-data/instance-id").asString().strip();
            return id.isEmpty() ? Optional.empty() : Optional.of(id);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static SdkHttpClient checkHttp() {
        if (checkHttp == null) {
            synchronized (ImdsSource.class) {
                if (checkHttp == null) {
                    checkHttp = HttpClients.urlConnection(CHECK_TIMEOUT, CHECK_TIMEOUT);
                }
            }
        }
        return checkHttp;
    }
}
