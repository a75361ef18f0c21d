package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetList;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mock server's CRUD dispatcher plus the pod eviction subresource, which the mock lacks: 201 and the pod
 * deleted, 429 when a policy/v1 PodDisruptionBudget would be violated, 404 when the pod is missing. The logs of
 * the pods the lab runs itself come from {@link PodLogs}.
 */
final class EvictionDispatcher extends KubernetesCrudDispatcher {
    private static final Pattern EVICTION =
            Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/eviction(\\?.*)?");

    private final KubernetesSerialization json = new KubernetesSerialization();
    private final Object evictionLock = new Object();
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();
    private final PodLogs podLogs;

    EvictionDispatcher(PodLogs podLogs) {
        this.podLogs = podLogs;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        MockResponse log = podLogs.serve(request);
        if (log != null) {
            return log;
        }
        if ("POST".equalsIgnoreCase(request.getMethod())) {
            Matcher m = EVICTION.matcher(request.getPath());
            if (m.matches()) {
                synchronized (evictionLock) {
                    return evict(m.group(1), m.group(2));
                }
            }
        }
        return super.dispatch(request);
    }

    long evictions() {
        return evictions.get();
    }

    long refusals() {
        return refusals.get();
    }

    private MockResponse evict(String namespace, String name) {
        String podPath = "/api/v1/namespaces/" + namespace + "/pods/" + name;
        MockResponse got = handleGet(podPath);
        if (got.code() != 200) {
            return status(404, "Failure", "NotFound", "pods \"" + name + "\" not found");
        }
        Pod pod = json.unmarshal(got.getBody().readUtf8(), Pod.class);
        MockResponse pdbs = handleGet("/apis/policy/v1/namespaces/" + namespace + "/poddisruptionbudgets");
        if (pdbs.code() == 200) {
            PodDisruptionBudgetList list = json.unmarshal(pdbs.getBody().readUtf8(), PodDisruptionBudgetList.class);
            List<PodDisruptionBudget> matching = list.getItems().stream()
                    .filter(b -> b.getSpec() != null
                            && Kube.matches(
                                    b.getSpec().getSelector(), pod.getMetadata().getLabels()))
                    .toList();
            if (!matching.isEmpty()) {
                MockResponse podsResponse = handleGet("/api/v1/namespaces/" + namespace + "/pods");
                List<Pod> pods = json.unmarshal(podsResponse.getBody().readUtf8(), PodList.class)
                        .getItems();
                for (PodDisruptionBudget budget : matching) {
                    String refusal = refusal(budget, pod, pods, expectedPods(namespace, budget, pods));
                    if (refusal != null) {
                        refusals.incrementAndGet();
                        return tooManyRequests(refusal);
                    }
                }
            }
        }
        handleDelete(podPath);
        evictions.incrementAndGet();
        return status(201, "Success", null, null);
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
        MockResponse rs = handleGet("/apis/apps/v1/namespaces/" + namespace + "/replicasets/" + name);
        if (rs.code() != 200) {
            return 0;
        }
        Integer replicas = json.unmarshal(rs.getBody().readUtf8(), ReplicaSet.class)
                .getSpec()
                .getReplicas();
        return replicas == null ? 0 : replicas;
    }

    /** Why the budget refuses the eviction, or null when it allows it (Kubernetes' IfHealthyBudget rule). */
    static String refusal(PodDisruptionBudget budget, Pod pod, List<Pod> podsInNamespace, int expectedPods) {
        List<Pod> covered = podsInNamespace.stream()
                .filter(p -> Kube.matches(
                        budget.getSpec().getSelector(), p.getMetadata().getLabels()))
                .toList();
        int expected = Math.max(expectedPods, covered.size());
        int healthy = (int) covered.stream().filter(Kube::isPodReady).count();
        int desired;
        IntOrString min = budget.getSpec().getMinAvailable();
        IntOrString max = budget.getSpec().getMaxUnavailable();
        if (min != null) {
            desired = scaled(min, expected);
        } else if (max != null) {
            desired = Math.max(0, expected - scaled(max, expected));
        } else {
            desired = expected > 0 ? expected : 0;
        }
        int afterEviction = Kube.isPodReady(pod) ? healthy - 1 : healthy;
        if (afterEviction >= desired) {
            return null;
        }
        return "The disruption budget " + budget.getMetadata().getName() + " needs " + desired
                + " healthy pods and has " + healthy + " currently";
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

    private MockResponse tooManyRequests(String cause) {
        Status status = new StatusBuilder()
                .withStatus("Failure")
                .withMessage("Cannot evict pod as it would violate the pod's disruption budget.")
                .withReason("TooManyRequests")
                .withCode(429)
                .withNewDetails()
                .addNewCause()
                .withReason("DisruptionBudget")
                .withMessage(cause)
                .endCause()
                .endDetails()
                .build();
        return new MockResponse()
                .setResponseCode(429)
                .setHeader("Content-Type", "application/json")
                .setBody(json.asJson(status));
    }

    private MockResponse status(int code, String outcome, String reason, String message) {
        Status status = new StatusBuilder()
                .withStatus(outcome)
                .withReason(reason)
                .withMessage(message)
                .withCode(code)
                .build();
        return new MockResponse()
                .setResponseCode(code)
                .setHeader("Content-Type", "application/json")
                .setBody(json.asJson(status));
    }
}
