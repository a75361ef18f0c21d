package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node lifecycle controller, part of {@link LabController}: when the instance behind a node is gone, the node
 * turns NotReady at once (tainted unreachable, its pods not Ready), and after the node deletion delay its pods are
 * deleted and, unless the lab keeps dead nodes, the node too.
 */
final class NodeLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLifecycle.class);
    private static final String UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";
    private final LabController c;
    private final Duration nodeDeletionDelay;
    private final BooleanSupplier keepDeadNodes;
    private final Set<String> terminatedNodes = ConcurrentHashMap.newKeySet();

    NodeLifecycle(LabController c, Duration nodeDeletionDelay, BooleanSupplier keepDeadNodes) {
        this.c = c;
        this.nodeDeletionDelay = nodeDeletionDelay;
        this.keepDeadNodes = keepDeadNodes;
    }

    /** The instance behind the node is gone: NotReady at once, pods not Ready, node and pods deleted later. */
    void nodeLost(String nodeName) {
        if (!terminatedNodes.add(nodeName) || c.closed()) {
            return;
        }
        c.schedule(Duration.ZERO, () -> {
            c.events.nodeNotReady(nodeName);
            try {
                c.nodes.put(c.api.edit(Node.class, null, nodeName, n -> {
                    for (NodeCondition cond : n.getStatus().getConditions()) {
                        if ("Ready".equals(cond.getType())) {
                            cond.setStatus("False");
                            cond.setReason("NodeStatusUnknown");
                            cond.setMessage("Kubelet stopped posting node status: the instance is terminated.");
                            cond.setLastTransitionTime(c.clock.now().toString());
                        }
                    }
                    List<Taint> taints = new ArrayList<>(
                            n.getSpec().getTaints() == null
                                    ? List.of()
                                    : n.getSpec().getTaints());
                    taints.add(new TaintBuilder()
                            .withKey(UNREACHABLE_TAINT)
                            .withEffect("NoSchedule")
                            .withTimeAdded(c.clock.now().toString())
                            .build());
                    n.getSpec().setTaints(taints);
                    return n;
                }));
                for (Pod pod : c.podsOn(nodeName)) {
                    try {
                        c.pods.put(c.api.edit(
                                Pod.class,
                                pod.getMetadata().getNamespace(),
                                pod.getMetadata().getName(),
                                p -> {
                                    if (p.getStatus() != null && p.getStatus().getConditions() != null) {
                                        p.getStatus().getConditions().forEach(cond -> {
                                            if (cond.getType().equals("Ready")
                                                    || cond.getType().equals("ContainersReady")) {
                                                cond.setStatus("False");
                                                cond.setReason("NodeLost");
                                            }
                                        });
                                    }
                                    return p;
                                }));
                    } catch (ApiException e) {
                        LOG.debug("pod already gone: {}", e.getMessage());
                    }
                }
            } catch (ApiException e) {
                LOG.warn("node {} could not be marked NotReady: {}", nodeName, e.getMessage());
            }
            c.schedule(c.clock.toWall(nodeDeletionDelay), () -> deleteNode(nodeName));
        });
    }

    private void deleteNode(String nodeName) {
        c.events.removingNode(nodeName);
        for (Pod pod : c.podsOn(nodeName)) {
            c.deletePod(pod, "node " + nodeName + " deleted");
        }
        if (keepDeadNodes.getAsBoolean()) {
            LOG.debug("node {} kept NotReady (fault {})", nodeName, LabCluster.KEEP_DEAD_NODES);
        } else {
            try {
                c.api.delete(Node.class, null, nodeName);
            } catch (ApiException e) {
                LOG.debug("node {} already gone: {}", nodeName, e.getMessage());
            }
            c.drain();
            Node gone = c.nodes.get(nodeName);
            if (gone != null) {
                c.nodes.forget(gone);
            }
        }
        c.requestReconcile();
    }
}
