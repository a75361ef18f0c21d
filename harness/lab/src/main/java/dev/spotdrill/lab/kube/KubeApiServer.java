package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.spotdrill.core.WorldClock;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's Kubernetes API server: plain HTTP on 127.0.0.1, good enough for kubectl, client-go and Fabric8.
 *
 * <p>It serves discovery ({@code /version}, {@code /api}, {@code /apis}, each group version), create, get, list,
 * watch, update, patch (JSON, merge and strategic merge; server-side apply is refused with 415), delete and
 * deletecollection on the resources of {@link ApiResources}, with label and field selectors on lists and watches,
 * pagination ({@code limit}/{@code continue}), server-side printing (Tables), and the subresources
 * {@code status}, {@code scale}, {@code pods/eviction} (honouring PodDisruptionBudgets), {@code pods/binding} and
 * {@code pods/log}; and {@code authorization.k8s.io/v1 selfsubjectaccessreviews} ({@link AccessReviews}).
 *
 * <p>Watches are HTTP streams of JSON lines, as the real server sends them: they resume from a resourceVersion
 * (410 Expired once it is older than the history of {@value #DEFAULT_HISTORY} changes), send bookmarks when asked
 * ({@code allowWatchBookmarks}, at most one a second) so that a filtered watcher stays current, end after
 * {@code timeoutSeconds} (else after 5 to 10 minutes, as the real server ends them after a random while), and honour
 * {@code sendInitialEvents}. A WebSocket upgrade is answered with a plain 200, which makes Fabric8 fall back to an
 * HTTP watch at once.
 *
 * <p>Known differences from a real server: no authentication or admission, no OpenAPI documents, objects are
 * deleted at once (no graceful termination), status written through the main resource is kept, and a namespace is
 * created on first use.
 */
final class KubeApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubeApiServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final int DEFAULT_HISTORY = 5_000;
    static final Duration DEFAULT_BOOKMARK_INTERVAL = Duration.ofSeconds(1);

    private final WorldClock clock;
    private final ApiStore store;
    private final PodEvictions evictions;
    private final EventRecorder events;
    private final Tables tables;
    private final Duration bookmarkInterval;
    private final ExecutorService pool;
    private final ApiHttpServer http;
    private final URI url;
    private final Map<String, List<String>> podLogs = new ConcurrentHashMap<>();
    private volatile PodLogs externalLogs;
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private volatile AccessReviews reviews = new AccessReviews(java.util.Optional::empty);
    private volatile boolean closed;

    KubeApiServer(WorldClock clock, int historyLimit, Duration bookmarkInterval) {
        this(clock, historyLimit, bookmarkInterval, 0);
    }

    KubeApiServer(WorldClock clock, int historyLimit, Duration bookmarkInterval, int port) {
        this.clock = clock;
        this.store = new ApiStore(clock::now, historyLimit);
        this.evictions = new PodEvictions(store);
        this.events = new EventRecorder(store, clock);
        this.tables = new Tables(evictions::disruptionsAllowed);
        this.bookmarkInterval = bookmarkInterval;
        ApiResources.Type pods = ApiResources.require("v1", "pods");
        store.addListener(c -> {
            if (c.type().equals(pods)
                    && c.after() == null
                    && !c.before().path("spec").path("nodeName").asText("").isEmpty()) {
                events.killing(c.before());
            }
        });
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "spotdrill-kube-api-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            this.http = new ApiHttpServer(InetAddress.getByName("127.0.0.1"), port, pool, this::handle);
        } catch (java.net.BindException e) {
            pool.shutdownNow();
            throw new dev.spotdrill.core.SpotDrillConfigurationException(
                    "lab port " + port + " for kubernetes on 127.0.0.1 is in use (" + e.getMessage() + "); stop what"
                            + " listens there, or choose another port base (a lab takes the base and the 9 ports"
                            + " after it, and one more per instance for its IMDS)",
                    e);
        } catch (IOException e) {
            pool.shutdownNow();
            throw new UncheckedIOException("cannot open the lab's Kubernetes API port on 127.0.0.1", e);
        }
        this.url = URI.create("http://127.0.0.1:" + http.port() + "/");
    }

    static KubeApiServer start(WorldClock clock, int port) {
        return new KubeApiServer(clock, DEFAULT_HISTORY, DEFAULT_BOOKMARK_INTERVAL, port);
    }

    URI url() {
        return url;
    }

    ApiStore store() {
        return store;
    }

    PodEvictions evictions() {
        return evictions;
    }

    EventRecorder events() {
        return events;
    }

    /** The logs of the pods the lab runs itself (the blacklister's Job pods), asked first on pods/log. */
    void podLogs(PodLogs logs) {
        this.externalLogs = logs;
    }

    /** Where the access reviews read the denied verbs from (the lab's {@value AccessReviews#RBAC_DENY} fault). */
    void accessReviews(java.util.function.Supplier<java.util.Optional<String>> denied) {
        this.reviews = new AccessReviews(denied);
    }

    /** Adds a line to a pod's log ({@code pods/{name}/log}). */
    void appendLog(String namespace, String pod, String line) {
        podLogs.computeIfAbsent(namespace + "/" + pod, k -> new CopyOnWriteArrayList<>())
                .add(ApiStore.timestamp(clock.now()) + " " + line);
    }

    /** How many requests of a kind were served: list, watch, get, create, update, patch, delete. */
    long served(String verb, String plural) {
        AtomicLong c = counters.get(verb + " " + plural);
        return c == null ? 0 : c.get();
    }

    /** Ends every open watch, as a restarting server (or a load balancer's idle timeout) would. */
    void closeWatches() {
        store.closeAllWatches();
    }

    // ------------------------------------------------------------------ HTTP

    private record Target(ApiResources.Type type, String namespace, String name, String subresource) {}

    private void handle(ApiHttpServer.Exchange ex) throws IOException {
        try {
            String path = ex.rawPath();
            Map<String, String> query = query(ex.rawQuery());
            String method = ex.method();
            if (path.length() > 1 && path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            if (path.equals(AccessReviews.PATH)) {
                if (!method.equals("POST")) {
                    throw new ApiException(
                            405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
                }
                sendJson(ex, 201, reviews.review(body(ex)));
            } else if (!discovery(ex, method, path)) {
                resource(ex, method, path, query);
            }
        } catch (ApiException e) {
            sendJson(ex, e.code, e.status());
        } catch (RuntimeException e) {
            LOG.warn("kube API: {} {} failed", ex.method(), ex.rawPath(), e);
            sendJson(ex, 500, ApiException.status(500, "InternalError", "lab API server error: " + e, null));
        }
    }

    private boolean discovery(ApiHttpServer.Exchange ex, String method, String path) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return false;
        }
        switch (path) {
            case "/" -> {
                ObjectNode o = NODES.objectNode();
                ArrayNode paths = o.putArray("paths");
                List.of("/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version")
                        .forEach(paths::add);
                ApiResources.groupVersions().forEach(gv -> paths.add("/apis/" + gv));
                sendJson(ex, 200, o);
                return true;
            }
            case "/version" -> {
                sendJson(ex, 200, ApiResources.version());
                return true;
            }
            case "/healthz", "/livez", "/readyz" -> {
                send(ex, 200, "text/plain; charset=utf-8", "ok".getBytes(StandardCharsets.UTF_8));
                return true;
            }
            case "/api" -> {
                sendJson(ex, 200, ApiResources.apiVersions("127.0.0.1:" + http.port()));
                return true;
            }
            case "/apis" -> {
                sendJson(ex, 200, ApiResources.apiGroupList());
                return true;
            }
            case "/api/v1" -> {
                sendJson(ex, 200, ApiResources.resourceList("v1").orElseThrow());
                return true;
            }
            default -> {
                // below
            }
        }
        if (path.startsWith("/openapi")) {
            throw new ApiException(
                    404,
                    "NotFound",
                    "the lab's API server publishes no OpenAPI documents; kubectl commands that validate against"
                            + " them need --validate=false");
        }
        String[] p = path.split("/");
        if (p.length == 3 && p[1].equals("apis")) {
            sendJson(ex, 200, ApiResources.apiGroup(p[2]).orElseThrow(KubeApiServer::notServed));
            return true;
        }
        if (p.length == 4 && p[1].equals("apis")) {
            sendJson(ex, 200, ApiResources.resourceList(p[2] + "/" + p[3]).orElseThrow(KubeApiServer::notServed));
            return true;
        }
        return false;
    }

    private static ApiException notServed() {
        return new ApiException(404, "NotFound", "the server could not find the requested resource");
    }

    private Target target(String path) {
        String[] p = path.split("/");
        String gv;
        int i;
        if (p.length >= 3 && p[1].equals("api") && p[2].equals("v1")) {
            gv = "v1";
            i = 3;
        } else if (p.length >= 4 && p[1].equals("apis")) {
            gv = p[2] + "/" + p[3];
            i = 4;
        } else {
            throw notServed();
        }
        List<String> seg = new ArrayList<>();
        for (int j = i; j < p.length; j++) {
            seg.add(URLDecoder.decode(p[j], StandardCharsets.UTF_8));
        }
        if (!seg.isEmpty() && seg.get(0).equals("watch")) {
            seg.remove(0);
        }
        String namespace = null;
        if (seg.size() >= 3
                && seg.get(0).equals("namespaces")
                && ApiResources.find(gv, seg.get(2))
                        .map(ApiResources.Type::namespaced)
                        .orElse(false)) {
            namespace = seg.get(1);
            seg = seg.subList(2, seg.size());
        }
        if (seg.isEmpty() || seg.size() > 3) {
            throw notServed();
        }
        ApiResources.Type type = ApiResources.find(gv, seg.get(0)).orElseThrow(KubeApiServer::notServed);
        String name = seg.size() > 1 ? seg.get(1) : null;
        String sub = seg.size() > 2 ? seg.get(2) : null;
        if (sub != null && !type.has(sub)) {
            throw notServed();
        }
        if (!type.namespaced() && namespace != null) {
            throw notServed();
        }
        if (type.namespaced() && namespace == null && name != null) {
            throw notServed();
        }
        return new Target(type, namespace, name, sub);
    }

    private void resource(ApiHttpServer.Exchange ex, String method, String path, Map<String, String> query)
            throws IOException {
        boolean watchPath = path.matches("/apis?/(v1|[^/]+/[^/]+)/watch/.*");
        Target t = target(path);
        String accept = ex.header("Accept");
        boolean table = Tables.wanted(accept);
        switch (method) {
            case "GET", "HEAD" -> {
                if (t.name() == null) {
                    if (watchPath || "true".equals(query.get("watch")) || "1".equals(query.get("watch"))) {
                        count("watch", t);
                        watch(ex, t, query, table);
                    } else {
                        count("list", t);
                        list(ex, t, query, table);
                    }
                    return;
                }
                if (t.subresource() == null
                        && (watchPath || "true".equals(query.get("watch")) || "1".equals(query.get("watch")))) {
                    // a watch of one object, as the deprecated /watch/.../{name} paths ask for it
                    Map<String, String> one = new LinkedHashMap<>(query);
                    String byName =
                            "metadata.name=" + t.name().replace("\\", "\\\\").replace(",", "\\,");
                    String fields = query.get("fieldSelector");
                    one.put("fieldSelector", fields == null || fields.isEmpty() ? byName : fields + "," + byName);
                    count("watch", t);
                    watch(ex, new Target(t.type(), t.namespace(), null, null), one, table);
                    return;
                }
                count("get", t);
                if (t.subresource() == null || t.subresource().equals("status")) {
                    ObjectNode o = store.require(t.type(), t.namespace(), t.name());
                    if (table) {
                        sendJson(
                                ex,
                                200,
                                tables.table(
                                        t.type().kind(),
                                        List.of(o),
                                        clock.now(),
                                        query.get("includeObject"),
                                        store.resourceVersion()));
                    } else {
                        sendJson(ex, 200, o);
                    }
                } else if (t.subresource().equals("scale")) {
                    sendJson(ex, 200, scale(store.require(t.type(), t.namespace(), t.name())));
                } else if (t.subresource().equals("log")) {
                    log(ex, t, query);
                } else {
                    throw methodNotAllowed();
                }
            }
            case "POST" -> {
                JsonNode body = body(ex);
                if (t.name() == null) {
                    count("create", t);
                    sendJson(ex, 201, store.create(t.type(), t.namespace(), object(body)));
                } else if ("eviction".equals(t.subresource())) {
                    count("evict", t);
                    evictions.evict(t.namespace(), t.name(), object(body));
                    sendJson(ex, 201, ApiException.status(201, null, null, null));
                } else if ("binding".equals(t.subresource())) {
                    count("bind", t);
                    bind(t, object(body));
                    sendJson(ex, 201, ApiException.status(201, null, null, null));
                } else {
                    throw methodNotAllowed();
                }
            }
            case "PUT" -> {
                requireName(t);
                count("update", t);
                ObjectNode body = object(body(ex));
                sendJson(ex, 200, write(t, cur -> body));
            }
            case "PATCH" -> {
                requireName(t);
                count("patch", t);
                String type = contentType(ex);
                JsonNode patch = body(ex);
                sendJson(ex, 200, write(t, cur -> object(applyPatch(type, cur, patch))));
            }
            case "DELETE" -> {
                JsonNode options = body(ex);
                String propagation = query.getOrDefault(
                        "propagationPolicy", options.path("propagationPolicy").asText("Background"));
                boolean orphan = "Orphan".equals(propagation)
                        || options.path("orphanDependents").asBoolean(false);
                String uid = options.path("preconditions").path("uid").asText(null);
                count("delete", t);
                if (t.name() == null) {
                    Selectors.Filter filter =
                            Selectors.parse(t.type(), query.get("labelSelector"), query.get("fieldSelector"));
                    List<ObjectNode> deleted = store.atomically(() -> {
                        List<ObjectNode> out = new ArrayList<>();
                        for (ObjectNode o :
                                store.list(t.type(), t.namespace(), filter).items()) {
                            out.add(store.delete(
                                    t.type(),
                                    o.path("metadata").path("namespace").asText(""),
                                    o.path("metadata").path("name").asText(),
                                    null,
                                    orphan));
                        }
                        return out;
                    });
                    sendJson(ex, 200, listObject(t.type(), deleted, store.resourceVersion(), null, 0));
                } else if (t.subresource() == null) {
                    sendJson(ex, 200, store.delete(t.type(), t.namespace(), t.name(), uid, orphan));
                } else {
                    throw methodNotAllowed();
                }
            }
            default -> throw methodNotAllowed();
        }
    }

    private void count(String verb, Target t) {
        counters.computeIfAbsent(verb + " " + t.type().plural(), k -> new AtomicLong())
                .incrementAndGet();
    }

    private static void requireName(Target t) {
        if (t.name() == null) {
            throw methodNotAllowed();
        }
    }

    private static ApiException methodNotAllowed() {
        return new ApiException(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }

    /** PUT or PATCH on the object, its status or its scale. */
    private ObjectNode write(Target t, java.util.function.UnaryOperator<ObjectNode> change) {
        String sub = t.subresource();
        if (sub == null) {
            return store.update(t.type(), t.namespace(), t.name(), change);
        }
        if (sub.equals("status")) {
            return store.update(t.type(), t.namespace(), t.name(), cur -> {
                ObjectNode next = change.apply(cur.deepCopy());
                JsonNode rv = next.path("metadata").path("resourceVersion");
                ObjectNode out = cur;
                if (next.has("status")) {
                    out.set("status", next.get("status"));
                } else {
                    out.remove("status");
                }
                if (rv.isTextual()) {
                    ((ObjectNode) out.get("metadata")).put("resourceVersion", rv.asText());
                }
                return out;
            });
        }
        if (sub.equals("scale")) {
            ObjectNode updated = store.update(t.type(), t.namespace(), t.name(), cur -> {
                ObjectNode next = change.apply(scale(cur));
                JsonNode replicas = next.path("spec").path("replicas");
                if (!replicas.canConvertToInt() || replicas.asInt() < 0) {
                    throw ApiException.invalid(
                            t.type(), t.name(), "spec.replicas: Invalid value: " + replicas + ": must be >= 0");
                }
                child(cur, "spec").put("replicas", replicas.asInt());
                String rv = next.path("metadata").path("resourceVersion").asText("");
                ((ObjectNode) cur.get("metadata")).put("resourceVersion", rv);
                return cur;
            });
            return scale(updated);
        }
        throw methodNotAllowed();
    }

    private static JsonNode applyPatch(String contentType, ObjectNode current, JsonNode patch) {
        String type =
                contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        return switch (type) {
            case "application/json-patch+json" -> Patches.jsonPatch(current, patch);
            case "application/merge-patch+json" -> Patches.mergePatch(current, patch);
            case "application/strategic-merge-patch+json" -> Patches.strategicMerge(current, patch);
            case "application/apply-patch+yaml", "application/apply-patch+cbor" ->
                throw new ApiException(
                        415,
                        "UnsupportedMediaType",
                        "the lab's API server does not support server-side apply (" + type + "); use kubectl"
                                + " apply without --server-side, or a strategic merge, merge or JSON patch");
            default ->
                throw new ApiException(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format (" + type + "); a patch must be"
                                + " application/json-patch+json, application/merge-patch+json or"
                                + " application/strategic-merge-patch+json");
        };
    }

    private static ObjectNode object(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("the request body must be a JSON object, not " + body);
        }
        return (ObjectNode) body;
    }

    private static String contentType(ApiHttpServer.Exchange ex) {
        String ct = ex.header("Content-Type");
        return ct == null ? "" : ct;
    }

    private static JsonNode body(ApiHttpServer.Exchange ex) throws IOException {
        byte[] bytes = ex.body();
        if (bytes.length == 0) {
            return NODES.objectNode();
        }
        String ct = contentType(ex).toLowerCase(Locale.ROOT);
        if (ct.contains("protobuf") || ct.contains("cbor")) {
            if (ct.contains("apply-patch")) {
                return NODES.objectNode();
            }
            throw new ApiException(
                    415,
                    "UnsupportedMediaType",
                    "the lab's API server speaks JSON (and YAML), not " + ct + "; configure the client for"
                            + " application/json");
        }
        try {
            if (ct.contains("yaml")) {
                return YAML.readTree(bytes);
            }
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body of the request is not valid JSON: " + e.getOriginalMessage()
                    + "; accepted media types include application/json and application/yaml");
        }
    }

    // ------------------------------------------------------------------ list, watch

    private void list(ApiHttpServer.Exchange ex, Target t, Map<String, String> q, boolean table) throws IOException {
        Selectors.Filter filter = Selectors.parse(t.type(), q.get("labelSelector"), q.get("fieldSelector"));
        ApiStore.Listing listing = store.list(t.type(), t.namespace(), filter);
        if ("Exact".equals(q.get("resourceVersionMatch"))
                && q.get("resourceVersion") != null
                && !q.get("resourceVersion").equals(Long.toString(listing.rv()))) {
            throw ApiException.gone("The resourceVersion for the provided list is too old (the lab keeps only the"
                    + " current state; list without resourceVersionMatch=Exact)");
        }
        List<ObjectNode> items = listing.items();
        int from = 0;
        String cont = q.get("continue");
        if (cont != null && !cont.isEmpty()) {
            String after;
            try {
                after = new String(Base64.getUrlDecoder().decode(cont), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("continue key is not valid: " + e.getMessage());
            }
            while (from < items.size() && key(items.get(from)).compareTo(after) <= 0) {
                from++;
            }
        }
        int limit = parseInt(q.get("limit"), 0);
        int to = limit > 0 ? Math.min(items.size(), from + limit) : items.size();
        List<ObjectNode> page = items.subList(from, to);
        String next = to < items.size()
                ? Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(key(page.get(page.size() - 1)).getBytes(StandardCharsets.UTF_8))
                : null;
        if (table) {
            ObjectNode tbl = tables.table(t.type().kind(), page, clock.now(), q.get("includeObject"), listing.rv());
            if (next != null) {
                ((ObjectNode) tbl.get("metadata")).put("continue", next);
            }
            sendJson(ex, 200, tbl);
        } else {
            sendJson(ex, 200, listObject(t.type(), page, listing.rv(), next, items.size() - to));
        }
    }

    private static String key(JsonNode o) {
        return o.path("metadata").path("namespace").asText("") + "/"
                + o.path("metadata").path("name").asText();
    }

    private static ObjectNode listObject(
            ApiResources.Type type, List<ObjectNode> items, long rv, String next, int remaining) {
        ObjectNode l = NODES.objectNode();
        l.put("kind", type.kind() + "List");
        l.put("apiVersion", type.groupVersion());
        ObjectNode meta = l.putObject("metadata");
        meta.put("resourceVersion", Long.toString(rv));
        if (next != null) {
            meta.put("continue", next);
            meta.put("remainingItemCount", remaining);
        }
        ArrayNode a = l.putArray("items");
        items.forEach(a::add);
        return l;
    }

    private void watch(ApiHttpServer.Exchange ex, Target t, Map<String, String> q, boolean table) throws IOException {
        String upgrade = ex.header("Upgrade");
        if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
            // No WebSocket here: a plain 200 makes Fabric8 retry as an HTTP watch at once.
            send(ex, 200, "application/json", new byte[0]);
            return;
        }
        Selectors.Filter filter = Selectors.parse(t.type(), q.get("labelSelector"), q.get("fieldSelector"));
        boolean bookmarks = "true".equals(q.get("allowWatchBookmarks"));
        boolean initial = "true".equals(q.get("sendInitialEvents"));
        long timeoutSeconds = parseInt(q.get("timeoutSeconds"), 0);
        long wallTimeoutMillis = timeoutSeconds > 0
                ? timeoutSeconds * 1000
                : TimeUnit.MINUTES.toMillis(5) + ThreadLocalRandom.current().nextLong(TimeUnit.MINUTES.toMillis(5));
        ApiStore.Watch w;
        try {
            w = store.watch(t.type(), t.namespace(), filter, q.get("resourceVersion"), initial, bookmarks || initial);
        } catch (ApiException e) {
            if (e.code != 410) {
                throw e;
            }
            // As the real server does: 200, then one ERROR event carrying the 410 Status.
            try (OutputStream out = ex.stream(200, "application/json")) {
                out.write(line("ERROR", e.status()));
            }
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wallTimeoutMillis);
        ex.setHeader("Cache-Control", "no-cache, private");
        OutputStream out = ex.stream(200, "application/json");
        try {
            while (!closed) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                ApiStore.Event e = w.poll(Math.min(left, bookmarkInterval.toMillis()));
                if (e == null) {
                    store.bookmark(w);
                    continue;
                }
                if (e.type().equals("CLOSED")) {
                    break;
                }
                JsonNode object = e.object();
                if (table && !e.type().equals("BOOKMARK")) {
                    object = tables.table(t.type().kind(), List.of(object), clock.now(), q.get("includeObject"), 0);
                    ((ObjectNode) object.get("metadata"))
                            .put(
                                    "resourceVersion",
                                    e.object()
                                            .path("metadata")
                                            .path("resourceVersion")
                                            .asText());
                }
                out.write(line(e.type(), object));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debug("kube API: watch client of {} went away: {}", t.type(), e.toString());
        } finally {
            w.close();
            try {
                out.close();
            } catch (IOException e) {
                // the client is gone
            }
        }
    }

    private static byte[] line(String type, JsonNode object) throws JsonProcessingException {
        ObjectNode e = NODES.objectNode();
        e.put("type", type);
        e.set("object", object);
        byte[] b = JSON.writeValueAsBytes(e);
        byte[] withNewline = new byte[b.length + 1];
        System.arraycopy(b, 0, withNewline, 0, b.length);
        withNewline[b.length] = '\n';
        return withNewline;
    }

    // ------------------------------------------------------------------ subresources

    private static ObjectNode scale(ObjectNode o) {
        ObjectNode s = NODES.objectNode();
        s.put("kind", "Scale");
        s.put("apiVersion", "autoscaling/v1");
        ObjectNode meta = s.putObject("metadata");
        for (String f : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
            if (o.path("metadata").has(f)) {
                meta.set(f, o.path("metadata").get(f));
            }
        }
        s.putObject("spec").put("replicas", o.path("spec").path("replicas").asInt(1));
        ObjectNode status = s.putObject("status");
        status.put("replicas", o.path("status").path("replicas").asInt(0));
        List<String> sel = new ArrayList<>();
        o.path("spec")
                .path("selector")
                .path("matchLabels")
                .fields()
                .forEachRemaining(e -> sel.add(e.getKey() + "=" + e.getValue().asText()));
        status.put("selector", String.join(",", sel));
        return s;
    }

    private void bind(Target t, ObjectNode binding) {
        String node = binding.path("target").path("name").asText("");
        if (node.isEmpty()) {
            throw ApiException.invalid(t.type(), t.name(), "target.name: Required value");
        }
        store.update(t.type(), t.namespace(), t.name(), cur -> {
            String assigned = cur.path("spec").path("nodeName").asText("");
            if (!assigned.isEmpty()) {
                throw new ApiException(
                        409,
                        "Conflict",
                        "Operation cannot be fulfilled on pods/binding \"" + t.name() + "\": pod " + t.name()
                                + " is already assigned to node \"" + assigned + "\"");
            }
            child(cur, "spec").put("nodeName", node);
            JsonNode existing = child(cur, "status").get("conditions");
            ArrayNode conditions = existing != null && existing.isArray()
                    ? (ArrayNode) existing
                    : child(cur, "status").putArray("conditions");
            for (int i = conditions.size() - 1; i >= 0; i--) {
                if (conditions.get(i).path("type").asText().equals("PodScheduled")) {
                    conditions.remove(i);
                }
            }
            conditions
                    .addObject()
                    .put("type", "PodScheduled")
                    .put("status", "True")
                    .put("lastTransitionTime", ApiStore.timestamp(clock.now()));
            return cur;
        });
    }

    private void log(ApiHttpServer.Exchange ex, Target t, Map<String, String> q) throws IOException {
        ObjectNode pod = store.require(t.type(), t.namespace(), t.name());
        PodLogs.Answer own = externalLogs == null ? null : externalLogs.answer(t.namespace(), t.name(), q);
        if (own != null) {
            send(ex, own.status(), own.contentType(), own.body().getBytes(StandardCharsets.UTF_8));
            return;
        }
        List<String> containers = new ArrayList<>();
        Map<String, String> images = new LinkedHashMap<>();
        for (JsonNode c : pod.path("spec").path("containers")) {
            containers.add(c.path("name").asText());
            images.put(c.path("name").asText(), c.path("image").asText());
        }
        String container = q.get("container");
        if (container == null || container.isEmpty()) {
            if (containers.size() > 1) {
                throw ApiException.badRequest(
                        "a container name must be specified for pod " + t.name() + ", choose one of: " + containers);
            }
            container = containers.isEmpty() ? "" : containers.get(0);
        } else if (!containers.contains(container)) {
            throw ApiException.badRequest("container " + container + " is not valid for pod " + t.name()
                    + "; its containers are " + containers);
        }
        String node = pod.path("spec").path("nodeName").asText("");
        if (node.isEmpty()) {
            throw ApiException.badRequest("container \"" + container + "\" in pod \"" + t.name()
                    + "\" is waiting to start: ContainerCreating");
        }
        List<String> lines = new ArrayList<>();
        String started = pod.path("status")
                .path("startTime")
                .asText(pod.path("metadata").path("creationTimestamp").asText(""));
        lines.add(started + " spotdrill lab: container " + container + " (" + images.get(container)
                + ") started on node " + node);
        lines.addAll(podLogs.getOrDefault(t.namespace() + "/" + t.name(), List.of()));
        int tail = parseInt(q.get("tailLines"), -1);
        if (tail >= 0 && tail < lines.size()) {
            lines = lines.subList(lines.size() - tail, lines.size());
        }
        boolean timestamps = "true".equals(q.get("timestamps"));
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(timestamps ? l : l.substring(l.indexOf(' ') + 1)).append('\n');
        }
        send(ex, 200, "text/plain", sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ plumbing

    private static ObjectNode child(ObjectNode parent, String field) {
        JsonNode c = parent.get(field);
        return c != null && c.isObject() ? (ObjectNode) c : parent.putObject(field);
    }

    private static int parseInt(String s, int otherwise) {
        if (s == null || s.isEmpty()) {
            return otherwise;
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("\"" + s + "\" is not a number");
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void sendJson(ApiHttpServer.Exchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(ApiHttpServer.Exchange ex, int status, String contentType, byte[] body)
            throws IOException {
        ex.respond(status, contentType, body);
    }

    /** Ends the watches, stops the server and its threads. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        store.closeAllWatches();
        http.close();
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("the lab's Kubernetes API threads did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "KubeApiServer[" + url + "]";
    }
}
