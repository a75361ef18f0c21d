package dev.spotdrill.core.drill;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.InstanceClaims;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.internal.TargetClaims;
import dev.spotdrill.core.kube.NodeTargets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Finds a drill's targets from its selector (instance ids, EC2 tags or a Kubernetes node selector), applies the
 * per-instance guardrails, picks {@code count} of them with the drill's seed, and claims them in this JVM. Nothing
 * here mutates anything in AWS.
 */
final class TargetResolver {
    /** How long (wall time) a selector may keep losing claim races to parallel drills: a safety bound only. */
    static final Duration SELECTOR_RACE_WALL = Duration.ofMinutes(2);

    private final World world;
    private final DrillSpec spec;
    private final DrillOptions options;
    private final AwsBackend backend;
    private final long seed;
    private final String runId;
    private final Consumer<String> progress;

    TargetResolver(
            World world,
            DrillSpec spec,
            DrillOptions options,
            AwsBackend backend,
            long seed,
            String runId,
            Consumer<String> progress) {
        this.world = world;
        this.spec = spec;
        this.options = options;
        this.backend = backend;
        this.seed = seed;
        this.runId = runId;
        this.progress = progress;
    }

    /**
     * Leaves out of the eligible instances those another live spotdrill run (another process) holds, adding why to
     * the refusals; reads only.
     */
    private List<Target> withoutForeignClaims(List<Target> eligible, List<String> refusals) {
        if (eligible.isEmpty()) {
            return eligible;
        }
        Map<String, String> taken = InstanceClaims.conflicts(
                backend, world, eligible.stream().map(Target::instanceId).toList(), runId);
        if (taken.isEmpty()) {
            return eligible;
        }
        List<Target> free = new ArrayList<>();
        for (Target t : eligible) {
            String why = taken.get(t.instanceId());
            if (why == null) {
                free.add(t);
            } else {
                refusals.add((t.node().map(n -> n + " (" + t.instanceId() + ")").orElse(t.instanceId())) + ": " + why);
            }
        }
        return free;
    }

    /**
     * Resolves the targets and claims them for this drill, so that parallel drills in this JVM never share an
     * instance. A selector that matched an instance another drill claimed meanwhile is resolved again, at once and
     * in wall time rather than world time: a lost race means another drill won one, so the candidates shrink until
     * a claim succeeds or too few remain (a guardrail refusal); on a fast pace and a busy machine those rounds can
     * outlast {@code spotdrill.fis.quotaWait}. Explicit ids wait (up to {@code spotdrill.fis.quotaWait}) for the other
     * drill to end.
     */
    List<Target> resolve() {
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(options.quotaWait());
        long startedNanos = System.nanoTime();
        while (true) {
            List<Target> found = resolveOnce();
            List<String> ids = found.stream().map(Target::instanceId).toList();
            if (TargetClaims.claim(world, ids)) {
                return found;
            }
            if (spec.selector().kind() != Selector.Kind.INSTANCES) {
                if (System.nanoTime() - startedNanos > SELECTOR_RACE_WALL.toNanos()) {
                    throw new GuardrailException("Guardrail refused the drill: " + ids + " kept being claimed by other"
                            + " drills in this JVM for " + SELECTOR_RACE_WALL + "; give parallel tests distinct"
                            + " targets");
                }
                continue;
            }
            if (clock.now().isAfter(giveUp)) {
                throw new GuardrailException("Guardrail refused the drill: " + ids
                        + " stayed claimed by another drill in this JVM for spotdrill.fis.quotaWait="
                        + options.quotaWait() + "; give parallel tests distinct targets");
            }
            progress.accept("waiting for another drill in this JVM to release " + ids);
            Backoff.pause(clock, Duration.ofSeconds(5));
        }
    }

    /**
     * Describes explicit targets again (after waiting for another run): each must still pass the guardrails, a
     * terminated one is refused.
     */
    List<Target> recheck(List<Target> targets) {
        List<String> ids = targets.stream().map(Target::instanceId).toList();
        List<Target> out = new ArrayList<>();
        for (AwsBackend.Instance i : backend.describe(ids)) {
            Target t = target(i);
            refusal(i).ifPresent(r -> {
                throw new GuardrailException(Messages.guardrail(t, r[0], r[1]));
            });
            out.add(t);
        }
        return out;
    }

    private List<Target> resolveOnce() {
        Selector s = spec.selector();
        return switch (s.kind()) {
            case INSTANCES -> resolveInstances(s.values());
            case TAGS -> resolveTags(s.values());
            case NODES -> resolveNodes(s.values().get(0));
        };
    }

    /**
     * A label selector on nodes: the nodes' providerIDs give the instances, which then pass the same guardrails as
     * instances selected by tags; each target keeps its node name.
     */
    private List<Target> resolveNodes(String selector) {
        List<NodeTargets.MatchedNode> nodes = NodeTargets.find(world, selector);
        if (nodes.isEmpty()) {
            throw new SpotDrillConfigurationException(Messages.nodesMatchNothing(selector));
        }
        Map<String, String> nodeByInstance = new LinkedHashMap<>();
        List<String> notEc2 = new ArrayList<>();
        for (var n : nodes) {
            if (n.instanceId().isPresent()) {
                nodeByInstance.put(n.instanceId().get(), n.name());
            } else {
                notEc2.add(n.name() + " (providerID \"" + n.providerId() + "\")");
            }
        }
        if (nodeByInstance.isEmpty()) {
            throw new SpotDrillConfigurationException(Messages.nodesWithoutInstances(selector, notEc2));
        }
        List<AwsBackend.Instance> found;
        try {
            found = backend.describe(List.copyOf(nodeByInstance.keySet()));
        } catch (AwsBackend.UnknownInstancesException e) {
            throw new SpotDrillConfigurationException(Messages.attr("SpotInterruption", "nodes", selector)
                    + ": the nodes' providerIDs name instances that EC2 does not know in " + world.region() + " ("
                    + e.getMessage() + "); check spotdrill.aws.region and the kube context");
        }
        List<Target> eligible = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        List<String> onDemand = new ArrayList<>();
        for (AwsBackend.Instance i : found) {
            String node = nodeByInstance.get(i.id());
            Optional<String[]> r = refusal(i);
            if (r.isPresent()) {
                refusals.add(node + " (" + i.id() + "): " + r.get()[0] + "; " + r.get()[1]);
                if (!i.spot()) {
                    onDemand.add(node + " -> " + i.id() + ", " + i.lifecycle());
                }
            } else if (TargetClaims.claimed(world, i.id())) {
                refusals.add(node + " (" + i.id() + "): another drill in this JVM is interrupting it");
            } else {
                eligible.add(target(i).withNode(node));
            }
        }
        eligible = withoutForeignClaims(eligible, refusals);
        if (eligible.isEmpty()) {
            if (!onDemand.isEmpty() && onDemand.size() == found.size()) {
                throw new SpotDrillConfigurationException(Messages.nodesOnlyOnDemand(selector, onDemand));
            }
            throw new GuardrailException(Messages.noneEligible("nodes", selector, refusals));
        }
        int count = spec.count() == 0 ? eligible.size() : spec.count();
        if (count > eligible.size()) {
            throw new SpotDrillConfigurationException(
                    Messages.countTooHigh(spec.count(), eligible.size(), "nodes", selector));
        }
        return select(eligible, count);
    }

    private List<Target> resolveInstances(List<String> ids) {
        List<AwsBackend.Instance> found;
        try {
            found = backend.describe(List.copyOf(new LinkedHashSet<>(ids)));
        } catch (AwsBackend.UnknownInstancesException e) {
            throw new SpotDrillConfigurationException(Messages.unknownInstances(ids, world.region(), e.getMessage()));
        }
        List<Target> out = new ArrayList<>();
        for (AwsBackend.Instance i : found) {
            Target t = target(i);
            refusal(i).ifPresent(r -> {
                throw new GuardrailException(Messages.guardrail(t, r[0], r[1]));
            });
            out.add(t);
        }
        if (spec.count() > 0 && spec.count() < out.size()) {
            return select(out, spec.count());
        }
        if (spec.count() > out.size()) {
            throw new SpotDrillConfigurationException(
                    Messages.countTooHigh(spec.count(), out.size(), "instances", ids));
        }
        return out;
    }

    private List<Target> resolveTags(List<String> tagTexts) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String t : tagTexts) {
            int eq = t.indexOf('=');
            tags.put(t.substring(0, eq).trim(), t.substring(eq + 1).trim());
        }
        Object shown = tagTexts.size() == 1 ? tagTexts.get(0) : tagTexts;
        List<AwsBackend.Instance> found = backend.findRunningByTags(tags);
        if (found.isEmpty()) {
            throw new SpotDrillConfigurationException(Messages.nothingMatches("tags", shown, world.region()));
        }
        List<Target> eligible = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (AwsBackend.Instance i : found) {
            Optional<String[]> r = refusal(i);
            if (r.isPresent()) {
                refusals.add(i.id() + ": " + r.get()[0] + "; " + r.get()[1]);
            } else if (TargetClaims.claimed(world, i.id())) {
                refusals.add(i.id() + ": another drill in this JVM is interrupting it");
            } else {
                eligible.add(target(i));
            }
        }
        eligible = withoutForeignClaims(eligible, refusals);
        if (eligible.isEmpty()) {
            throw new GuardrailException(Messages.noneEligible("tags", shown, refusals));
        }
        int count = spec.count() == 0 ? eligible.size() : spec.count();
        if (count > eligible.size()) {
            throw new SpotDrillConfigurationException(
                    Messages.countTooHigh(spec.count(), eligible.size(), "tags", shown));
        }
        return select(eligible, count);
    }

    private List<Target> select(List<Target> candidates, int count) {
        List<Target> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparing(Target::instanceId));
        Collections.shuffle(sorted, new Random(seed));
        List<Target> chosen = new ArrayList<>(sorted.subList(0, count));
        chosen.sort(Comparator.comparing(Target::instanceId));
        return chosen;
    }

    private Target target(AwsBackend.Instance i) {
        return new Target(i.id(), i.type(), i.zone(), null, i.tags());
    }

    /** Why a guardrail refuses the instance, as {rule, fix}, or empty. */
    private Optional<String[]> refusal(AwsBackend.Instance i) {
        if (!i.spot()) {
            return Optional.of(new String[] {
                "it is an " + i.lifecycle() + " instance and FIS interrupts only Spot instances",
                "select Spot instances only"
            });
        }
        if (!"running".equals(i.state())) {
            return Optional.of(
                    new String[] {"it is " + i.state() + ", not running", "start it, or select a running instance"});
        }
        if (!i.zone().startsWith(world.region())) {
            return Optional.of(new String[] {
                "its zone " + i.zone() + " is outside the region " + world.region(),
                "set spotdrill.aws.region to the instance's region"
            });
        }
        String tag = options.optInKey() + "=" + options.optInValue();
        if (!options.optInValue().equals(i.tags().get(options.optInKey()))) {
            return Optional.of(new String[] {
                "it does not carry the opt-in tag " + tag,
                "tag it " + tag + " if it may be interrupted (spotdrill.guard.optInTag sets the tag)"
            });
        }
        return Optional.empty();
    }
}
