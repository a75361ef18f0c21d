package dev.spotdrill.core.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * An informer store that keeps a summary of each object, not the object: only what the verdicts read. A real EKS
 * pod is 5–20 KB of JSON (managedFields, env, volumes, container statuses); its summary is a few hundred bytes, so a
 * probe's memory stays small however big the pods are.
 */
final class SummaryStore<T extends HasMetadata> implements ItemStore<T> {
    private final BasicItemStore<T> store = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);
    private final UnaryOperator<T> summary;

    private SummaryStore(UnaryOperator<T> summary) {
        this.summary = summary;
    }

    /** A store of pod summaries: identity, labels, owners, the mirror annotation, node, phase and Ready. */
    static SummaryStore<Pod> pods() {
        return new SummaryStore<>(SummaryStore::podSummary);
    }

    static Pod podSummary(Pod p) {
        ObjectMeta m = p.getMetadata();
        Map<String, String> ann = m.getAnnotations();
        ObjectMetaBuilder meta = new ObjectMetaBuilder()
                .withName(m.getName())
                .withNamespace(m.getNamespace())
                .withUid(m.getUid())
                .withResourceVersion(m.getResourceVersion())
                .withCreationTimestamp(m.getCreationTimestamp())
                .withDeletionTimestamp(m.getDeletionTimestamp())
                .withLabels(m.getLabels())
                .withOwnerReferences(m.getOwnerReferences());
        if (ann != null && ann.containsKey("kubernetes.io/config.mirror")) {
            meta.withAnnotations(Map.of("kubernetes.io/config.mirror", ann.get("kubernetes.io/config.mirror")));
        }
        PodBuilder b = new PodBuilder().withMetadata(meta.build());
        if (p.getSpec() != null) {
            b.withNewSpec().withNodeName(p.getSpec().getNodeName()).endSpec();
        }
        if (p.getStatus() != null) {
            List<PodCondition> ready = p.getStatus().getConditions() == null
                    ? List.of()
                    : p.getStatus().getConditions().stream()
                            .filter(c -> "Ready".equals(c.getType()))
                            .map(c -> new PodConditionBuilder()
                                    .withType(c.getType())
                                    .withStatus(c.getStatus())
                                    .withLastTransitionTime(c.getLastTransitionTime())
                                    .build())
                            .toList();
            b.withNewStatus()
                    .withPhase(p.getStatus().getPhase())
                    .withConditions(ready)
                    .endStatus();
        }
        return b.build();
    }

    @Override
    public String getKey(T obj) {
        return store.getKey(obj);
    }

    @Override
    public T put(String key, T obj) {
        return store.put(key, summary.apply(obj));
    }

    @Override
    public T remove(String key) {
        return store.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return store.keySet();
    }

    @Override
    public Stream<T> values() {
        return store.values();
    }

    @Override
    public int size() {
        return store.size();
    }

    @Override
    public T get(String key) {
        return store.get(key);
    }
}
