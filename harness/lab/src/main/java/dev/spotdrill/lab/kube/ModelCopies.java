package dev.spotdrill.lab.kube;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Shallow copies of Fabric8 model objects: a new object whose fields hold the same values. Fabric8's builders copy
 * deeply (a 10 KB pod is hundreds of objects), which the lab's controller cannot afford on every write of a
 * 50,000-pod cluster. The controller copies only what it changes (a pod's metadata, its spec to set the node, its
 * status) and shares the rest between a pod's versions; it never changes a shared part in place.
 */
final class ModelCopies {
    private static final ClassValue<List<Field>> FIELDS = new ClassValue<>() {
        @Override
        protected List<Field> computeValue(Class<?> type) {
            List<Field> out = new ArrayList<>();
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers())) {
                        f.setAccessible(true);
                        out.add(f);
                    }
                }
            }
            return out;
        }
    };

    private ModelCopies() {}

    /** A new object of the same class with the same field values (nested objects shared). */
    @SuppressWarnings("unchecked")
    static <T> T shallow(T o) {
        if (o == null) {
            return null;
        }
        try {
            T copy = (T) o.getClass().getDeclaredConstructor().newInstance();
            for (Field f : FIELDS.get(o.getClass())) {
                f.set(copy, f.get(o));
            }
            return copy;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot copy a " + o.getClass().getName() + ": " + e, e);
        }
    }
}
