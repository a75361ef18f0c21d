package dev.spotdrill.lab.kube;

import dev.spotdrill.core.WorldClock;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's Fargate, as EKS runs it. Its admission step (EKS's mutating webhook) hands a new pod that matches a
 * profile to the {@value #SCHEDULER} (with the annotation {@value #PROFILE_ANNOTATION}); the EC2 scheduler leaves
 * such pods alone. After the startup delay the pod gets a virtual node of its own, named
 * {@code fargate-ip-<ip>.ec2.internal}, labelled and tainted {@code eks.amazonaws.com/compute-type=fargate}, with no
 * instance behind it (so no IMDS and no termination handler); the node goes away with its pod. The Fargate
 * scheduler does not evaluate the pod's nodeSelector: the profile alone decides. With the fault
 * {@code fargate.no-capacity} pods stay Pending with EKS's FailedScheduling message, and are retried every 30 s
 * (world time).
 *
 * <p>It runs on the lab controller's thread: {@link #reconcile} is part of every controller reconcile.
 */
final class LabFargate {
    private static final Logger LOG = LoggerFactory.getLogger(LabFargate.class);
    /** The node label (and taint key) of a Fargate node. */
    static final String COMPUTE_TYPE = "eks.amazonaws.com/compute-type";
    /** The annotation EKS puts on a pod it runs on Fargate: the profile's name. */
    static final String PROFILE_ANNOTATION = "eks.amazonaws.com/fargate-profile";
    /** The scheduler of Fargate pods. */
    static final String SCHEDULER = "fargate-scheduler";
    /** EKS's FailedScheduling message when Fargate has no capacity. */
    static final String NO_CAPACITY_MESSAGE = "Fargate capacity is unavailable at this time. Please try again later"
            + " or in a different availability zone";

    private static final Duration RETRY = Duration.ofSeconds(30);

    private final FargateSpec spec;
    private final KubernetesClient client;
    private final WorldClock clock;
    private final Supplier<Map<String, String>> faults;
    private final List<String> zones;
    private final Set<String> armed = ConcurrentHashMap.newKeySet();
    private final AtomicInteger counter = new AtomicInteger();
    private final AtomicBoolean retryArmed = new AtomicBoolean();
    private volatile LabController controller;

    /**
     * @param zones the zones Fargate places pods in, in turn (the cluster's node zones)
     */
    LabFargate(
            FargateSpec spec,
            KubernetesClient client,
            WorldClock clock,
            Supplier<Map<String, String>> faults,
            List<String> zones) {
        this.spec = spec;
        this.client = client;
        this.clock = clock;
        this.faults = faults;
        this.zones = zones.isEmpty() ? List.of("us-east-1a") : List.copyOf(zones);
    }

    void attach(LabController controller) {
        this.controller = controller;
    }

    FargateFaults.Active faults() {
        try {
            return FargateFaults.Active.of(faults.get());
        } catch (RuntimeException e) {
            return FargateFaults.Active.NONE;
        }
    }

    /** Whether a node is a Fargate virtual node. */
    static boolean isFargateNode(Node node) {
        return node.getMetadata() != null
                && node.getMetadata().getLabels() != null
                && "fargate".equals(node.getMetadata().getLabels().get(COMPUTE_TYPE));
    }

    /** Whether a pod was handed to the Fargate scheduler when it was created. */
    static boolean isFargatePod(Pod pod) {
        return pod.getSpec() != null && SCHEDULER.equals(pod.getSpec().getSchedulerName());
    }

    /**
     * The admission step, on a pod about to be created: a pod that matches a profile goes to the Fargate scheduler,
     * with the profile's name in {@value #PROFILE_ANNOTATION} and no scheduling condition yet.
     */
    void admit(Pod pod) {
        Optional<FargateProfileSpec> profile = spec.profileFor(
                pod.getMetadata().getNamespace(), pod.getMetadata().getLabels());
        if (profile.isEmpty()) {
            return;
        }
        pod.getSpec().setSchedulerName(SCHEDULER);
        Map<String, String> annotations = new LinkedHashMap<>(
                pod.getMetadata().getAnnotations() == null
                        ? Map.of()
                        : pod.getMetadata().getAnnotations());
        annotations.put(PROFILE_ANNOTATION, profile.get().name());
        pod.getMetadata().setAnnotations(annotations);
        if (pod.getStatus() != null) {
            pod.getStatus().setConditions(new ArrayList<>());
        }
    }

    /**
     * One pass of the Fargate scheduler: virtual nodes whose pod is gone are deleted, and each Pending Fargate pod
     * is given a node after the startup delay (or reported as unschedulable when there is no capacity).
     */
    void reconcile(List<Pod> pods, List<Node> nodes) {
        Set<String> used = pods.stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .map(Kube::nodeName)
                .filter(Objects::nonNull)
                .collect(Collectors.toSet());
        for (Node n : nodes) {
            String name = n.getMetadata().getName();
            if (isFargateNode(n) && !used.contains(name)) {
                LOG.debug("Fargate node {} goes away with its pod", name);
                try {
                    client.nodes().withName(name).delete();
                } catch (KubernetesClientException e) {
                    LOG.debug("Fargate node {} not deleted: {}", name, e.getMessage());
                }
            }
        }
        FargateFaults.Active f = faults();
        for (Pod pod : pods) {
            if (!isFargatePod(pod)
                    || Kube.nodeName(pod) != null
                    || pod.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (f.noCapacity()) {
                controller.failedScheduling(pod, SCHEDULER, NO_CAPACITY_MESSAGE);
                retryLater();
                continue;
            }
            if (armed.add(pod.getMetadata().getUid())) {
                Duration delay = f.startupDelay().orElse(spec.startupDelay());
                controller.schedule(clock.toWall(delay), () -> provision(pod));
            }
        }
    }

    private void retryLater() {
        if (retryArmed.compareAndSet(false, true)) {
            controller.schedule(clock.toWall(RETRY), () -> {
                retryArmed.set(false);
                controller.fargatePass();
            });
        }
    }

    /** The startup delay has passed: the pod gets its own node, then is bound to it. */
    private void provision(Pod armedPod) {
        String ns = armedPod.getMetadata().getNamespace();
        String name = armedPod.getMetadata().getName();
        String uid = armedPod.getMetadata().getUid();
        Pod now = client.pods().inNamespace(ns).withName(name).get();
        if (now == null
                || !Objects.equals(uid, now.getMetadata().getUid())
                || Kube.nodeName(now) != null
                || now.getMetadata().getDeletionTimestamp() != null) {
            armed.remove(uid);
            return;
        }
        if (faults().noCapacity()) {
            armed.remove(uid);
            controller.fargatePass();
            return;
        }
        Node node = client.nodes().resource(virtualNode()).create();
        if (controller.bind(now, node) == null) {
            armed.remove(uid);
            client.nodes().withName(node.getMetadata().getName()).delete();
            controller.fargatePass();
        }
    }

    private Node virtualNode() {
        int n = counter.getAndIncrement();
        String zone = zones.get(n % zones.size());
        String region = zone.replaceAll("[a-z]$", "");
        String ip = "10.0." + (12 + (n / 240) % 88) + "." + (10 + n % 240);
        String name = "fargate-ip-" + ip.replace('.', '-')
                + (region.equals("us-east-1") ? ".ec2.internal" : "." + region + ".compute.internal");
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("kubernetes.io/hostname", name);
        labels.put("kubernetes.io/os", "linux");
        labels.put("kubernetes.io/arch", "amd64");
        labels.put("topology.kubernetes.io/zone", zone);
        labels.put("topology.kubernetes.io/region", region);
        labels.put(COMPUTE_TYPE, "fargate");
        byte[] id = new byte[16];
        ThreadLocalRandom.current().nextBytes(id);
        String now = clock.now().toString();
        Map<String, Quantity> capacity = Map.of(
                "cpu", new Quantity("2"),
                "memory", new Quantity("4010004Ki"),
                "pods", new Quantity("1"),
                "ephemeral-storage", new Quantity("30787492Ki"));
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withUid(java.util.UUID.randomUUID().toString())
                .withLabels(labels)
                .withCreationTimestamp(now)
                .endMetadata()
                .withNewSpec()
                .withProviderID("aws:///" + zone + "/" + HexFormat.of().formatHex(id) + "/" + name)
                .addNewTaint()
                .withKey(COMPUTE_TYPE)
                .withValue("fargate")
                .withEffect("NoSchedule")
                .endTaint()
                .endSpec()
                .withNewStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .withReason("KubeletReady")
                .withMessage("kubelet is posting ready status")
                .withLastHeartbeatTime(now)
                .withLastTransitionTime(now)
                .endCondition()
                .addNewAddress()
                .withType("InternalIP")
                .withAddress(ip)
                .endAddress()
                .addNewAddress()
                .withType("Hostname")
                .withAddress(name)
                .endAddress()
                .withAllocatable(capacity)
                .withCapacity(capacity)
                .withNewNodeInfo()
                .withKubeletVersion("v1.30.0-eks-fargate")
                .withOperatingSystem("linux")
                .withArchitecture("amd64")
                .withContainerRuntimeVersion("containerd://1.7.0")
                .endNodeInfo()
                .endStatus()
                .build();
    }
}
