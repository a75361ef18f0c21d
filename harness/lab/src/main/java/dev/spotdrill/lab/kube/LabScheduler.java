package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's kube-scheduler, part of {@link LabController} and run on its thread: each pending pod goes to a fitting
 * node with the fewest pods of its owner, then the fewest pods, then the first name. The nodes that fit are found
 * once per node selector and tolerations in a pass and kept least loaded first, so that placing the pods of a
 * 50,000-pod cluster does not scan every node for every pod.
 */
final class LabScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(LabScheduler.class);
    private static final String UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable";
    private final LabController c;
    /** Pods the scheduler found no node for; tried again when a node changes. */
    private final Set<String> unplaceable = new java.util.HashSet<>();

    private final Set<String> schedulingReported = ConcurrentHashMap.newKeySet();

    LabScheduler(LabController c) {
        this.c = c;
    }

    /**
     * The scheduler: each pending pod goes to a fitting node with the fewest pods of its owner, then the fewest
     * pods, then the first name. The pods of one owner share a template, so the nodes that fit are found once per
     * owner, and a priority queue hands out the c.nodes.
     *
     * @param retryAll whether nodes changed, so that pods that fitted nowhere are tried again
     */
    void schedulePending(boolean retryAll) {
        if (c.pendingPods.isEmpty()) {
            return;
        }
        Map<String, List<Pod>> byOwner = new LinkedHashMap<>();
        for (java.util.Iterator<String> it = c.pendingPods.iterator(); it.hasNext(); ) {
            String k = it.next();
            Pod pod = c.pods.get(k);
            if (pod == null || Kube.nodeName(pod) != null || pod.getMetadata().getDeletionTimestamp() != null) {
                it.remove();
                continue;
            }
            if (LabFargate.isFargatePod(pod)) {
                it.remove();
                c.pendingFargate.add(k);
                continue;
            }
            String owner = Kube.controller(pod).map(OwnerReference::getUid).orElse("none|" + k);
            byOwner.computeIfAbsent(owner, x -> new ArrayList<>()).add(pod);
        }
        if (byOwner.isEmpty()) {
            return;
        }
        List<Node> all = c.sortedNodes();
        Map<String, Integer> load = new HashMap<>();
        for (Node n : all) {
            load.put(
                    n.getMetadata().getName(),
                    c.pods.count(LabController.BY_NODE, n.getMetadata().getName()));
        }
        Comparator<Node> byLoad = Comparator.comparingInt(
                        (Node n) -> load.get(n.getMetadata().getName()))
                .thenComparing(n -> n.getMetadata().getName());
        // the nodes that fit, by what decides the fit (node selector and tolerations), least loaded first
        Map<String, java.util.TreeSet<Node>> fitting = new HashMap<>();
        for (Map.Entry<String, List<Pod>> group : byOwner.entrySet()) {
            List<Pod> waiting = group.getValue();
            Pod first = waiting.get(0);
            boolean fresh = retryAll
                    || waiting.stream()
                            .anyMatch(p -> !unplaceable.contains(p.getMetadata().getUid()));
            if (!fresh) {
                continue;
            }
            java.util.TreeSet<Node> fit = fitting.computeIfAbsent(fitKey(first), k -> {
                java.util.TreeSet<Node> t = new java.util.TreeSet<>(byLoad);
                all.stream().filter(n -> fits(first, n)).forEach(t::add);
                return t;
            });
            if (fit.isEmpty()) {
                for (Pod pod : waiting) {
                    unplaceable.add(pod.getMetadata().getUid());
                    // stays Pending until a node fits (node events trigger a new reconcile)
                    failedScheduling(pod, EventRecorder.SCHEDULER, EventRecorder.unschedulableMessage(pod, all));
                }
                continue;
            }
            // each pod goes to a fitting node with the fewest pods of its owner, then the fewest pods, then the
            // first name: the nodes without a pod of the owner, least loaded first, while there are such nodes
            Map<String, Integer> ownerLoad = new HashMap<>();
            for (Pod p : c.pods.byIndex(LabController.BY_OWNER, group.getKey())) {
                if (Kube.nodeName(p) != null) {
                    ownerLoad.merge(Kube.nodeName(p), 1, Integer::sum);
                }
            }
            for (Pod pod : waiting) {
                Node best = null;
                for (Node n : fit) {
                    if (!ownerLoad.containsKey(n.getMetadata().getName())) {
                        best = n;
                        break;
                    }
                }
                if (best == null) {
                    best = fit.stream()
                            .min(Comparator.comparingInt((Node n) -> ownerLoad.getOrDefault(
                                            n.getMetadata().getName(), 0))
                                    .thenComparing(byLoad))
                            .orElseThrow();
                }
                String nodeName = best.getMetadata().getName();
                Pod bound = c.kubelet.bind(pod, best);
                if (bound != null) {
                    c.events.scheduled(bound, nodeName);
                    c.pendingPods.remove(LabCache.key(pod));
                    unplaceable.remove(pod.getMetadata().getUid());
                    ownerLoad.merge(nodeName, 1, Integer::sum);
                    List<java.util.TreeSet<Node>> holding = new ArrayList<>();
                    for (java.util.TreeSet<Node> t : fitting.values()) {
                        if (t.remove(best)) {
                            holding.add(t);
                        }
                    }
                    load.merge(nodeName, 1, Integer::sum);
                    for (java.util.TreeSet<Node> t : holding) {
                        t.add(best);
                    }
                }
            }
        }
    }

    /** What decides which nodes a pod fits: its node selector and tolerations. */
    private static String fitKey(Pod pod) {
        return String.valueOf(pod.getSpec().getNodeSelector()) + "|"
                + pod.getSpec().getTolerations();
    }

    /** Whether the scheduler may put the pod on the node (nodeSelector, taints, cordon, readiness). */
    static boolean fits(Pod pod, Node node) {
        return misfit(pod, node).isEmpty();
    }

    /** Why the scheduler may not put the pod on the node, in kube-scheduler's words; empty when it may. */
    static java.util.Optional<String> misfit(Pod pod, Node node) {
        if (!Kube.isNodeReady(node) || node.getMetadata().getDeletionTimestamp() != null) {
            return java.util.Optional.of("had untolerated taint {node.kubernetes.io/not-ready: }");
        }
        if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
            Taint cordon = new TaintBuilder()
                    .withKey(UNSCHEDULABLE_TAINT)
                    .withEffect("NoSchedule")
                    .build();
            if (!Kube.tolerates(pod.getSpec().getTolerations(), cordon)) {
                return java.util.Optional.of("were unschedulable");
            }
        }
        if (!Kube.selectorMatches(pod.getSpec().getNodeSelector(), LabController.labelsOf(node.getMetadata()))) {
            return java.util.Optional.of("didn't match Pod's node affinity/selector");
        }
        List<Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        if (taints != null) {
            for (Taint t : taints) {
                if (Set.of("NoSchedule", "NoExecute").contains(t.getEffect())
                        && !Kube.tolerates(pod.getSpec().getTolerations(), t)) {
                    return java.util.Optional.of("had untolerated taint {" + t.getKey() + ": "
                            + (t.getValue() == null ? "" : t.getValue()) + "}");
                }
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A scheduler could not place the pod: its PodScheduled condition says why (reason Unschedulable) and a
     * Warning event FailedScheduling is recorded, once per pod and message, as kube-scheduler and EKS's
     * fargate-scheduler do.
     */
    void failedScheduling(Pod pod, String scheduler, String message) {
        String uid = pod.getMetadata().getUid();
        if (uid == null || !schedulingReported.add(uid + "|" + message)) {
            return;
        }
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        String now = c.clock.now().toString();
        try {
            c.api.edit(Pod.class, ns, name, p -> {
                if (p.getStatus() == null) {
                    p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
                }
                List<PodCondition> conditions = new ArrayList<>(
                        p.getStatus().getConditions() == null
                                ? List.of()
                                : p.getStatus().getConditions());
                conditions.removeIf(c -> "PodScheduled".equals(c.getType()));
                conditions.add(new PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("False")
                        .withReason("Unschedulable")
                        .withMessage(message)
                        .withLastTransitionTime(now)
                        .build());
                p.getStatus().setConditions(conditions);
                p.getStatus().setPhase("Pending");
                return p;
            });
            c.events.pod(pod, "Warning", "FailedScheduling", message, scheduler);
        } catch (ApiException e) {
            LOG.debug("pod {}/{}: FailedScheduling not recorded: {}", ns, name, e.getMessage());
        }
    }

    static boolean toleratesAll(Pod pod, Node node, Set<String> effects) {
        List<Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        if (taints == null) {
            return true;
        }
        for (Taint t : taints) {
            if (effects.contains(t.getEffect()) && !Kube.tolerates(pod.getSpec().getTolerations(), t)) {
                return false;
            }
        }
        return true;
    }
}
