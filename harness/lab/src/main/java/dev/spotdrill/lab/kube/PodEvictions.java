package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code pods/{name}/eviction} subresource: the pod is deleted unless a policy/v1 PodDisruptionBudget would be
 * violated (429 TooManyRequests with the budget's numbers), as the real API server decides it with the
 * IfHealthyBudget rule. The check and the deletion are one atomic step of the store.
 */
final class PodEvictions {
    private static final Set<String> PHASES_WITHOUT_BUDGET = Set.of("Pending", "Succeeded", "Failed");

    private final ApiStore store;
    private final KubernetesSerialization json = new KubernetesSerialization();
    private final ApiResources.Type pods = ApiResources.require("v1", "pods");
    private final ApiResources.Type budgets = ApiResources.require("policy/v1", "poddisruptionbudgets");
    private final ApiResources.Type replicaSets = ApiResources.require("apps/v1", "replicasets");
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();

    PodEvictions(ApiStore store) {
        this.store = store;
    }

    long evictions() {
        return evictions.get();
    }

    long refusals() {
        return refusals.get();
    }

    /**
     * Evicts the pod.
     *
     * @return the deleted pod
     * @throws ApiException 404 when it is missing, 429 when a budget refuses, 400 for a mismatched Eviction
     */
    ObjectNode evict(String namespace, String name, JsonNode eviction) {
        String bodyName = eviction.path("metadata").path("name").asText("");
        if (!bodyName.isEmpty() && !bodyName.equals(name)) {
            throw ApiException.badRequest(
                    "name in URL does not match name in Eviction object (" + name + " vs " + bodyName + ")");
        }
        String uid =
                eviction.path("deleteOptions").path("preconditions").path("uid").asText(null);
        return store.atomically(() -> {
            ObjectNode podJson = store.require(pods, namespace, name);
            Pod pod = json.convertValue(podJson, Pod.class);
            boolean ignoreBudget = PHASES_WITHOUT_BUDGET.contains(
                            pod.getStatus() == null
                                    ? ""
                                    : String.valueOf(pod.getStatus().getPhase()))
                    || pod.getMetadata().getDeletionTimestamp() != null;
            if (!ignoreBudget) {
                List<PodDisruptionBudget> matching = budgetsOf(pod);
                if (matching.size() > 1) {
                    throw new ApiException(
                            500,
                            "InternalError",
                            "This pod has more than one PodDisruptionBudget, which the eviction subresource does"
                                    + " not support.");
                }
                if (!matching.isEmpty()) {
                    PodDisruptionBudget budget = matching.get(0);
                    List<Pod> inNamespace = covered(namespace, budget);
                    String refusal = refusal(budget, pod, inNamespace, expectedPods(namespace, budget, inNamespace));
                    if (refusal != null) {
                        refusals.incrementAndGet();
                        ObjectNode details = JsonNodeFactory.instance.objectNode();
                        ObjectNode cause = details.putArray("causes").addObject();
                        cause.put("reason", "DisruptionBudget");
                        cause.put("message", refusal);
                        throw new ApiException(
                                429,
                                "TooManyRequests",
                                "Cannot evict pod as it would violate the pod's disruption budget.",
                                details);
                    }
                }
            }
            ObjectNode gone = store.delete(pods, namespace, name, uid, false);
            evictions.incrementAndGet();
            return gone;
        });
    }

    /** How many more pods the budget lets go now (the {@code status.disruptionsAllowed} the real server keeps). */
    int disruptionsAllowed(JsonNode budgetJson) {
        return Math.max(0, surplus(budgetJson));
    }

    /** Whether the budget has at least the healthy pods it asks for ({@code currentHealthy >= desiredHealthy}). */
    boolean satisfied(JsonNode budgetJson) {
        return surplus(budgetJson) >= 0;
    }

    /** The budgets with fewer healthy pods than they ask for, as namespace/name. */
    List<String> unsatisfied() {
        return store.atomically(() -> store.list(budgets, null, Selectors.Filter.ALL).items().stream()
                .filter(b -> !satisfied(b))
                .map(b -> b.path("metadata").path("namespace").asText() + "/"
                        + b.path("metadata").path("name").asText())
                .toList());
    }

    /** The budget's healthy pods minus those it asks for. */
    private int surplus(JsonNode budgetJson) {
        return store.atomically(() -> {
            PodDisruptionBudget budget = json.convertValue(budgetJson, PodDisruptionBudget.class);
            if (budget.getSpec() == null) {
                return 0;
            }
            String ns = budget.getMetadata().getNamespace();
            List<Pod> covered = covered(ns, budget);
            int expected = Math.max(expectedPods(ns, budget, covered), covered.size());
            int healthy = (int) covered.stream().filter(Kube::isPodReady).count();
            return healthy - desired(budget, expected);
        });
    }

    private List<PodDisruptionBudget> budgetsOf(Pod pod) {
        return store.list(budgets, pod.getMetadata().getNamespace(), Selectors.Filter.ALL).items().stream()
                .map(b -> json.convertValue(b, PodDisruptionBudget.class))
                .filter(b -> b.getSpec() != null
                        && Kube.matches(
                                b.getSpec().getSelector(), pod.getMetadata().getLabels()))
                .toList();
    }

    /**
     * The pods of the namespace the budget selects; labels are matched on the stored trees, so that only those pods
     * are converted (a namespace of a generated cluster holds thousands of 10 KB pods).
     */
    private List<Pod> covered(String namespace, PodDisruptionBudget budget) {
        List<Pod> out = new java.util.ArrayList<>();
        for (ObjectNode p : store.list(pods, namespace, Selectors.Filter.ALL).items()) {
            Map<String, String> labels = new HashMap<>();
            p.path("metadata")
                    .path("labels")
                    .fields()
                    .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            if (Kube.matches(budget.getSpec().getSelector(), labels)) {
                out.add(json.convertValue(p, Pod.class));
            }
        }
        return out;
    }

    /**
     * The pods the budget expects, as Kubernetes counts them: the scale of each ReplicaSet that controls a covered
     * pod, plus one for each covered pod without one.
     */
    private int expectedPods(String namespace, PodDisruptionBudget budget, List<Pod> pods) {
        Map<String, Integer> scales = new HashMap<>();
        int loose = 0;
        for (Pod p : pods) {
            if (!Kube.matches(budget.getSpec().getSelector(), p.getMetadata().getLabels())) {
                continue;
            }
            Optional<OwnerReference> owner = Kube.controller(p);
            if (owner.isPresent() && "ReplicaSet".equals(owner.get().getKind())) {
                scales.computeIfAbsent(owner.get().getName(), n -> replicaSetScale(namespace, n));
            } else {
                loose++;
            }
        }
        return loose + scales.values().stream().mapToInt(Integer::intValue).sum();
    }

    private int replicaSetScale(String namespace, String name) {
        ObjectNode rs = store.get(replicaSets, namespace, name);
        return rs == null ? 0 : rs.path("spec").path("replicas").asInt(1);
    }

    /** Why the budget refuses the eviction, or null when it allows it (Kubernetes' IfHealthyBudget rule). */
    static String refusal(PodDisruptionBudget budget, Pod pod, List<Pod> podsInNamespace, int expectedPods) {
        List<Pod> covered = podsInNamespace.stream()
                .filter(p -> Kube.matches(
                        budget.getSpec().getSelector(), p.getMetadata().getLabels()))
                .toList();
        int expected = Math.max(expectedPods, covered.size());
        int healthy = (int) covered.stream().filter(Kube::isPodReady).count();
        int desired = desired(budget, expected);
        int afterEviction = Kube.isPodReady(pod) ? healthy - 1 : healthy;
        if (afterEviction >= desired) {
            return null;
        }
        return "The disruption budget " + budget.getMetadata().getName() + " needs " + desired
                + " healthy pods and has " + healthy + " currently";
    }

    private static int desired(PodDisruptionBudget budget, int expected) {
        IntOrString min = budget.getSpec().getMinAvailable();
        IntOrString max = budget.getSpec().getMaxUnavailable();
        if (min != null) {
            return scaled(min, expected);
        }
        if (max != null) {
            return Math.max(0, expected - scaled(max, expected));
        }
        return Math.max(expected, 0);
    }

    private static int scaled(IntOrString v, int expected) {
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal();
        if (s != null && s.endsWith("%")) {
            int pct = Integer.parseInt(s.substring(0, s.length() - 1));
            return (int) Math.ceil(expected * pct / 100.0);
        }
        return s == null ? 0 : Integer.parseInt(s);
    }
}
