package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The lab's own control plane (its controller, scheduler and kubelets) reading and writing the API server's
 * storage in process, as typed Fabric8 objects. A real kube-controller-manager talks to the API server over HTTP;
 * the lab's runs beside its storage, so that a 50,000-pod cluster does not spend its start serialising every pod
 * three times over loopback. Everything else (the harness, kubectl, the termination handlers) still goes through
 * HTTP, and every write here is a normal store write: same resourceVersions, same watch events, same conflicts.
 *
 * <p>Errors are {@link ApiException}s with the HTTP status the server would have answered ({@code code}).
 */
final class LabApi {
    private static final Map<Class<?>, ApiResources.Type> TYPES = new ConcurrentHashMap<>();
    private final ApiStore store;
    private final KubernetesSerialization json = new KubernetesSerialization();

    LabApi(ApiStore store) {
        this.store = store;
    }

    ApiStore store() {
        return store;
    }

    static ApiResources.Type type(Class<? extends HasMetadata> c) {
        return TYPES.computeIfAbsent(
                c, k -> ApiResources.require(HasMetadata.getApiVersion(c), HasMetadata.getPlural(c)));
    }

    <T extends HasMetadata> T read(ObjectNode o, Class<T> c) {
        return json.convertValue(o, c);
    }

    ObjectNode tree(HasMetadata o) {
        List<ManagedFieldsEntry> managed =
                o.getMetadata() == null ? null : o.getMetadata().getManagedFields();
        if (managed == null || managed.isEmpty()) {
            return json.convertValue(o, ObjectNode.class);
        }
        // the entries without their fieldsV1, which come from the shared trees
        HasMetadata shell = ModelCopies.shallow(o);
        ObjectMeta meta = ModelCopies.shallow(o.getMetadata());
        meta.setManagedFields(managed.stream()
                .map(e -> {
                    ManagedFieldsEntry c = ModelCopies.shallow(e);
                    c.setFieldsV1(null);
                    return c;
                })
                .toList());
        shell.setMetadata(meta);
        ObjectNode t = json.convertValue(shell, ObjectNode.class);
        JsonNode entries = t.path("metadata").path("managedFields");
        for (int i = 0; i < managed.size() && i < entries.size(); i++) {
            FieldsV1 f = managed.get(i).getFieldsV1();
            if (f != null) {
                ((ObjectNode) entries.get(i)).set("fieldsV1", fieldsTree(f));
            }
        }
        return t;
    }

    /**
     * The tree of a FieldsV1, shared by every object that has an equal one. A pod's fieldsV1 is most of its size in
     * memory (an object per field), and the pods of one template have the same; stored trees are never changed in
     * place, so sharing them is safe, and a 50,000-pod lab keeps one copy of each.
     */
    private JsonNode fieldsTree(FieldsV1 f) {
        ObjectNode known = PodShapes.treeOf(f);
        if (known != null) {
            return known;
        }
        if (fields.size() > 50_000) {
            fields.clear();
        }
        JsonNode t = json.convertValue(f, JsonNode.class);
        return fields.computeIfAbsent(t, k -> k);
    }

    private final Map<JsonNode, JsonNode> fields = new ConcurrentHashMap<>();

    String asJson(Object o) {
        return json.asJson(o);
    }

    @SuppressWarnings("unchecked")
    private static <T extends HasMetadata> Class<T> classOf(T o) {
        return (Class<T>) o.getClass();
    }

    /** The stored object, or null. */
    <T extends HasMetadata> T get(Class<T> c, String namespace, String name) {
        ObjectNode o = store.get(type(c), namespace, name);
        return o == null ? null : read(o, c);
    }

    /** The stored objects of a type in a namespace (null: all), with the labels the selector asks for (null: any). */
    <T extends HasMetadata> List<T> list(Class<T> c, String namespace, String labelSelector) {
        ApiResources.Type t = type(c);
        return store.list(t, namespace, Selectors.parse(t, labelSelector, null)).items().stream()
                .map(o -> read(o, c))
                .toList();
    }

    /**
     * Creates the object; returns it with what the store set (name, uid, creationTimestamp, resourceVersion,
     * generation, a pod's default phase). The object is not read back: the lab's writers keep what they wrote.
     */
    <T extends HasMetadata> T create(T o) {
        Class<T> c = classOf(o);
        return stored(o, store.create(type(c), o.getMetadata().getNamespace(), tree(o)));
    }

    /**
     * Creates a pod whose spec is the given tree, which the store keeps as it is: the pods of one template share
     * it (a 10 KB pod is mostly spec). The pod's own spec object must say the same, for the caller's cache.
     */
    Pod createPod(Pod pod, ObjectNode specTree) {
        Pod shell = new Pod(pod.getApiVersion(), pod.getKind(), pod.getMetadata(), null, pod.getStatus());
        ObjectNode body = tree(shell);
        body.set("spec", specTree);
        return stored(pod, store.createOwned(type(Pod.class), pod.getMetadata().getNamespace(), body));
    }

    /**
     * The stored form of a pod's spec: one tree for the pods of an owner (a 10 KB pod is mostly spec, and the store
     * never changes a tree in place), with the pod's node when it has one from the start (a DaemonSet's).
     */
    ObjectNode sharedSpec(String ownerUid, Pod pod, String nodeName) {
        String k = ownerUid + "|" + pod.getSpec().getSchedulerName();
        ObjectNode shared = specTrees.get(k);
        if (shared == null) {
            String was = pod.getSpec().getNodeName();
            pod.getSpec().setNodeName(null);
            shared = (ObjectNode)
                    tree(new Pod(null, null, null, pod.getSpec(), null)).get("spec");
            pod.getSpec().setNodeName(was);
            if (specTrees.size() > 20_000) {
                specTrees.clear();
            }
            specTrees.put(k, shared);
        }
        if (nodeName == null) {
            return shared;
        }
        ObjectNode withNode = shared.objectNode();
        shared.fields().forEachRemaining(e -> withNode.set(e.getKey(), e.getValue()));
        withNode.put("nodeName", nodeName);
        return withNode;
    }

    private final Map<String, ObjectNode> specTrees = new ConcurrentHashMap<>();

    /**
     * Writes a pod's status and managedFields, and its node when {@code bindTo} is not null, from the given pod,
     * without copying or converting its spec; 409 when {@code next}'s resourceVersion is not the stored one (none:
     * unconditional). Returns {@code next} as stored.
     */
    Pod writePodStatus(Pod next, String bindTo) {
        ObjectNode status = tree(new Pod(null, null, managedOnly(next), null, next.getStatus()));
        String rv = next.getMetadata().getResourceVersion();
        boolean[] based = new boolean[1];
        ObjectNode written = store.patch(
                type(Pod.class),
                next.getMetadata().getNamespace(),
                next.getMetadata().getName(),
                cur -> {
                    ObjectNode meta = (ObjectNode) cur.get("metadata");
                    based[0] = Objects.equals(rv, meta.path("resourceVersion").asText(null));
                    if (rv == null) {
                        meta.remove("resourceVersion");
                    } else {
                        meta.put("resourceVersion", rv);
                    }
                    JsonNode managed = status.path("metadata").get("managedFields");
                    if (managed == null) {
                        meta.remove("managedFields");
                    } else {
                        meta.set("managedFields", managed);
                    }
                    if (status.has("status")) {
                        cur.set("status", status.get("status"));
                    } else {
                        cur.remove("status");
                    }
                    if (bindTo != null) {
                        ObjectNode spec = cur.objectNode();
                        cur.path("spec").fields().forEachRemaining(e -> spec.set(e.getKey(), e.getValue()));
                        spec.put("nodeName", bindTo);
                        cur.set("spec", spec);
                    }
                    return cur;
                });
        return based[0] ? stored(next, written) : read(written, Pod.class);
    }

    private static ObjectMeta managedOnly(HasMetadata o) {
        ObjectMeta m = new ObjectMeta();
        m.setManagedFields(o.getMetadata().getManagedFields());
        return m;
    }

    /**
     * Writes an object's status (unconditionally, as a status-subresource update with no resourceVersion does)
     * without reading or converting the rest of it. {@code next} is the caller's copy that holds {@code status};
     * it is returned as stored when the store held the version it was made from, else the stored object is read
     * (someone else changed it meanwhile, e.g. its spec).
     */
    <T extends HasMetadata> T writeStatus(T next, Object status) {
        String base = next.getMetadata().getResourceVersion();
        boolean[] based = new boolean[1];
        JsonNode st = json.convertValue(status, JsonNode.class);
        ObjectNode written = store.patch(
                type(classOf(next)),
                next.getMetadata().getNamespace(),
                next.getMetadata().getName(),
                cur -> {
                    based[0] = Objects.equals(
                            base, cur.path("metadata").path("resourceVersion").asText(null));
                    ((ObjectNode) cur.get("metadata")).remove("resourceVersion");
                    cur.set("status", st);
                    return cur;
                });
        return based[0] ? stored(next, written) : read(written, classOf(next));
    }

    /** The written object with the store's identity fields, which are all the store adds to a write. */
    private static <T extends HasMetadata> T stored(T o, ObjectNode tree) {
        JsonNode m = tree.path("metadata");
        io.fabric8.kubernetes.api.model.ObjectMeta meta = o.getMetadata();
        meta.setName(m.path("name").asText());
        meta.setUid(m.path("uid").asText(null));
        meta.setResourceVersion(m.path("resourceVersion").asText(null));
        meta.setCreationTimestamp(m.path("creationTimestamp").asText(null));
        meta.setDeletionTimestamp(m.path("deletionTimestamp").asText(null));
        meta.setGeneration(m.has("generation") ? m.get("generation").asLong() : null);
        if (o instanceof Pod p && p.getStatus() == null) {
            p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                    .withPhase(tree.path("status").path("phase").asText(null))
                    .build());
        } else if (o instanceof Pod p && p.getStatus().getPhase() == null) {
            p.getStatus().setPhase(tree.path("status").path("phase").asText(null));
        }
        return o;
    }

    /** Applies the function to the stored object and stores the result, in one atomic step (no conflict). */
    <T extends HasMetadata> T edit(Class<T> c, String namespace, String name, UnaryOperator<T> f) {
        return read(
                store.update(type(c), namespace, name, cur -> {
                    ObjectNode next = tree(f.apply(read(cur, c)));
                    ((ObjectNode) next.get("metadata")).remove("resourceVersion");
                    return next;
                }),
                c);
    }

    /** Deletes the object (its owned objects go too); 404 when it is gone. */
    void delete(Class<? extends HasMetadata> c, String namespace, String name) {
        store.delete(type(c), namespace, name, null, false);
    }
}
