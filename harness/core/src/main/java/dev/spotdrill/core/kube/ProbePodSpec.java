package dev.spotdrill.core.kube;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Target;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Builds the IMDS probe pod for {@code spotdrill.imds.via=probe-pod}: a small pod pinned to a target's node
 * that polls IMDSv2 and prints one JSON line for each change.
 *
 * <p>The pod is pinned with {@code spec.nodeName} (no scheduler, so cordons and {@code NoSchedule} taints do not
 * keep it off the node), uses the host network (so IMDS answers whatever the instance's hop limit), tolerates
 * every taint, never restarts, runs as a non-root user with a read-only root filesystem and no capabilities, and
 * mounts no service account token.
 *
 * <p>The default image is {@value #DEFAULT_IMAGE}: it is on ECR Public (no Docker Hub pull limits, reachable
 * from EKS nodes), and has {@code sh}, {@code date} and {@code curl}. Alpine's busybox {@code wget} cannot send
 * the {@code PUT} that an IMDSv2 token needs, so a busybox-only image does not work. Any image with a POSIX
 * {@code sh} and {@code curl} can be set with {@value SpotDrillConfig#IMDS_PROBE_IMAGE}.
 */
public final class ProbePodSpec {
    /** The namespace the probe pod runs in unless another is given. */
    public static final String DEFAULT_NAMESPACE = "default";
    /** The probe image unless {@value SpotDrillConfig#IMDS_PROBE_IMAGE} names another. */
    public static final String DEFAULT_IMAGE = "public.ecr.aws/amazonlinux/amazonlinux:2023";
    /** The label every probe pod carries with the value {@value #APP}. */
    public static final String APP_LABEL = "app.kubernetes.io/name";
    /** The value of {@value #APP_LABEL}; expectations on pods (drain) should leave these pods out. */
    public static final String APP = "spotdrill-imds-probe";
    /** The label that carries the drill's run id, to find leftovers. */
    public static final String RUN_ID_LABEL = "spotdrill/run-id";
    /** The annotation with the world time the pod was created, for the leftovers sweep's age filter. */
    public static final String CREATED_AT_ANNOTATION = "spotdrill/created-at";
    /** The label that carries the target's instance id. */
    public static final String INSTANCE_LABEL = "spotdrill/instance-id";
    /** The probe container's name. */
    public static final String CONTAINER = "imds-probe";

    static final String SCRIPT_RESOURCE = "imds-probe.sh";
    static final long USER = 65534L;
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final int MAX_NAME = 63;
    private static final String PREFIX = "spotdrill-imds-";

    private ProbePodSpec() {}

    /** The probe image: {@value SpotDrillConfig#IMDS_PROBE_IMAGE}, or {@link #DEFAULT_IMAGE}; checked. */
    public static String image(SpotDrillConfig config) {
        return checkImage(config.get(SpotDrillConfig.IMDS_PROBE_IMAGE, DEFAULT_IMAGE));
    }

    /**
     * The probe pod for one target.
     *
     * @param namespace the namespace; blank means {@value #DEFAULT_NAMESPACE}
     * @param runId the drill's run id
     * @param target the target; it must back a Kubernetes node
     * @param image an image with a POSIX {@code sh} and {@code curl}
     * @throws SpotDrillConfigurationException when the target backs no node, or the namespace or image is unusable
     */
    public static Pod build(String namespace, String runId, Target target, String image) {
        String ns = namespace(namespace);
        String node = target.node()
                .orElseThrow(() -> new SpotDrillConfigurationException(SpotDrillConfig.IMDS_VIA
                        + "=probe-pod: target " + target.describe()
                        + " backs no Kubernetes node, so there is no node to pin the IMDS probe pod to; select"
                        + " targets with @SpotInterruption(nodes=...) or use " + SpotDrillConfig.IMDS_VIA + "=direct"));
        String img = checkImage(image);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(APP_LABEL, APP);
        labels.put("app.kubernetes.io/managed-by", "spotdrill");
        labels.put(RUN_ID_LABEL, labelValue(runId));
        labels.put(INSTANCE_LABEL, labelValue(target.instanceId()));
        return new PodBuilder()
                .withNewMetadata()
                .withName(podName(runId, target.instanceId()))
                .withNamespace(ns)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .withHostNetwork(true)
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withTerminationGracePeriodSeconds(0L)
                .addNewToleration()
                .withOperator("Exists")
                .endToleration()
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(USER)
                .withRunAsGroup(USER)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(img)
                .withImagePullPolicy("IfNotPresent")
                .withCommand("/bin/sh", "-c", script())
                .withNewResources()
                .addToRequests("cpu", new Quantity("10m"))
                .addToRequests("memory", new Quantity("16Mi"))
                .addToLimits("cpu", new Quantity("100m"))
                .addToLimits("memory", new Quantity("64Mi"))
                .endResources()
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .endContainer()
                .endSpec()
                .build();
    }

    /**
     * The probe pod's name: {@code spotdrill-imds-<runId>-<instance id without "i-">}, lower-cased, at most 63
     * characters (the run id is shortened first).
     */
    public static String podName(String runId, String instanceId) {
        if (runId == null || runId.isBlank()) {
            throw new IllegalArgumentException("runId must not be blank");
        }
        if (instanceId == null || instanceId.isBlank()) {
            throw new IllegalArgumentException("instanceId must not be blank");
        }
        String id = sanitize(instanceId.startsWith("i-") ? instanceId.substring(2) : instanceId);
        String run = sanitize(runId);
        int room = MAX_NAME - PREFIX.length() - 1 - id.length();
        if (room < 1) {
            id = id.substring(id.length() - (MAX_NAME - PREFIX.length() - 2));
            room = 1;
        }
        if (run.length() > room) {
            run = run.substring(0, room);
        }
        return trimDashes(PREFIX + trimDashes(run) + "-" + trimDashes(id));
    }

    /** The probe script, {@code imds-probe.sh}, that the container runs with {@code /bin/sh -c}. */
    static String script() {
        try (InputStream in = ProbePodSpec.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource dev/spotdrill/core/kube/" + SCRIPT_RESOURCE
                        + " is missing from the classpath; rebuild spotdrill-core");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read dev/spotdrill/core/kube/" + SCRIPT_RESOURCE, e);
        }
    }

    static String namespace(String namespace) {
        if (namespace == null || namespace.isBlank()) {
            return DEFAULT_NAMESPACE;
        }
        if (!DNS_LABEL.matcher(namespace).matches()) {
            throw new SpotDrillConfigurationException("IMDS probe pod namespace \"" + namespace
                    + "\" is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63);"
                    + " use an existing namespace such as \"" + DEFAULT_NAMESPACE + "\"");
        }
        return namespace;
    }

    static String checkImage(String image) {
        if (image == null || image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
            throw new SpotDrillConfigurationException(SpotDrillConfig.IMDS_PROBE_IMAGE + "=\"" + image
                    + "\": not an image reference; set an image with a POSIX sh and curl, for example "
                    + DEFAULT_IMAGE);
        }
        return image;
    }

    private static String labelValue(String value) {
        String v = value.replaceAll("[^A-Za-z0-9._-]", "-");
        if (v.length() > MAX_NAME) {
            v = v.substring(0, MAX_NAME);
        }
        return v.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
    }

    private static String sanitize(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    }

    private static String trimDashes(String s) {
        return s.replaceAll("^-+", "").replaceAll("-+$", "");
    }
}
