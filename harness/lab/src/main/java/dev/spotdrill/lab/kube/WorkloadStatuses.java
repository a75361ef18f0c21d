package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status the lab's workload controllers write, part of {@link LabController} and run on its thread: a
 * ReplicaSet's, a Deployment's and a DaemonSet's counts, written only when they changed, through the status alone
 * (the rest of the object is neither read nor converted).
 */
final class WorkloadStatuses {
    private static final Logger LOG = LoggerFactory.getLogger(WorkloadStatuses.class);
    private final LabController c;

    WorkloadStatuses(LabController c) {
        this.c = c;
    }

    /** The ReplicaSet controller's status, so that {@code kubectl get rs} shows current and ready counts. */
    void updateReplicaSetStatus(ReplicaSet rs, List<Pod> own) {
        int count = own.size();
        int ready = (int) own.stream().filter(Kube::isPodReady).count();
        io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus s = rs.getStatus();
        if (s != null
                && Objects.equals(s.getReplicas(), count)
                && Objects.equals(s.getReadyReplicas(), ready)
                && Objects.equals(s.getObservedGeneration(), rs.getMetadata().getGeneration())) {
            return;
        }
        try {
            var st = new io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder()
                    .withReplicas(count)
                    .withFullyLabeledReplicas(count)
                    .withReadyReplicas(ready)
                    .withAvailableReplicas(ready)
                    .withObservedGeneration(rs.getMetadata().getGeneration())
                    .build();
            ReplicaSet next = withOwnMetadata(rs);
            next.setStatus(st);
            c.replicaSets.put(c.api.writeStatus(next, st));
        } catch (ApiException e) {
            LOG.debug("replicaset status not updated: {}", e.getMessage());
        }
    }

    void updateDeploymentStatus(Deployment d) {
        String ns = d.getMetadata().getNamespace();
        String name = d.getMetadata().getName();
        String hash = c.templateHashes.computeIfAbsent(
                d.getMetadata().getUid() + "@" + d.getMetadata().getGeneration(),
                k -> c.templateHash(d.getSpec().getTemplate()));
        List<Pod> all = c.pods.byIndex(LabController.BY_APP, ns + "/" + name).stream()
                .filter(p -> Kube.controller(p)
                        .map(r ->
                                "ReplicaSet".equals(r.getKind()) && r.getName().startsWith(name + "-"))
                        .orElse(false))
                .toList();
        int replicas = all.size();
        int updated = (int) all.stream()
                .filter(p -> hash.equals(LabController.labelsOf(p.getMetadata()).get(LabController.HASH_LABEL)))
                .count();
        int ready = (int) all.stream().filter(Kube::isPodReady).count();
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        io.fabric8.kubernetes.api.model.apps.DeploymentStatus s = d.getStatus();
        Long generation = d.getMetadata().getGeneration();
        if (s != null
                && Objects.equals(s.getReplicas(), replicas)
                && Objects.equals(s.getUpdatedReplicas(), updated)
                && Objects.equals(s.getReadyReplicas(), ready)
                && Objects.equals(s.getAvailableReplicas(), ready)
                && Objects.equals(s.getUnavailableReplicas(), Math.max(0, desired - ready))
                && Objects.equals(s.getObservedGeneration(), generation)) {
            return;
        }
        try {
            {
                io.fabric8.kubernetes.api.model.apps.DeploymentStatus st =
                        new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                                .withReplicas(replicas)
                                .withUpdatedReplicas(updated)
                                .withReadyReplicas(ready)
                                .withAvailableReplicas(ready)
                                .withUnavailableReplicas(Math.max(0, desired - ready))
                                .withObservedGeneration(generation)
                                .addNewCondition()
                                .withType("Available")
                                .withStatus(ready >= desired ? "True" : "False")
                                .withReason(
                                        ready >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable")
                                .endCondition()
                                .build();
                Deployment next = withOwnMetadata(d);
                next.setStatus(st);
                c.deployments.put(c.api.writeStatus(next, st));
            }
        } catch (ApiException e) {
            LOG.debug("deployment {}/{} status not updated: {}", ns, name, e.getMessage());
            c.dirtyDeployments.add(ns + "/" + name);
            c.schedule(Duration.ofMillis(200), c::requestReconcile);
        }
    }

    void updateDaemonSetStatus(DaemonSet ds, int desired) {
        List<Pod> own = c.pods.byIndex(LabController.BY_OWNER, ds.getMetadata().getUid());
        int scheduled = own.size();
        int ready = (int) own.stream().filter(Kube::isPodReady).count();
        io.fabric8.kubernetes.api.model.apps.DaemonSetStatus s = ds.getStatus();
        if (s != null
                && Objects.equals(s.getCurrentNumberScheduled(), scheduled)
                && Objects.equals(s.getNumberReady(), ready)
                && Objects.equals(s.getDesiredNumberScheduled(), desired)) {
            return;
        }
        try {
            var st = new io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder()
                    .withCurrentNumberScheduled(scheduled)
                    .withDesiredNumberScheduled(desired)
                    .withNumberReady(ready)
                    .withNumberAvailable(ready)
                    .withUpdatedNumberScheduled(scheduled)
                    .withNumberMisscheduled(0)
                    .build();
            DaemonSet next = withOwnMetadata(ds);
            next.setStatus(st);
            c.daemonSets.put(c.api.writeStatus(next, st));
        } catch (ApiException e) {
            LOG.debug("daemonset status not updated: {}", e.getMessage());
        }
    }

    /** A shallow copy with its own metadata, to give a new status and the stored resourceVersion. */
    private static <T extends HasMetadata> T withOwnMetadata(T o) {
        T next = ModelCopies.shallow(o);
        next.setMetadata(ModelCopies.shallow(o.getMetadata()));
        return next;
    }
}
