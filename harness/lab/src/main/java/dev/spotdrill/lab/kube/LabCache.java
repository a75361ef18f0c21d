package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The lab controller's view of one resource type: objects by {@code namespace/name}, fed by its informer and by the
 * controller's own writes, with indexes (pods by node, by owner, ...). Used from the controller thread only.
 *
 * <p>An older resourceVersion never replaces a newer one, so a late watch event cannot undo the controller's own
 * write; an object the controller deleted stays gone until its watch event says so (its uid is remembered).
 */
final class LabCache<T extends HasMetadata> {
    private final Map<String, T> byKey = new HashMap<>();
    private final Map<String, Function<T, List<String>>> indexers;
    private final Map<String, Map<String, Set<String>>> indexes = new HashMap<>();
    private final Set<String> deletedUids = new HashSet<>();
    /** Counts the changes, for views derived from the cache. */
    private long version;

    LabCache(Map<String, Function<T, List<String>>> indexers) {
        this.indexers = indexers;
        indexers.keySet().forEach(k -> indexes.put(k, new HashMap<>()));
    }

    static String key(HasMetadata o) {
        String ns = o.getMetadata().getNamespace();
        return ns == null || ns.isEmpty()
                ? o.getMetadata().getName()
                : ns + "/" + o.getMetadata().getName();
    }

    static long rv(HasMetadata o) {
        String v = o.getMetadata().getResourceVersion();
        try {
            return v == null ? 0 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Stores the object unless the cache holds a newer version of it or the controller deleted it; true if stored. */
    boolean put(T o) {
        String uid = o.getMetadata().getUid();
        if (uid != null && deletedUids.contains(uid)) {
            return false;
        }
        String k = key(o);
        T cur = byKey.get(k);
        if (cur != null && Objects.equals(cur.getMetadata().getUid(), uid) && rv(cur) > rv(o)) {
            return false;
        }
        unindex(k, cur);
        byKey.put(k, o);
        index(k, o);
        version++;
        return true;
    }

    /** A watch event said the object is gone. */
    void deleted(T o) {
        String uid = o.getMetadata().getUid();
        deletedUids.remove(uid);
        remove(o);
    }

    /** The controller deleted the object: it is gone from the cache now, and stays gone. */
    void forget(T o) {
        String uid = o.getMetadata().getUid();
        if (uid != null) {
            deletedUids.add(uid);
        }
        remove(o);
    }

    /** Drops the cached object of that key when it is this one (same uid). */
    private void remove(T o) {
        String k = key(o);
        T cur = byKey.get(k);
        if (cur != null
                && Objects.equals(cur.getMetadata().getUid(), o.getMetadata().getUid())) {
            unindex(k, cur);
            byKey.remove(k);
            version++;
        }
    }

    /** Grows with every change to the cache. */
    long version() {
        return version;
    }

    T get(String key) {
        return byKey.get(key);
    }

    Collection<T> all() {
        return byKey.values();
    }

    int size() {
        return byKey.size();
    }

    /** How many objects have the index value. */
    int count(String index, String value) {
        Set<String> keys = indexes.get(index).get(value);
        return keys == null ? 0 : keys.size();
    }

    /** The objects whose index value is the key, in no particular order. */
    List<T> byIndex(String index, String value) {
        Set<String> keys = indexes.get(index).get(value);
        if (keys == null) {
            return List.of();
        }
        return keys.stream().map(byKey::get).filter(Objects::nonNull).toList();
    }

    private void index(String k, T o) {
        indexers.forEach((name, f) -> {
            for (String v : f.apply(o)) {
                indexes.get(name).computeIfAbsent(v, x -> new LinkedHashSet<>()).add(k);
            }
        });
    }

    private void unindex(String k, T o) {
        if (o == null) {
            return;
        }
        indexers.forEach((name, f) -> {
            for (String v : f.apply(o)) {
                Set<String> s = indexes.get(name).get(v);
                if (s != null) {
                    s.remove(k);
                    if (s.isEmpty()) {
                        indexes.get(name).remove(v);
                    }
                }
            }
        });
    }
}
