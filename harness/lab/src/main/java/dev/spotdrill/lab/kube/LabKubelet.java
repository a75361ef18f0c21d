package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's kubelets, part of {@link LabController} and run on its thread: a bound pod starts (Running, not Ready)
 * and turns Ready after its readiness delay in world time, as long as its node is Ready. Each write copies only what
 * it changes (metadata, status, the spec when the node is set) and shares the rest with the cached pod.
 */
final class LabKubelet {
    private static final Logger LOG = LoggerFactory.getLogger(LabKubelet.class);
    private final LabController c;
    private final Set<String> readinessArmed = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ipCounter = new AtomicInteger();

    LabKubelet(LabController c) {
        this.c = c;
    }

    /** Binds the pod to the node (the node's kubelet starts it: Running, not Ready yet); null when that failed. */
    Pod bind(Pod pod, Node node) {
        String nodeName = node.getMetadata().getName();
        try {
            Pod next = writable(pod, nodeName);
            next.setStatus(runningStatus(node, next));
            PodShapes.manage(next, "kube-scheduler", c.clock.now());
            Pod bound;
            try {
                bound = c.api.writePodStatus(next, nodeName);
            } catch (ApiException e) {
                if (e.code != 409) {
                    throw e;
                }
                bound = c.api.edit(
                        Pod.class,
                        pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(),
                        p -> {
                            p.getSpec().setNodeName(nodeName);
                            p.setStatus(runningStatus(node, p));
                            return p;
                        });
            }
            c.pods.put(bound);
            armReadiness(bound);
            return bound;
        } catch (ApiException e) {
            LOG.debug("could not bind {}: {}", pod.getMetadata().getName(), e.getMessage());
            return null;
        }
    }

    io.fabric8.kubernetes.api.model.PodStatus runningStatus(Node node, Pod pod) {
        String hostIp = Kube.internalIp(node);
        return new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withContainerStatuses(PodShapes.containerStatuses(pod, c.clock.now()))
                .withQosClass("Burstable")
                .withPhase("Running")
                .withHostIP(hostIp)
                .withPodIP("10.1." + (ipCounter.incrementAndGet() / 250 % 250) + "." + (ipCounter.get() % 250 + 1))
                .withStartTime(c.clock.now().toString())
                .withConditions(
                        condition("PodScheduled", "True", null),
                        condition("Initialized", "True", null),
                        condition("ContainersReady", "False", "ContainersNotReady"),
                        condition("Ready", "False", "ContainersNotReady"))
                .build();
    }

    PodCondition condition(String type, String status, String reason) {
        return new PodConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withLastTransitionTime(c.clock.now().toString())
                .build();
    }

    /** Kubelet: a bound, Running pod on a Ready node turns Ready after its readiness delay (world time). */
    void armReadiness(Pod pod) {
        String uid = pod.getMetadata().getUid();
        Node node = Kube.nodeName(pod) == null ? null : c.nodes.get(Kube.nodeName(pod));
        if (uid == null
                || node == null
                || !Kube.isNodeReady(node)
                || Kube.isPodReady(pod)
                || pod.getStatus() == null
                || !"Running".equals(pod.getStatus().getPhase())
                || !readinessArmed.add(uid)) {
            return;
        }
        Instant readyAt = scheduledAt(pod).plus(readinessDelay(pod));
        c.schedule(c.clock.wallUntil(readyAt), () -> markReady(pod));
    }

    private Instant scheduledAt(Pod pod) {
        return Kube.condition(pod, "PodScheduled")
                .map(PodCondition::getLastTransitionTime)
                .map(t -> {
                    try {
                        return Instant.parse(t);
                    } catch (DateTimeParseException e) {
                        return c.clock.now();
                    }
                })
                .orElse(c.clock.now());
    }

    static Duration readinessDelay(Pod pod) {
        Map<String, String> a = pod.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(Kube.READINESS_DELAY_ANNOTATION);
        if (v != null) {
            try {
                return Duration.parse(v);
            } catch (DateTimeParseException e) {
                LOG.warn(
                        "pod {}: annotation {}={} is not an ISO-8601 duration; using {}",
                        pod.getMetadata().getName(),
                        Kube.READINESS_DELAY_ANNOTATION,
                        v,
                        WorkloadSpec.DEFAULT_READINESS_DELAY);
            }
        }
        return WorkloadSpec.DEFAULT_READINESS_DELAY;
    }

    private void markReady(Pod armed) {
        c.drain();
        String ns = armed.getMetadata().getNamespace();
        String name = armed.getMetadata().getName();
        try {
            Pod now = c.pods.get(LabCache.key(armed));
            if (now == null
                    || !Objects.equals(
                            now.getMetadata().getUid(), armed.getMetadata().getUid())) {
                return;
            }
            Node node = Kube.nodeName(now) == null ? null : c.nodes.get(Kube.nodeName(now));
            if (node == null || !Kube.isNodeReady(node)) {
                readinessArmed.remove(armed.getMetadata().getUid());
                return;
            }
            Pod next = writable(now, null);
            ready(next);
            Pod updated;
            try {
                updated = c.api.writePodStatus(next, null);
            } catch (ApiException e) {
                if (e.code != 409) {
                    throw e;
                }
                updated = c.api.edit(Pod.class, ns, name, p -> {
                    ready(p);
                    return p;
                });
            }
            c.pods.put(updated);
            c.podChanged(updated);
            c.requestReconcile();
        } catch (ApiException e) {
            // gone, or a transient failure: forget the timer so that the next reconcile arms it again if needed
            LOG.debug("pod {}/{} not marked Ready: {}", ns, name, e.getMessage());
            readinessArmed.remove(armed.getMetadata().getUid());
            c.requestReconcile();
        }
    }

    /**
     * A copy of the pod to change and write: its own metadata and status (conditions and container statuses
     * included), its spec shared with the cached version unless the node is set, which gives it its own.
     */
    private static Pod writable(Pod pod, String nodeName) {
        Pod next = ModelCopies.shallow(pod);
        next.setMetadata(ModelCopies.shallow(pod.getMetadata()));
        if (nodeName != null) {
            PodSpec spec = ModelCopies.shallow(pod.getSpec());
            spec.setNodeName(nodeName);
            next.setSpec(spec);
        }
        io.fabric8.kubernetes.api.model.PodStatus st = pod.getStatus() == null
                ? new io.fabric8.kubernetes.api.model.PodStatus()
                : ModelCopies.shallow(pod.getStatus());
        if (st.getConditions() != null) {
            st.setConditions(new ArrayList<>(st.getConditions()));
        }
        if (st.getContainerStatuses() != null) {
            st.setContainerStatuses(
                    st.getContainerStatuses().stream().map(ModelCopies::shallow).collect(Collectors.toList()));
        }
        next.setStatus(st);
        return next;
    }

    private void ready(Pod p) {
        if (p.getStatus().getConditions() == null) {
            p.getStatus().setConditions(new ArrayList<>());
        }
        p.getStatus()
                .getConditions()
                .removeIf(c -> c.getType().equals("Ready") || c.getType().equals("ContainersReady"));
        p.getStatus().getConditions().add(condition("ContainersReady", "True", null));
        p.getStatus().getConditions().add(condition("Ready", "True", null));
        if (p.getStatus().getContainerStatuses() != null) {
            p.getStatus().getContainerStatuses().forEach(s -> s.setReady(true));
        }
        PodShapes.manage(p, "kubelet", c.clock.now());
    }
}
