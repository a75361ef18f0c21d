package dev.spotdrill.core.drill;

import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.aws.EventQueue;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.InstanceClaims;
import dev.spotdrill.core.kube.KubeClientFactory;
import dev.spotdrill.core.kube.ProbePodSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Finds, and sweeps, what drills left: FIS experiment templates and experiments tagged {@code spotdrill:run-id}, the
 * EventBridge rules and SQS queues named {@code spotdrill-...} with that tag (see {@link EventQueue}), the IMDS probe
 * pods (label {@code app.kubernetes.io/name=spotdrill-imds-probe}, run id in {@code spotdrill/run-id}) and the claim
 * tags {@code spotdrill:claim:<run id>} on instances. A drill always removes all of these when it ends, and the JVM's
 * shutdown hook does when the JVM is told to stop (SIGTERM, see {@link JvmExit}); a JVM that was killed (SIGKILL) cannot,
 * and this is how a nightly job sweeps after it.
 *
 * <p>A sweep never touches what a <em>live</em> run owns: a run is live while one of its claims has not expired (a
 * drill renews its claims every 2 minutes; they last 10). Of the rest, it takes only what is older than
 * {@code olderThan} (default {@link #DEFAULT_OLDER_THAN}, by the {@code spotdrill:created-at} tag; an item without one
 * counts as old). Expired claims go whatever their age. Without {@code clean} it is a dry run that says what it would
 * remove.
 *
 * <pre>{@code
 * SweepReport dryRun = Leftovers.sweep(world, SweepOptions.defaults());                        // spotdrill sweep
 * SweepReport done = Leftovers.sweep(world, SweepOptions.defaults().olderThan(Duration.ZERO).cleaning());
 * done.lines().forEach(System.out::println);
 * }</pre>
 */
public final class Leftovers {
    /** The tag every template, experiment, rule and queue of a drill carries. */
    public static final String RUN_ID_TAG = "spotdrill:run-id";
    /** The tag with the world time a drill created the item. */
    public static final String CREATED_AT_TAG = "spotdrill:created-at";
    /** How old an item must be before a sweep takes it, unless told otherwise. */
    public static final Duration DEFAULT_OLDER_THAN = Duration.ofHours(2);

    private Leftovers() {}

    /**
     * One thing a drill left.
     *
     * @param kind {@code template}, {@code experiment}, {@code rule}, {@code queue}, {@code probe-pod} or
     *     {@code claim}
     * @param id its FIS id, the rule's name, the queue's URL, the pod's {@code namespace/name}, or the claimed
     *     instance's id
     * @param runId the drill's run id
     * @param test the test that ran the drill, when known
     * @param status the experiment's status, or a claim's {@code live until ...}/{@code expired at ...}; empty for the
     *     others
     * @param createdAt when the drill created it (world time), when known
     */
    public record Item(String kind, String id, String runId, String test, String status, Optional<Instant> createdAt) {
        public Item {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(id, "id");
            runId = runId == null ? "" : runId;
            test = test == null ? "" : test;
            status = status == null ? "" : status;
            createdAt = createdAt == null ? Optional.empty() : createdAt;
        }

        /** An item whose creation time is unknown. */
        public Item(String kind, String id, String runId, String test, String status) {
            this(kind, id, runId, test, status, Optional.empty());
        }

        /** Whether an experiment is still active (so a sweep stops it). */
        public boolean active() {
            return List.of("pending", "initiating", "running").contains(status);
        }

        /** {@code template EXT... of run sd-... (Test.method)}. */
        public String describe() {
            return kind + " " + id + " of run " + (runId.isEmpty() ? "?" : runId)
                    + (test.isEmpty() ? "" : " (" + test + ")") + (status.isEmpty() ? "" : ", " + status);
        }
    }

    /**
     * How to sweep.
     *
     * @param olderThan only items at least this old are taken (claims: only expired ones, whatever their age)
     * @param clean whether to remove them; {@code false} is a dry run
     */
    public record SweepOptions(Duration olderThan, boolean clean) {
        public SweepOptions {
            Objects.requireNonNull(olderThan, "olderThan");
            if (olderThan.isNegative()) {
                throw new IllegalArgumentException(
                        "olderThan " + olderThan + " is negative; use PT0S for everything, or e.g. PT2H");
            }
        }

        /** A dry run of items older than {@link #DEFAULT_OLDER_THAN}: what {@code spotdrill sweep} does. */
        public static SweepOptions defaults() {
            return new SweepOptions(DEFAULT_OLDER_THAN, false);
        }

        /** The same, taking items at least this old. */
        public SweepOptions olderThan(Duration age) {
            return new SweepOptions(age, clean);
        }

        /** The same, removing what it finds: {@code --clean}. */
        public SweepOptions cleaning() {
            return new SweepOptions(olderThan, true);
        }
    }

    /** What a sweep did with one item. */
    public enum Outcome {
        /** Old enough and not live: removed (or, in a dry run, would be). */
        REMOVED,
        /** A dry run would remove it. */
        WOULD_REMOVE,
        /** Its run is live: never touched. */
        KEPT_LIVE,
        /** Younger than {@code olderThan}. */
        KEPT_YOUNG,
        /** The removal failed; {@code detail} says why and how to remove it by hand. */
        FAILED
    }

    /** One item and what the sweep did with it, and why. */
    public record Swept(Item item, Outcome outcome, String detail) {
        /** {@code removed template EXT... of run sd-... (...): older than PT2H}. */
        public String line() {
            String verb =
                    switch (outcome) {
                        case REMOVED -> "removed";
                        case WOULD_REMOVE -> "would remove";
                        case KEPT_LIVE, KEPT_YOUNG -> "kept";
                        case FAILED -> "FAILED to remove";
                    };
            return verb + " " + item.describe() + (detail.isEmpty() ? "" : ": " + detail);
        }
    }

    /**
     * What a sweep found and did.
     *
     * @param at the world time of the sweep
     * @param options how it swept
     * @param items every item found, with what was done
     * @param liveRuns the runs that are live (a claim not expired)
     * @param notes what could not be looked at (for example probe pods without Kubernetes access)
     */
    public record SweepReport(
            Instant at, SweepOptions options, List<Swept> items, Set<String> liveRuns, List<String> notes) {
        public SweepReport {
            items = List.copyOf(items);
            liveRuns = Set.copyOf(liveRuns);
            notes = List.copyOf(notes);
        }

        /** The items with an outcome. */
        public List<Item> items(Outcome outcome) {
            return items.stream()
                    .filter(s -> s.outcome() == outcome)
                    .map(Swept::item)
                    .toList();
        }

        /** Whether anything is left to remove, or failed to be removed: the CLI's "findings". */
        public boolean findings() {
            return items.stream().anyMatch(s -> s.outcome() == Outcome.WOULD_REMOVE || s.outcome() == Outcome.FAILED);
        }

        /** One line per item, then a summary line, for a console. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            items.forEach(s -> out.add(s.line()));
            out.addAll(notes);
            long removed = items.stream()
                    .filter(s -> s.outcome() == Outcome.REMOVED || s.outcome() == Outcome.WOULD_REMOVE)
                    .count();
            out.add(items.size() + " leftover(s) found, " + removed + (options.clean() ? " removed" : " to remove")
                    + " (older than " + options.olderThan() + ", not owned by a live run)"
                    + (options.clean() ? "" : "; dry run: add --clean to remove them"));
            return out;
        }
    }

    /**
     * Lists (or with {@code --clean}, sweeps) the leftovers in the {@code aws} world configured by system properties
     * and {@code SPOTDRILL_*} variables: {@code java -cp ... dev.spotdrill.core.drill.Leftovers [--clean]
     * [--older-than PT2H]}. The {@code spotdrill sweep} command does the same.
     */
    public static void main(String[] args) {
        World world = World.aws(dev.spotdrill.core.SpotDrillConfig.fromSystem());
        List<String> a = List.of(args);
        SweepOptions options = SweepOptions.defaults();
        int at = a.indexOf("--older-than");
        if (at >= 0 && at + 1 < a.size()) {
            options = options.olderThan(Duration.parse(a.get(at + 1)));
        }
        if (a.contains("--clean")) {
            options = options.cleaning();
        }
        sweep(world, options).lines().forEach(l -> System.out.println(Redactor.redact(l)));
    }

    /**
     * Every template, active experiment, rule, queue, probe pod and claim a drill left, whoever owns it and whatever
     * its age. Listing needs {@code fis:ListExperimentTemplates}, {@code fis:ListExperiments},
     * {@code events:ListRules}, {@code events:ListTagsForResource}, {@code sqs:ListQueues}, {@code sqs:ListQueueTags},
     * {@code ec2:DescribeTags} and, for probe pods, listing pods in every namespace.
     */
    public static List<Item> find(World world) {
        return collect(world, new SdkAwsBackend(world), new ArrayList<>());
    }

    /**
     * Sweeps with the defaults and cleaning: every item older than {@link #DEFAULT_OLDER_THAN} whose run is not live is
     * removed (experiments stopped first); returns what was removed.
     */
    public static List<Item> clean(World world) {
        return sweep(world, SweepOptions.defaults().cleaning()).items(Outcome.REMOVED);
    }

    /** Sweeps as told: see the class comment. */
    public static SweepReport sweep(World world, SweepOptions options) {
        return sweep(world, new SdkAwsBackend(world), options);
    }

    static SweepReport sweep(World world, AwsBackend backend, SweepOptions options) {
        Instant now = world.clock().now();
        List<String> notes = new ArrayList<>();
        List<Item> found = collect(world, backend, notes);
        Set<String> live = new LinkedHashSet<>();
        for (Item i : found) {
            if (i.kind().equals("claim") && i.status().startsWith("live")) {
                live.add(i.runId());
            }
        }
        List<Swept> decided = new ArrayList<>();
        for (Item i : found) {
            decided.add(decide(i, live, now, options));
        }
        if (!options.clean()) {
            return new SweepReport(now, options, decided, live, notes);
        }
        // stop experiments first, then what they fed, then templates; claims last
        List<String> order = List.of("experiment", "rule", "queue", "probe-pod", "template", "claim");
        List<Swept> done = new ArrayList<>(decided);
        for (String kind : order) {
            for (int n = 0; n < done.size(); n++) {
                Swept s = done.get(n);
                if (s.outcome() != Outcome.REMOVED || !s.item().kind().equals(kind)) {
                    continue;
                }
                try {
                    remove(world, backend, s.item());
                } catch (RuntimeException e) {
                    done.set(n, new Swept(s.item(), Outcome.FAILED, Redactor.redact(String.valueOf(e.getMessage()))));
                }
            }
        }
        return new SweepReport(now, options, done, live, notes);
    }

    private static Swept decide(Item i, Set<String> live, Instant now, SweepOptions options) {
        Outcome remove = options.clean() ? Outcome.REMOVED : Outcome.WOULD_REMOVE;
        if (i.kind().equals("claim")) {
            return i.status().startsWith("live")
                    ? new Swept(i, Outcome.KEPT_LIVE, "the claim has not expired")
                    : new Swept(i, remove, "the claim has expired");
        }
        if (live.contains(i.runId())) {
            return new Swept(i, Outcome.KEPT_LIVE, "run " + i.runId() + " is live (a claim has not expired)");
        }
        if (i.createdAt().isPresent() && i.createdAt().get().isAfter(now.minus(options.olderThan()))) {
            return new Swept(
                    i,
                    Outcome.KEPT_YOUNG,
                    "created " + i.createdAt().get() + ", not older than " + options.olderThan());
        }
        return new Swept(
                i,
                remove,
                i.createdAt()
                                .map(t -> "created " + t + ", older than " + options.olderThan())
                                .orElse("age unknown") + ", its run is not live");
    }

    private static List<Item> collect(World world, AwsBackend backend, List<String> notes) {
        List<Item> out = new ArrayList<>();
        for (AwsBackend.Tagged t : backend.taggedTemplates(RUN_ID_TAG)) {
            out.add(item("template", t.id(), t.tags(), ""));
        }
        for (AwsBackend.Tagged e : backend.taggedExperiments(RUN_ID_TAG)) {
            if (List.of("pending", "initiating", "running", "stopping").contains(e.status())) {
                out.add(item("experiment", e.id(), e.tags(), e.status()));
            }
        }
        for (EventQueue.Leftover l : EventQueue.leftovers(world, RUN_ID_TAG)) {
            out.add(item(l.kind(), l.id(), l.tags(), ""));
        }
        Instant now = world.clock().now();
        for (InstanceClaims.Claim c : InstanceClaims.all(backend)) {
            out.add(new Item(
                    "claim",
                    c.instanceId(),
                    c.runId(),
                    "",
                    (c.live(now) ? "live until " : "expired at ") + c.expires(),
                    Optional.empty()));
        }
        out.addAll(probePods(world, notes));
        return out;
    }

    private static Item item(String kind, String id, Map<String, String> tags, String status) {
        return new Item(
                kind,
                id,
                tags.getOrDefault(RUN_ID_TAG, ""),
                tags.getOrDefault("spotdrill:test", ""),
                status,
                instant(tags.get(CREATED_AT_TAG)));
    }

    private static Optional<Instant> instant(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The IMDS probe pods in every namespace, when the world has a cluster that answers. */
    private static List<Item> probePods(World world, List<String> notes) {
        if (world.kube().isEmpty()) {
            return List.of();
        }
        List<Item> out = new ArrayList<>();
        try (KubernetesClient client = KubeClientFactory.client(world, "the leftovers sweep")) {
            for (Pod p : client.pods()
                    .inAnyNamespace()
                    .withLabel(ProbePodSpec.APP_LABEL, ProbePodSpec.APP)
                    .list()
                    .getItems()) {
                Map<String, String> labels = p.getMetadata().getLabels() == null
                        ? Map.of()
                        : p.getMetadata().getLabels();
                Map<String, String> notesOf = p.getMetadata().getAnnotations() == null
                        ? Map.of()
                        : p.getMetadata().getAnnotations();
                Optional<Instant> created = instant(notesOf.get(ProbePodSpec.CREATED_AT_ANNOTATION))
                        .or(() -> instant(p.getMetadata().getCreationTimestamp()));
                out.add(new Item(
                        "probe-pod",
                        p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(),
                        labels.getOrDefault(ProbePodSpec.RUN_ID_LABEL, ""),
                        "",
                        "",
                        created));
            }
        } catch (RuntimeException e) {
            notes.add("IMDS probe pods were not checked: the cluster did not answer ("
                    + Redactor.redact(String.valueOf(e.getMessage()))
                    + "); check spotdrill.kube.context, or delete them"
                    + " with kubectl delete pod -A -l " + ProbePodSpec.APP_LABEL + "=" + ProbePodSpec.APP);
        }
        return out;
    }

    private static void remove(World world, AwsBackend backend, Item i) {
        switch (i.kind()) {
            case "experiment" -> backend.stopExperiment(i.id());
            case "template" -> backend.deleteTemplate(i.id());
            case "rule", "queue" ->
                EventQueue.remove(
                        world,
                        new EventQueue.Leftover(
                                i.kind(),
                                i.kind().equals("queue") ? i.id().substring(i.id().lastIndexOf('/') + 1) : i.id(),
                                i.id(),
                                Map.of()));
            case "claim" -> InstanceClaims.remove(backend, i.id(), i.runId());
            case "probe-pod" -> {
                String[] nsName = i.id().split("/", 2);
                try (KubernetesClient client = KubeClientFactory.client(world, "the leftovers sweep")) {
                    client.pods()
                            .inNamespace(nsName[0])
                            .withName(nsName[1])
                            .withGracePeriod(0)
                            .delete();
                }
            }
            default -> throw new SpotDrillException("unknown leftover kind " + i.kind());
        }
    }
}
