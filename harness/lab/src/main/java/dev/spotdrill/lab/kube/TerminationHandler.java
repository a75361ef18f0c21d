package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's reference aws-node-termination-handler, for one node. In IMDS mode it polls the node's IMDS every poll
 * interval (world time); in queue mode {@link QueueProcessor} tells it what came off the handler's SQS queue. On a
 * Spot interruption notice it taints, labels and cordons the node, then evicts its pods (retrying refusals by a
 * PodDisruptionBudget), emitting NTH's Kubernetes events. Faults are read from the supplier on each poll, each queue
 * event and each drain step.
 */
final class TerminationHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TerminationHandler.class);
    static final String SPOT_ITN_TAINT = "aws-node-termination-handler/spot-itn";
    static final String REBALANCE_TAINT = "aws-node-termination-handler/rebalance-recommendation";
    static final String ACTION_LABEL = "aws-node-termination-handler/action";
    static final String ACTION_TIME_LABEL = "aws-node-termination-handler/action-time";
    static final String EVENT_ID_LABEL = "aws-node-termination-handler/event-id";
    static final String COMPONENT = "aws-node-termination-handler";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String nodeName;
    private final String instanceId;
    private final TerminationHandlerSpec spec;
    private final KubernetesClient client;
    private final WorldClock clock;
    private final ImdsLocator imds;
    private final Supplier<Map<String, String>> faults;
    private final ScheduledExecutorService executor;
    private final ImdsPoller poller;
    private final EventRecorder events;
    private volatile boolean stopped;
    private volatile String noticeEventId;
    private volatile String rebalanceEventId;
    private volatile boolean draining;
    private ScheduledFuture<?> polling;

    TerminationHandler(
            String nodeName,
            String instanceId,
            TerminationHandlerSpec spec,
            KubernetesClient client,
            WorldClock clock,
            ImdsLocator imds,
            Supplier<Map<String, String>> faults,
            ScheduledExecutorService executor,
            HttpClient http,
            EventRecorder events) {
        this.nodeName = nodeName;
        this.events = events;
        this.instanceId = instanceId;
        this.spec = spec;
        this.client = client;
        this.clock = clock;
        this.imds = imds;
        this.faults = faults;
        this.executor = executor;
        this.poller = new ImdsPoller(http);
    }

    String nodeName() {
        return nodeName;
    }

    synchronized void start() {
        long period = Math.max(1, clock.toWall(spec.pollInterval()).toNanos());
        polling = executor.scheduleWithFixedDelay(this::pollSafely, 0, period, TimeUnit.NANOSECONDS);
    }

    synchronized void stop() {
        stopped = true;
        if (polling != null) {
            polling.cancel(false);
        }
    }

    private TerminationHandlerFaults.Active faults() {
        try {
            return TerminationHandlerFaults.Active.of(faults.get());
        } catch (RuntimeException e) {
            LOG.warn("fault supplier failed, running without faults: {}", e.toString());
            return TerminationHandlerFaults.Active.NONE;
        }
    }

    private void pollSafely() {
        if (stopped) {
            return;
        }
        try {
            poll();
        } catch (IOException e) {
            LOG.debug("handler on {}: IMDS unreadable: {}", nodeName, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!stopped) {
                LOG.warn("handler on {} failed a poll: {}", nodeName, e.toString());
            }
        }
    }

    private synchronized void poll() throws IOException, InterruptedException {
        TerminationHandlerFaults.Active f = faults();
        if (f.down() || noticeEventId != null) {
            return;
        }
        URI base = imds.endpointFor(instanceId);
        if (base == null) {
            return;
        }
        Optional<String> notice = poller.get(base, ImdsPoller.INSTANCE_ACTION);
        if (notice.isPresent()) {
            onNotice(notice.get(), f);
            return;
        }
        if (spec.rebalanceMonitoring() && rebalanceEventId == null) {
            Optional<String> rebalance = poller.get(base, ImdsPoller.REBALANCE);
            if (rebalance.isPresent()) {
                onRebalance(rebalance.get(), f);
            }
        }
    }

    private void onNotice(String body, TerminationHandlerFaults.Active f) {
        String eventId = cut63("spot-itn-" + Kube.sha256Hex(body));
        String action = "terminate";
        String time = "";
        try {
            JsonNode n = JSON.readTree(body);
            action = n.path("action").asText("terminate");
            time = n.path("time").asText("");
        } catch (IOException e) {
            LOG.warn("handler on {}: instance-action body is not JSON: {}", nodeName, body);
        }
        notice(eventId, action, time, f);
    }

    /**
     * Queue mode: the Spot Instance Interruption Warning for this node's instance came off the handler's queue.
     *
     * @return whether the handler acted (not when it is down, stopped, or already acted on a notice)
     */
    synchronized boolean queueNotice(String messageEventId, String action, String time) {
        TerminationHandlerFaults.Active f = faults();
        if (stopped || f.down() || noticeEventId != null) {
            return false;
        }
        notice(cut63("spot-itn-" + Kube.sha256Hex(messageEventId)), action, time, f);
        return true;
    }

    /** Queue mode: the rebalance recommendation for this node's instance came off the handler's queue. */
    synchronized boolean queueRebalance(String messageEventId) {
        TerminationHandlerFaults.Active f = faults();
        if (stopped || f.down() || !spec.rebalanceMonitoring() || rebalanceEventId != null || noticeEventId != null) {
            return false;
        }
        onRebalance(messageEventId, f);
        return true;
    }

    /**
     * Queue mode: the instance is stopping or terminating (an EC2 state change): as NTH does, cordon and drain the
     * node unless that has begun.
     */
    synchronized boolean queueStateChange(String state) {
        TerminationHandlerFaults.Active f = faults();
        if (stopped || f.down() || draining) {
            return false;
        }
        event("InstanceStateChange", "Instance " + instanceId + " is " + state);
        if (!f.noCordon()) {
            try {
                client.nodes().withName(nodeName).edit(n -> {
                    n.getSpec().setUnschedulable(true);
                    return n;
                });
            } catch (KubernetesClientException e) {
                LOG.warn("handler on {}: could not cordon: {}", nodeName, e.getMessage());
            }
        }
        if (!f.noDrain()) {
            startDrain("Instance " + state, f);
        }
        return true;
    }

    private void notice(String eventId, String action, String time, TerminationHandlerFaults.Active f) {
        noticeEventId = eventId;
        event(
                "SpotInterruption",
                "Spot interruption notice for instance " + instanceId + ": action " + action
                        + (time.isEmpty() ? "" : " at " + time));
        markNode(SPOT_ITN_TAINT, eventId, "SPOT_ITN", f);
        if (f.noDrain()) {
            if (!f.noCordon()) {
                event("Cordon", "Node cordoned; draining is off");
            }
            return;
        }
        startDrain("Spot interruption", f);
    }

    private void onRebalance(String body, TerminationHandlerFaults.Active f) {
        String eventId = cut63("rebalance-recommendation-" + Kube.sha256Hex(body));
        rebalanceEventId = eventId;
        event("RebalanceRecommendation", "Rebalance recommendation for instance " + instanceId + ": " + body);
        markNode(REBALANCE_TAINT, eventId, "REBALANCE_RECOMMENDATION", f);
        if (spec.rebalanceDraining() && !f.noDrain()) {
            startDrain("Rebalance recommendation", f);
        } else if (!f.noCordon()) {
            event("Cordon", "Node cordoned on a rebalance recommendation (draining is off)");
        }
    }

    /** Taint (unless faulted), label, cordon (unless faulted). */
    private void markNode(String defaultKey, String eventId, String kind, TerminationHandlerFaults.Active f) {
        String key = f.taintKey() != null ? f.taintKey() : defaultKey;
        String effect = f.taintEffect() != null ? f.taintEffect() : spec.taintEffect();
        String now = Long.toString(clock.now().getEpochSecond());
        try {
            client.nodes().withName(nodeName).edit(n -> {
                Map<String, String> labels = new HashMap<>(LabController.labelsOf(n.getMetadata()));
                labels.put(ACTION_LABEL, kind);
                labels.put(ACTION_TIME_LABEL, now);
                labels.put(EVENT_ID_LABEL, eventId);
                n.getMetadata().setLabels(labels);
                if (!f.noTaint()) {
                    List<Taint> taints = new ArrayList<>(
                            n.getSpec().getTaints() == null
                                    ? List.of()
                                    : n.getSpec().getTaints());
                    taints.removeIf(t -> key.equals(t.getKey()) && effect.equals(t.getEffect()));
                    taints.add(new TaintBuilder()
                            .withKey(key)
                            .withValue(eventId)
                            .withEffect(effect)
                            .withTimeAdded(clock.now().toString())
                            .build());
                    n.getSpec().setTaints(taints);
                }
                if (!f.noCordon()) {
                    n.getSpec().setUnschedulable(true);
                }
                return n;
            });
        } catch (KubernetesClientException e) {
            LOG.warn("handler on {}: could not taint/cordon: {}", nodeName, e.getMessage());
        }
    }

    private void startDrain(String why, TerminationHandlerFaults.Active f) {
        draining = true;
        event("PreDrain", why + ": draining node " + nodeName);
        Duration delay = f.drainDelay();
        schedule(clock.toWall(delay), this::drainStep);
    }

    private void drainStep() {
        if (stopped) {
            return;
        }
        TerminationHandlerFaults.Active f = faults();
        if (f.down()) {
            schedule(clock.toWall(spec.pollInterval()), this::drainStep);
            return;
        }
        List<Pod> victims;
        try {
            victims = client.pods().inAnyNamespace().list().getItems().stream()
                    .filter(p -> nodeName.equals(Kube.nodeName(p)))
                    .filter(p -> !Kube.isMirror(p))
                    .filter(p -> f.evictDaemonSets() || !Kube.ownedBy(p, "DaemonSet"))
                    .toList();
        } catch (KubernetesClientException e) {
            schedule(clock.toWall(spec.pollInterval()), this::drainStep);
            return;
        }
        boolean blocked = false;
        for (Pod pod : victims) {
            try {
                boolean evicted = client.pods()
                        .inNamespace(pod.getMetadata().getNamespace())
                        .withName(pod.getMetadata().getName())
                        .evict(eviction(pod));
                if (!evicted) {
                    blocked = true;
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    blocked = true;
                    LOG.debug("eviction of {} failed: {}", pod.getMetadata().getName(), e.getMessage());
                }
            }
        }
        if (blocked) {
            schedule(clock.toWall(spec.pollInterval()), this::drainStep);
            return;
        }
        event("CordonAndDrain", "Node successfully cordoned and drained");
        event("PostDrain", "Drain of node " + nodeName + " complete");
    }

    private Eviction eviction(Pod pod) {
        EvictionBuilder b = new EvictionBuilder()
                .withNewMetadata()
                .withName(pod.getMetadata().getName())
                .withNamespace(pod.getMetadata().getNamespace())
                .endMetadata();
        spec.podGracePeriod()
                .ifPresent(g -> b.withDeleteOptions(new io.fabric8.kubernetes.api.model.DeleteOptionsBuilder()
                        .withGracePeriodSeconds(g.toSeconds())
                        .build()));
        return b.build();
    }

    private void event(String reason, String message) {
        events.node(nodeName, "Normal", reason, message, COMPONENT);
    }

    private void schedule(Duration wall, Runnable step) {
        if (stopped) {
            return;
        }
        try {
            executor.schedule(
                    () -> {
                        try {
                            step.run();
                        } catch (RuntimeException e) {
                            if (!stopped) {
                                LOG.warn("handler on {} failed a drain step: {}", nodeName, e.toString());
                                schedule(clock.toWall(spec.pollInterval()), step);
                            }
                        }
                    },
                    wall.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    static String cut63(String s) {
        return s.length() <= 63 ? s : s.substring(0, 63);
    }
}
