package dev.spotdrill.core.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.ExperimentFailedException;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import dev.spotdrill.core.internal.TemplateRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Coalesced drills ({@code spotdrill.fis.coalesce}): drills of this JVM that become ready to create their template
 * within the gather window, with the same world, region, account, role and stop condition, share one FIS experiment.
 * Each drill gets its own actions and targets in it (one per 5 instances, with its own lead time); a batch holds at
 * most {@link #MAX_ACTIONS} actions, FIS's quota of parallel actions per experiment, and a full batch closes at once.
 *
 * <p>A batch closes when its window has passed, or earlier once every drill of this JVM that announced it would
 * coalesce ({@link #preparing}) has joined a batch and none has announced for {@link #QUIET}: a suite whose drills
 * all start together does not wait out the window, and a lone drill does not wait at all.
 *
 * <p>Protocol: {@link #join} returns once the batch's template exists; {@link Seat#start} returns once every seat is
 * ready (its sources watch) and one of them started the experiment. A seat that leaves before the start is left out
 * of it: the template is made again without its actions, so its targets are never interrupted.
 */
final class Coalescer {
    /** FIS's default quota of parallel actions per experiment (every action of ours starts at once). */
    static final int MAX_ACTIONS = 10;

    /** How long (wall) the seats wait for each other to be ready before the experiment starts without the late. */
    static final Duration READY_WAIT = Duration.ofMinutes(2);

    static final String COALESCED_TAG = "spotdrill:coalesced";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Batch> OPEN = new HashMap<>();

    /** How long no drill may be preparing before a batch closes ahead of its window. */
    static final Duration QUIET = Duration.ofMillis(250);

    /** Drills that announced they will coalesce and have not joined yet (written under OPEN, read without it). */
    private static volatile int preparing;
    /** When {@link #preparing} last became 0 (nanoTime; written under OPEN, read without it). */
    private static volatile long quietSince = System.nanoTime();

    /**
     * Announces a drill that will join a batch once resolved and guarded; the returned action says it no longer
     * will (it joined, or failed first). Idempotent.
     */
    static Runnable preparing() {
        synchronized (OPEN) {
            preparing = preparing + 1;
        }
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                synchronized (OPEN) {
                    arrived();
                }
            }
        };
    }

    /** One announced drill joined or gave up (under OPEN): the batches may close once none is left. */
    private static void arrived() {
        if (preparing == 1) {
            quietSince = System.nanoTime();
        }
        preparing = preparing - 1;
        if (preparing == 0) {
            for (Batch b : OPEN.values()) {
                synchronized (b) {
                    b.notifyAll();
                }
            }
        }
    }

    /**
     * The nanoTime from which a batch may close early, or Long.MAX_VALUE while drills are preparing. Read without
     * OPEN: a batch's leader asks while it holds its batch's monitor, and {@link #arrived} takes OPEN, then the
     * batches' monitors. A stale read only delays the close until the next wake-up.
     */
    private static long quietFrom() {
        if (preparing > 0) {
            return Long.MAX_VALUE;
        }
        return quietSince + QUIET.toNanos(); // written before preparing fell to 0, so read after it
    }

    private Coalescer() {}

    /** What one drill brings to a batch. */
    record Entry(DrillInfo info, List<String> arns, Duration leadTime, Map<String, String> tags, Gate gate) {
        Entry {
            arns = List.copyOf(arns);
            tags = Map.copyOf(tags);
        }

        int actions() {
            return (arns.size() + TemplateRequest.PER_ACTION - 1) / TemplateRequest.PER_ACTION;
        }
    }

    /**
     * Joins (or opens) the batch for {@code key} and returns once its template exists.
     *
     * @param window the gather window, in wall time: the batch closes this long after its first drill joined
     * @throws SpotDrillException when the batch's template could not be created
     */
    static Seat join(
            String key, Duration window, AwsBackend backend, String roleArn, Optional<String> stopAlarm, Entry entry) {
        return join(key, window, backend, roleArn, stopAlarm, entry, null);
    }

    /**
     * As above, for a drill that announced itself ({@link #preparing}): {@code announced} runs once its seat is in a
     * batch, under the same lock, so that no batch closes early between the two. A batch closes early only when it
     * has such a drill (null: not announced).
     */
    static Seat join(
            String key,
            Duration window,
            AwsBackend backend,
            String roleArn,
            Optional<String> stopAlarm,
            Entry entry,
            Runnable announced) {
        if (entry.actions() > MAX_ACTIONS) {
            throw new IllegalArgumentException("a drill of " + entry.arns().size() + " targets cannot be coalesced");
        }
        Batch batch;
        Seat seat;
        boolean leader;
        synchronized (OPEN) {
            batch = OPEN.get(key);
            if (batch != null && batch.actions + entry.actions() > MAX_ACTIONS) {
                batch.close();
                OPEN.remove(key);
                batch = null;
            }
            leader = batch == null;
            if (leader) {
                batch = new Batch(backend, roleArn, stopAlarm, System.nanoTime() + window.toNanos());
                OPEN.put(key, batch);
            }
            seat = batch.add(entry);
            if (announced != null) {
                batch.announced = true;
                announced.run();
            }
            if (batch.actions >= MAX_ACTIONS) {
                batch.close();
                OPEN.remove(key);
            }
        }
        if (leader) {
            batch.gather(key);
            batch.create(seat, 0);
        }
        batch.awaitTemplate();
        return seat;
    }

    /** The batches still gathering, for tests. */
    static int open() {
        synchronized (OPEN) {
            return OPEN.size();
        }
    }

    /** One experiment shared by the drills of one batch. */
    static final class Batch {
        private final AwsBackend backend;
        private final String roleArn;
        private final Optional<String> stopAlarm;
        private final long closeAtNanos;
        private final List<Seat> seats = new ArrayList<>();
        private int actions;
        private boolean closed;
        /** Whether a drill that announced itself is in the batch (then it may close ahead of its window). */
        private boolean announced;

        private TemplateRequest request;
        private String templateId;
        private RuntimeException createFailure;
        private boolean starting;
        private ExperimentView started;
        private RuntimeException startFailure;
        private int in;

        Batch(AwsBackend backend, String roleArn, Optional<String> stopAlarm, long closeAtNanos) {
            this.backend = backend;
            this.roleArn = roleArn;
            this.stopAlarm = stopAlarm;
            this.closeAtNanos = closeAtNanos;
        }

        synchronized Seat add(Entry e) {
            List<TemplateRequest.Action> own = new ArrayList<>();
            for (int i = 0; i < e.arns().size(); i += TemplateRequest.PER_ACTION) {
                String name = e.info().runId() + "-" + (own.size() + 1);
                own.add(new TemplateRequest.Action(
                        name,
                        name,
                        e.arns().subList(i, Math.min(e.arns().size(), i + TemplateRequest.PER_ACTION)),
                        e.leadTime()));
            }
            Seat s = new Seat(this, e, own);
            seats.add(s);
            actions += own.size();
            return s;
        }

        synchronized void close() {
            closed = true;
            notifyAll();
        }

        /**
         * The leader waits for the window to pass, the batch to fill, or every announced drill to have joined with
         * none announced for {@link #QUIET}; then closes it.
         */
        private void gather(String key) {
            synchronized (this) {
                while (!closed) {
                    long now = System.nanoTime();
                    long left = closeAtNanos - now;
                    long quiet = announced ? quietFrom() : Long.MAX_VALUE;
                    if (left <= 0 || quiet <= now) {
                        break;
                    }
                    long until = quiet == Long.MAX_VALUE ? left : Math.min(left, quiet - now);
                    try {
                        wait(Math.max(1, until / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            synchronized (OPEN) {
                if (OPEN.get(key) == this) {
                    OPEN.remove(key);
                }
                close();
            }
        }

        /** Creates the template for the seats still in (generation 0 at first, more when some left before start). */
        private void create(Seat creator, int generation) {
            List<Seat> members;
            synchronized (this) {
                members = seats.stream().filter(s -> !s.withdrawn).toList();
            }
            List<TemplateRequest.Action> acts = new ArrayList<>();
            members.forEach(s -> acts.addAll(s.actions));
            Map<String, String> tags = new LinkedHashMap<>(creator.entry.tags());
            tags.put(
                    COALESCED_TAG,
                    members.stream().map(s -> s.entry.info().runId()).collect(Collectors.joining(",")));
            String token = UUID.nameUUIDFromBytes((creator.entry.info().runId() + "/coalesced-template/" + generation)
                            .getBytes(StandardCharsets.UTF_8))
                    .toString();
            TemplateRequest req = TemplateRequest.coalesced(
                    token,
                    "spotdrill coalesced, " + members.size() + " drills: "
                            + members.stream()
                                    .map(s -> s.entry.info().runId() + " "
                                            + s.entry.info().testName())
                                    .collect(Collectors.joining("; ")),
                    roleArn,
                    acts,
                    stopAlarm,
                    tags);
            try {
                String id = creator.entry
                        .gate()
                        .pass("create the FIS experiment template", () -> backend.createTemplate(req));
                synchronized (this) {
                    request = req;
                    templateId = id;
                    in = members.size();
                    notifyAll();
                }
            } catch (RuntimeException e) {
                synchronized (this) {
                    createFailure = e;
                    notifyAll();
                }
            }
        }

        private synchronized void awaitTemplate() {
            while (templateId == null && createFailure == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SpotDrillException("interrupted while the coalesced FIS template was created", e);
                }
            }
            if (templateId == null) {
                throw new SpotDrillException(
                        "the coalesced FIS template of " + seats.size() + " drills could not be created: "
                                + createFailure.getMessage(),
                        createFailure);
            }
        }

        private boolean allSettled() {
            return seats.stream().allMatch(s -> s.ready || s.withdrawn);
        }
    }

    /** One drill's place in a batch. */
    static final class Seat {
        private final Batch batch;
        private final Entry entry;
        private final List<TemplateRequest.Action> actions;
        private final Set<String> actionNames;
        private boolean ready;
        private boolean withdrawn;
        private boolean left;

        private Seat(Batch batch, Entry entry, List<TemplateRequest.Action> actions) {
            this.batch = batch;
            this.entry = entry;
            this.actions = List.copyOf(actions);
            this.actionNames = actions.stream()
                    .map(TemplateRequest.Action::name)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
        }

        /** The shared template's id (it changes if a seat left before the start). */
        String templateId() {
            synchronized (batch) {
                return batch.templateId;
            }
        }

        /** This drill's part of the template, as FIS's JSON: its own actions and targets only. */
        String templateJson() {
            synchronized (batch) {
                return batch.request.json(a -> actionNames.contains(a.name()));
            }
        }

        Set<String> actionNames() {
            return actionNames;
        }

        /** How many drills share the experiment (this one included). */
        int drills() {
            synchronized (batch) {
                return (int) batch.seats.stream().filter(s -> !s.withdrawn).count();
            }
        }

        /**
         * Marks this drill ready and waits until the experiment is started (by the last seat to be ready, with
         * {@code startIt}, which waits for a free slot); returns its first view.
         *
         * @throws ExperimentFailedException when the start failed, or the experiment started without this drill
         */
        ExperimentView start(Function<String, ExperimentView> startIt) {
            boolean mine = false;
            synchronized (batch) {
                if (withdrawn) {
                    throw late();
                }
                ready = true;
                batch.notifyAll();
                long giveUp = System.nanoTime() + READY_WAIT.toNanos();
                while (batch.started == null && batch.startFailure == null) {
                    if (!batch.starting && batch.allSettled()) {
                        batch.starting = true;
                        mine = true;
                        break;
                    }
                    long left = giveUp - System.nanoTime();
                    if (left <= 0 && !batch.starting) {
                        // the late ones are left out; they fail when they come
                        batch.seats.stream().filter(s -> !s.ready).forEach(s -> s.withdrawn = true);
                        continue;
                    }
                    try {
                        // past the ready wait, the start is under way (it may wait for a free slot): check each second
                        batch.wait(left > 0 ? Math.max(1, Math.min(left / 1_000_000, 1000)) : 1000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ExperimentFailedException("interrupted while waiting for the coalesced experiment");
                    }
                }
            }
            if (mine) {
                startShared(startIt);
            }
            synchronized (batch) {
                if (withdrawn) {
                    throw late();
                }
                if (batch.startFailure != null) {
                    throw batch.startFailure instanceof ExperimentFailedException f
                            ? f
                            : new ExperimentFailedException(
                                    "the coalesced FIS experiment could not start: " + batch.startFailure.getMessage());
                }
                return batch.started;
            }
        }

        private void startShared(Function<String, ExperimentView> startIt) {
            try {
                boolean someLeft;
                String old;
                synchronized (batch) {
                    someLeft = batch.seats.stream().anyMatch(s -> s.withdrawn);
                    old = batch.templateId;
                }
                if (someLeft) {
                    // their targets must not be interrupted: a template without their actions
                    synchronized (batch) {
                        batch.templateId = null;
                    }
                    batch.create(this, 1);
                    synchronized (batch) {
                        if (batch.createFailure != null) {
                            throw batch.createFailure;
                        }
                    }
                    batch.backend.deleteTemplate(old);
                }
                ExperimentView v = startIt.apply(templateId());
                synchronized (batch) {
                    batch.started = v;
                    batch.notifyAll();
                }
            } catch (RuntimeException e) {
                synchronized (batch) {
                    batch.startFailure = e;
                    batch.notifyAll();
                }
            }
        }

        private ExperimentFailedException late() {
            return new ExperimentFailedException("the coalesced FIS experiment started without drill "
                    + entry.info().runId() + ": it was not ready within " + READY_WAIT + " (wall) of the others");
        }

        /**
         * Leaves the batch unless this drill is the last one in it; returns whether it left (others remain, and the
         * experiment stays theirs).
         */
        boolean leaveUnlessLast() {
            synchronized (batch) {
                if (left) {
                    return true;
                }
                if (batch.started == null || batch.in <= 1) {
                    return false;
                }
                left = true;
                batch.in--;
                return true;
            }
        }

        /**
         * Leaves the batch; returns whether this drill was the last one in it (so it deletes the template). Before the
         * start, it withdraws: the experiment starts without its actions.
         */
        boolean leave() {
            synchronized (batch) {
                if (left) {
                    return false;
                }
                left = true;
                if (withdrawn) {
                    return false;
                }
                if (batch.started == null && batch.startFailure == null && !batch.starting) {
                    withdrawn = true;
                    batch.notifyAll();
                    boolean anyoneElse = batch.seats.stream().anyMatch(s -> s != this && !s.withdrawn);
                    return !anyoneElse && batch.templateId != null;
                }
                batch.in--;
                return batch.in <= 0;
            }
        }

        /** How many other drills are still in the experiment. */
        int others() {
            synchronized (batch) {
                return Math.max(0, batch.in - (left ? 0 : 1));
            }
        }
    }

    // ------------------------------------------------------------------ this drill's view of the shared experiment

    /** The status of this drill's own actions in an experiment view: the least advanced, or empty when unknown. */
    static Optional<String> ownStatus(ExperimentView v, Set<String> actions) {
        JsonNode acts = parse(v.json()).path("actions");
        List<String> statuses = new ArrayList<>();
        for (String a : actions) {
            String s = acts.path(a).path("state").path("status").asText("");
            if (s.isEmpty()) {
                return Optional.empty();
            }
            statuses.add(s);
        }
        for (String s : statuses) {
            if (!ended(s)) {
                return Optional.of(s);
            }
        }
        for (String s : statuses) {
            if (s.equals("failed") || s.equals("cancelled")) {
                return Optional.of(s);
            }
        }
        return statuses.isEmpty() ? Optional.empty() : Optional.of(statuses.get(0));
    }

    /** The reason FIS gives for one of this drill's actions in the given status. */
    static String ownReason(ExperimentView v, Set<String> actions, String status) {
        JsonNode acts = parse(v.json()).path("actions");
        for (String a : actions) {
            JsonNode st = acts.path(a).path("state");
            if (st.path("status").asText("").equals(status)) {
                return a + ": " + st.path("reason").asText("");
            }
        }
        return "";
    }

    static boolean ended(String actionStatus) {
        return Set.of("completed", "stopped", "failed", "cancelled", "skipped").contains(actionStatus);
    }

    /** When this drill's own actions started: the earliest of their start times. */
    static Optional<Instant> ownStart(ExperimentView v, Set<String> actions) {
        JsonNode acts = parse(v.json()).path("actions");
        Instant first = null;
        for (String a : actions) {
            String t = acts.path(a).path("startTime").asText("");
            if (t.isEmpty() || t.equals("null")) {
                continue;
            }
            Instant at = Instant.parse(t);
            if (first == null || at.isBefore(first)) {
                first = at;
            }
        }
        return Optional.ofNullable(first);
    }

    /**
     * The experiment's JSON with only this drill's actions and their targets, so its report names its own targets
     * only; says how many other drills shared it.
     */
    static String ownJson(String json, Set<String> actions, int others) {
        JsonNode root = parse(json);
        if (!(root instanceof ObjectNode o)) {
            return json;
        }
        Set<String> targets = new LinkedHashSet<>();
        if (o.get("actions") instanceof ObjectNode acts) {
            Map<String, JsonNode> keep = new TreeMap<>();
            acts.fields().forEachRemaining(e -> {
                if (actions.contains(e.getKey())) {
                    keep.put(e.getKey(), e.getValue());
                    e.getValue().path("targets").forEach(t -> targets.add(t.asText()));
                }
            });
            acts.removeAll();
            keep.forEach(acts::set);
        }
        if (o.get("targets") instanceof ObjectNode ts) {
            List<String> drop = new ArrayList<>();
            ts.fieldNames().forEachRemaining(n -> {
                if (!targets.contains(n)) {
                    drop.add(n);
                }
            });
            drop.forEach(ts::remove);
        }
        o.put(
                "coalesced",
                "shared with " + others + " other drill(s); only this drill's actions and targets are shown");
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return json;
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json == null || json.isBlank() ? "{}" : json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return JSON.createObjectNode();
        }
    }
}
