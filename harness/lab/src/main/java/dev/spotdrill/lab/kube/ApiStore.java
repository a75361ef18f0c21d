package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The API server's storage: every object as a JSON tree under one global resourceVersion, like etcd behind a real
 * API server, with a bounded history of changes from which watches resume.
 *
 * <p>Stored trees are never modified in place: each write stores a new tree, so a tree handed out stays as it
 * was. One lock guards everything; watchers are fed under it, so each watcher sees changes in resourceVersion
 * order with no gap.
 *
 * <p>Watch semantics follow the real server's watch cache: without a resourceVersion (or with "0") a watch first
 * gets the current objects as ADDED; with one it gets every change after it, or a 410 Expired when that version
 * is older than the history; an object that stops matching the watch's selectors is sent as DELETED (its last
 * matching state at the new resourceVersion), one that starts matching as ADDED.
 */
final class ApiStore {
    static final String INITIAL_EVENTS_END = "k8s.io/initial-events-end";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
    private static final Set<String> OWNER_KINDS =
            Set.of("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob");
    private static final String SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    static final int WATCH_QUEUE_LIMIT = 100_000;

    /** One change: before is null for an addition, after is null for a deletion. */
    record Change(ApiResources.Type type, long rv, ObjectNode before, ObjectNode after) {}

    /** One item of a watch stream. */
    record Event(String type, JsonNode object) {}

    /** A list answer: the items (sorted by namespace and name) and the resourceVersion they were read at. */
    record Listing(List<ObjectNode> items, long rv) {}

    private final Supplier<Instant> clock;
    private final int historyLimit;
    private final Map<ApiResources.Type, NavigableMap<String, ObjectNode>> data = new HashMap<>();
    private final ArrayDeque<Change> history = new ArrayDeque<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
    private long rv = 1000;
    private long compactedRv = 1000;

    ApiStore(Supplier<Instant> clock, int historyLimit) {
        this.clock = clock;
        this.historyLimit = historyLimit;
        for (ApiResources.Type t : ApiResources.all()) {
            data.put(t, new TreeMap<>());
        }
        for (String ns : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
            ensureNamespace(ns);
        }
    }

    /** Called under the store's lock after every change: keep it short, never block. */
    void addListener(java.util.function.Consumer<Change> listener) {
        listeners.add(listener);
    }

    void removeListener(java.util.function.Consumer<Change> listener) {
        listeners.remove(listener);
    }

    synchronized long resourceVersion() {
        return rv;
    }

    /** Runs the action under the store's lock, so that reads and writes in it are one atomic step. */
    synchronized <T> T atomically(Supplier<T> action) {
        return action.get();
    }

    private static String key(String namespace, String name) {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }

    synchronized ObjectNode get(ApiResources.Type type, String namespace, String name) {
        return data.get(type).get(key(type.namespaced() ? namespace : null, name));
    }

    synchronized ObjectNode require(ApiResources.Type type, String namespace, String name) {
        ObjectNode o = get(type, namespace, name);
        if (o == null) {
            throw ApiException.notFound(type, name);
        }
        return o;
    }

    /** The objects of a type in a namespace (null or empty: all) that pass the filter. */
    synchronized Listing list(ApiResources.Type type, String namespace, Selectors.Filter filter) {
        NavigableMap<String, ObjectNode> m = data.get(type);
        Iterable<ObjectNode> scope = namespace == null || namespace.isEmpty() || !type.namespaced()
                ? m.values()
                : m.subMap(namespace + "/", true, namespace + "/\uffff", true).values();
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode o : scope) {
            if (filter.matches(o)) {
                out.add(o);
            }
        }
        return new Listing(out, rv);
    }

    // ------------------------------------------------------------------ writes

    /**
     * Stores a new object: the server sets uid, creationTimestamp (world time), resourceVersion and, for
     * workloads, generation; a {@code generateName} gets a random suffix.
     */
    synchronized ObjectNode create(ApiResources.Type type, String namespace, ObjectNode body) {
        return insert(type, namespace, body.deepCopy());
    }

    /**
     * As {@link #create}, for a body the caller hands over: it is stored as it is (its top level and metadata are
     * completed in place), so that the lab's controller can store pods whose spec is one tree shared by the pods of
     * a ReplicaSet. Stored trees are never modified in place, so the sharing is safe.
     */
    synchronized ObjectNode createOwned(ApiResources.Type type, String namespace, ObjectNode body) {
        return insert(type, namespace, body);
    }

    private ObjectNode insert(ApiResources.Type type, String namespace, ObjectNode o) {
        ObjectNode meta = meta(type, o);
        String name = meta.path("name").asText("");
        if (name.isEmpty()) {
            String generate = meta.path("generateName").asText("");
            if (generate.isEmpty()) {
                throw ApiException.invalid(type, "", "metadata.name: Required value: name or generateName is required");
            }
            do {
                name = generate + suffix();
            } while (get(type, namespace, name) != null);
            meta.put("name", name);
        }
        checkName(type, name);
        if (type.namespaced()) {
            String bodyNs = meta.path("namespace").asText("");
            if (!bodyNs.isEmpty() && !bodyNs.equals(namespace)) {
                throw ApiException.badRequest("the namespace of the provided object (" + bodyNs
                        + ") does not match the namespace sent on the request (" + namespace + ")");
            }
            meta.put("namespace", namespace);
            ensureNamespace(namespace);
        } else {
            meta.remove("namespace");
        }
        String k = key(type.namespaced() ? namespace : null, name);
        if (data.get(type).containsKey(k)) {
            throw ApiException.alreadyExists(type, name);
        }
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", timestamp(clock.get()));
        meta.remove("deletionTimestamp");
        // managedFields sent on a create are kept, as the real server does (the lab's controllers send theirs)
        if (generated(type)) {
            meta.put("generation", 1);
        }
        defaults(type, o);
        return commit(type, k, null, o);
    }

    /**
     * Replaces an object with what the function makes of a copy of it. The function's result keeps the stored
     * identity (name, namespace, uid, creationTimestamp); a resourceVersion in it must be the current one (else
     * 409), none means an unconditional update. A result equal to the stored object changes nothing.
     */
    synchronized ObjectNode update(
            ApiResources.Type type, String namespace, String name, UnaryOperator<ObjectNode> change) {
        ObjectNode current = require(type, namespace, name);
        return update(type, namespace, name, current, change.apply(current.deepCopy()));
    }

    /**
     * As {@link #update}, but the function gets a shallow copy: its own top level and metadata object, holding the
     * stored object's subtrees, which it must replace rather than change in place (stored trees are never modified
     * in place). The lab's controller writes a pod's status this way without copying its spec or managedFields.
     */
    synchronized ObjectNode patch(
            ApiResources.Type type, String namespace, String name, UnaryOperator<ObjectNode> change) {
        ObjectNode current = require(type, namespace, name);
        ObjectNode copy = NODES.objectNode();
        current.fields().forEachRemaining(e -> copy.set(e.getKey(), e.getValue()));
        ObjectNode meta = NODES.objectNode();
        current.get("metadata").fields().forEachRemaining(e -> meta.set(e.getKey(), e.getValue()));
        copy.set("metadata", meta);
        return update(type, namespace, name, current, change.apply(copy));
    }

    private ObjectNode update(
            ApiResources.Type type, String namespace, String name, ObjectNode current, ObjectNode next) {
        if (next == null || !next.isObject()) {
            throw ApiException.badRequest("the update of " + type.qualified() + " \"" + name + "\" is not an object");
        }
        ObjectNode meta = meta(type, next);
        String sentRv = meta.path("resourceVersion").asText("");
        String currentRv = current.path("metadata").path("resourceVersion").asText();
        if (!sentRv.isEmpty() && !sentRv.equals(currentRv)) {
            throw ApiException.conflict(type, name);
        }
        String sentName = meta.path("name").asText("");
        if (!sentName.isEmpty() && !sentName.equals(name)) {
            throw ApiException.badRequest(
                    "the name of the object (" + sentName + ") does not match the name on the URL (" + name + ")");
        }
        JsonNode curMeta = current.get("metadata");
        for (String f : List.of("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp")) {
            if (curMeta.has(f)) {
                meta.set(f, curMeta.get(f));
            } else {
                meta.remove(f);
            }
        }
        meta.put("resourceVersion", currentRv);
        if (curMeta.has("generation")) {
            long gen = curMeta.path("generation").asLong();
            boolean specChanged = !Objects.equals(current.get("spec"), next.get("spec"));
            meta.put("generation", specChanged ? gen + 1 : gen);
        }
        if (next.equals(current)) {
            return current;
        }
        if (curMeta.has("deletionTimestamp") && finalizers(next).isEmpty()) {
            return remove(type, key(type.namespaced() ? namespace : null, name), current, next);
        }
        return commit(type, key(type.namespaced() ? namespace : null, name), current, next);
    }

    /**
     * Deletes an object (or, while it has finalizers, marks it with a deletionTimestamp) and, unless
     * {@code orphan}, the objects it owns.
     *
     * @param preconditionUid when not null, the object's uid must be this (else 409)
     */
    synchronized ObjectNode delete(
            ApiResources.Type type, String namespace, String name, String preconditionUid, boolean orphan) {
        ObjectNode current = require(type, namespace, name);
        String uid = current.path("metadata").path("uid").asText();
        if (preconditionUid != null && !preconditionUid.isEmpty() && !preconditionUid.equals(uid)) {
            throw new ApiException(
                    409,
                    "Conflict",
                    "Precondition failed: UID in precondition: " + preconditionUid + ", UID in object meta: " + uid);
        }
        String k = key(type.namespaced() ? namespace : null, name);
        if (!finalizers(current).isEmpty()) {
            if (current.path("metadata").has("deletionTimestamp")) {
                return current;
            }
            ObjectNode marked = current.deepCopy();
            ((ObjectNode) marked.get("metadata")).put("deletionTimestamp", timestamp(clock.get()));
            ((ObjectNode) marked.get("metadata")).put("deletionGracePeriodSeconds", 0);
            return commit(type, k, current, marked);
        }
        ObjectNode gone = remove(type, k, current, current);
        if (type.plural().equals("namespaces")) {
            for (ApiResources.Type t : ApiResources.all()) {
                if (t.namespaced()) {
                    for (ObjectNode o : list(t, name, Selectors.Filter.ALL).items()) {
                        deleteQuietly(t, o);
                    }
                }
            }
        } else if (!orphan && OWNER_KINDS.contains(type.kind())) {
            collectGarbage(uid, type.namespaced() ? namespace : null);
        }
        return gone;
    }

    private void collectGarbage(String ownerUid, String namespace) {
        for (ApiResources.Type t : ApiResources.all()) {
            if (namespace != null && !t.namespaced()) {
                continue;
            }
            for (ObjectNode o : list(t, namespace, Selectors.Filter.ALL).items()) {
                for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
                    if (ownerUid.equals(ref.path("uid").asText())) {
                        deleteQuietly(t, o);
                        break;
                    }
                }
            }
        }
    }

    private void deleteQuietly(ApiResources.Type t, ObjectNode o) {
        try {
            delete(
                    t,
                    o.path("metadata").path("namespace").asText(""),
                    o.path("metadata").path("name").asText(),
                    null,
                    false);
        } catch (ApiException e) {
            // already gone
        }
    }

    private ObjectNode remove(ApiResources.Type type, String k, ObjectNode current, ObjectNode last) {
        data.get(type).remove(k);
        long next = ++rv;
        ObjectNode gone = last.deepCopy();
        ((ObjectNode) gone.get("metadata")).put("resourceVersion", Long.toString(next));
        record(new Change(type, next, current, null), gone);
        return gone;
    }

    private ObjectNode commit(ApiResources.Type type, String k, ObjectNode before, ObjectNode after) {
        long next = ++rv;
        ((ObjectNode) after.get("metadata")).put("resourceVersion", Long.toString(next));
        data.get(type).put(k, after);
        record(new Change(type, next, before, after), null);
        return after;
    }

    private void record(Change change, ObjectNode deletedState) {
        history.addLast(change);
        while (history.size() > historyLimit) {
            compactedRv = history.removeFirst().rv();
        }
        for (Watch w : watches) {
            w.offer(change, deletedState);
        }
        for (var l : listeners) {
            l.accept(change);
        }
    }

    private void ensureNamespace(String ns) {
        ApiResources.Type nsType = ApiResources.require("v1", "namespaces");
        if (data.get(nsType).containsKey(ns)) {
            return;
        }
        ObjectNode o = NODES.objectNode();
        o.put("apiVersion", "v1");
        o.put("kind", "Namespace");
        ObjectNode meta = o.putObject("metadata");
        meta.put("name", ns);
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", timestamp(clock.get()));
        meta.putObject("labels").put("kubernetes.io/metadata.name", ns);
        o.putObject("spec").putArray("finalizers").add("kubernetes");
        o.putObject("status").put("phase", "Active");
        commit(nsType, ns, null, o);
    }

    private static ObjectNode meta(ApiResources.Type type, ObjectNode o) {
        String apiVersion = o.path("apiVersion").asText("");
        String kind = o.path("kind").asText("");
        if (!apiVersion.isEmpty() && !apiVersion.equals(type.groupVersion())) {
            throw ApiException.badRequest("the API version in the data (" + apiVersion
                    + ") does not match the expected API version (" + type.groupVersion() + ")");
        }
        if (!kind.isEmpty() && !kind.equals(type.kind())) {
            throw ApiException.badRequest(
                    "the kind in the data (" + kind + ") does not match the expected kind (" + type.kind() + ")");
        }
        o.put("apiVersion", type.groupVersion());
        o.put("kind", type.kind());
        JsonNode meta = o.get("metadata");
        if (meta == null || meta.isNull()) {
            return o.putObject("metadata");
        }
        if (!meta.isObject()) {
            throw ApiException.badRequest("metadata must be an object, not " + meta);
        }
        return (ObjectNode) meta;
    }

    private static void checkName(ApiResources.Type type, String name) {
        if (name.length() > 253 || !NAME.matcher(name).matches()) {
            throw ApiException.invalid(
                    type,
                    name,
                    "metadata.name: Invalid value: \"" + name + "\": a lowercase RFC 1123 subdomain must consist of"
                            + " lower case alphanumeric characters, '-' or '.', and must start and end with an"
                            + " alphanumeric character (e.g. 'example.com')");
        }
    }

    private static boolean generated(ApiResources.Type type) {
        return !type.group().isEmpty() && !type.group().startsWith("coordination");
    }

    private static void defaults(ApiResources.Type type, ObjectNode o) {
        if (type.kind().equals("Pod")) {
            JsonNode status = o.get("status");
            if (status == null || !status.isObject()) {
                o.putObject("status").put("phase", "Pending");
            } else if (!status.has("phase")) {
                ((ObjectNode) status).put("phase", "Pending");
            }
        }
    }

    private static List<String> finalizers(JsonNode o) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : o.path("metadata").path("finalizers")) {
            out.add(f.asText());
        }
        return out;
    }

    private static String suffix() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder(5);
        for (int i = 0; i < 5; i++) {
            sb.append(SUFFIX_CHARS.charAt(r.nextInt(SUFFIX_CHARS.length())));
        }
        return sb.toString();
    }

    static String timestamp(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    // ------------------------------------------------------------------ watches

    /**
     * Starts a watch.
     *
     * @param resourceVersion the client's resourceVersion parameter: empty or "0" sends the current objects first
     * @param initialEvents {@code sendInitialEvents=true}: the current objects, then a bookmark marked
     *     {@value #INITIAL_EVENTS_END}
     * @throws ApiException 410 when the resourceVersion is older than the history, 400 when it is not a number
     */
    synchronized Watch watch(
            ApiResources.Type type,
            String namespace,
            Selectors.Filter filter,
            String resourceVersion,
            boolean initialEvents,
            boolean bookmarks) {
        Watch w = new Watch(type, namespace, filter, bookmarks);
        boolean fromNow = resourceVersion == null || resourceVersion.isEmpty() || resourceVersion.equals("0");
        if (initialEvents || fromNow) {
            for (ObjectNode o : list(type, namespace, filter).items()) {
                w.enqueue(new Event("ADDED", o));
            }
            w.sentRv = rv;
            if (initialEvents) {
                ObjectNode mark = bookmarkObject(type, rv);
                ((ObjectNode) mark.get("metadata")).putObject("annotations").put(INITIAL_EVENTS_END, "true");
                w.enqueue(new Event("BOOKMARK", mark));
            }
        } else {
            long from;
            try {
                from = Long.parseLong(resourceVersion);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("invalid resource version \"" + resourceVersion
                        + "\": resourceVersion must be a number that a list or an earlier event returned");
            }
            if (from < compactedRv) {
                throw ApiException.gone("too old resource version: " + from + " (" + compactedRv + ")");
            }
            w.sentRv = Math.min(from, rv);
            for (Change c : history) {
                if (c.type().equals(type) && c.rv() > from) {
                    w.offer(c, deletedState(c));
                }
            }
        }
        watches.add(w);
        return w;
    }

    private static ObjectNode deletedState(Change c) {
        if (c.after() != null) {
            return null;
        }
        ObjectNode gone = c.before().deepCopy();
        ((ObjectNode) gone.get("metadata")).put("resourceVersion", Long.toString(c.rv()));
        return gone;
    }

    /**
     * Queues a bookmark at the current resourceVersion when the watch has not been told of it yet (changes its
     * filter left out moved the version on). Every change up to that version has been offered to the watch under
     * this lock, so a client that resumes from the bookmark misses nothing.
     */
    synchronized void bookmark(Watch w) {
        if (w.bookmarks && !w.closed && rv > w.sentRv && w.queue.isEmpty()) {
            w.enqueue(new Event("BOOKMARK", bookmarkObject(w.type, rv)));
            w.sentRv = rv;
        }
    }

    /** Ends every watch (their clients reconnect with their last resourceVersion), as a server restart would. */
    void closeAllWatches() {
        for (Watch w : watches) {
            w.close();
        }
    }

    /** How many watches are open now. */
    int watchCount() {
        return watches.size();
    }

    private static ObjectNode bookmarkObject(ApiResources.Type type, long rv) {
        ObjectNode o = NODES.objectNode();
        o.put("kind", type.kind());
        o.put("apiVersion", type.groupVersion());
        o.putObject("metadata").put("resourceVersion", Long.toString(rv));
        return o;
    }

    /** One watcher: its scope, filter and queue of events to send. */
    final class Watch implements AutoCloseable {
        final ApiResources.Type type;
        final String namespace;
        final Selectors.Filter filter;
        final boolean bookmarks;
        private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        private volatile boolean closed;
        /** The newest resourceVersion this watch has queued (an event or a bookmark). */
        private long sentRv;

        private Watch(ApiResources.Type type, String namespace, Selectors.Filter filter, boolean bookmarks) {
            this.type = type;
            this.namespace = namespace == null ? "" : namespace;
            this.filter = filter;
            this.bookmarks = bookmarks;
        }

        private void offer(Change c, ObjectNode deletedState) {
            if (closed || !c.type().equals(type)) {
                return;
            }
            ObjectNode any = c.after() != null ? c.after() : c.before();
            if (!namespace.isEmpty()
                    && !namespace.equals(any.path("metadata").path("namespace").asText(""))) {
                return;
            }
            boolean was = c.before() != null && filter.matches(c.before());
            boolean is = c.after() != null && filter.matches(c.after());
            if (c.after() == null) {
                if (was) {
                    enqueue(new Event("DELETED", deletedState != null ? deletedState : c.before()));
                }
            } else if (is) {
                enqueue(new Event(was ? "MODIFIED" : "ADDED", c.after()));
            } else if (was) {
                ObjectNode last = c.before().deepCopy();
                ((ObjectNode) last.get("metadata")).put("resourceVersion", Long.toString(c.rv()));
                enqueue(new Event("DELETED", last));
            } else {
                return;
            }
            sentRv = Math.max(sentRv, c.rv());
        }

        private void enqueue(Event e) {
            if (queue.size() >= WATCH_QUEUE_LIMIT) {
                close();
                return;
            }
            queue.add(e);
        }

        /** The next event, or null after the timeout; an Event of type "CLOSED" once the watch is closed. */
        Event poll(long timeoutMillis) throws InterruptedException {
            if (closed && queue.isEmpty()) {
                return new Event("CLOSED", null);
            }
            Event e = queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            return e == null && closed ? new Event("CLOSED", null) : e;
        }

        @Override
        public void close() {
            closed = true;
            watches.remove(this);
            queue.add(new Event("CLOSED", null));
        }
    }
}
