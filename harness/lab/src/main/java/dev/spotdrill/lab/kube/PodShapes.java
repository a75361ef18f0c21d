package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The shape of a real EKS pod, so that the lab's pods weigh what real ones do (8–12 KB of JSON): containers with EKS
 * Pod Identity's environment, probes and limits; the projected service-account token volumes that admission adds;
 * the kubelet's containerStatuses; and managedFields entries for each manager that writes the pod.
 */
final class PodShapes {
    static final String ACCOUNT_ID = "111122223333";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PodShapes() {}

    /** An application container as EKS runs it: image, ports, env (own and Pod Identity's), probes, mounts. */
    static Container container(String namespace, String name, String image, String cpu, String memory) {
        List<EnvVar> env = new ArrayList<>();
        env.add(fieldRef("POD_NAME", "metadata.name"));
        env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
        env.add(fieldRef("NODE_NAME", "spec.nodeName"));
        env.add(new EnvVar("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError", null));
        env.add(new EnvVar("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability:4317", null));
        env.add(new EnvVar("AWS_STS_REGIONAL_ENDPOINTS", "regional", null));
        env.add(new EnvVar("AWS_DEFAULT_REGION", "us-east-1", null));
        env.add(new EnvVar("AWS_REGION", "us-east-1", null));
        env.add(new EnvVar("AWS_ROLE_ARN", "arn:aws:iam::" + ACCOUNT_ID + ":role/" + namespace + "-" + name, null));
        env.add(new EnvVar(
                "AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", null));
        return new ContainerBuilder()
                .withName(name)
                .withImage(image)
                .withImagePullPolicy("IfNotPresent")
                .withArgs("--port=8080", "--metrics-port=9090", "--log-format=json")
                .addNewPort()
                .withName("http")
                .withContainerPort(8080)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("metrics")
                .withContainerPort(9090)
                .withProtocol("TCP")
                .endPort()
                .withNewLifecycle()
                .withNewPreStop()
                .withNewExec()
                .withCommand("/bin/sh", "-c", "sleep 10")
                .endExec()
                .endPreStop()
                .endLifecycle()
                .withNewStartupProbe()
                .withNewHttpGet()
                .withPath("/health")
                .withPort(new IntOrString("http"))
                .withScheme("HTTP")
                .endHttpGet()
                .withPeriodSeconds(5)
                .withTimeoutSeconds(1)
                .withSuccessThreshold(1)
                .withFailureThreshold(30)
                .endStartupProbe()
                .withEnv(env)
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity(memory))
                .addToLimits("memory", new Quantity(memory))
                .endResources()
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/ready")
                .withPort(new IntOrString("http"))
                .withScheme("HTTP")
                .endHttpGet()
                .withPeriodSeconds(10)
                .withTimeoutSeconds(1)
                .withSuccessThreshold(1)
                .withFailureThreshold(3)
                .endReadinessProbe()
                .withNewLivenessProbe()
                .withNewHttpGet()
                .withPath("/health")
                .withPort(new IntOrString("http"))
                .withScheme("HTTP")
                .endHttpGet()
                .withInitialDelaySeconds(15)
                .withPeriodSeconds(20)
                .withTimeoutSeconds(1)
                .withSuccessThreshold(1)
                .withFailureThreshold(3)
                .endLivenessProbe()
                .withVolumeMounts(
                        new VolumeMountBuilder()
                                .withName("kube-api-access")
                                .withMountPath("/var/run/secrets/kubernetes.io/serviceaccount")
                                .withReadOnly(true)
                                .build(),
                        new VolumeMountBuilder()
                                .withName("aws-iam-token")
                                .withMountPath("/var/run/secrets/eks.amazonaws.com/serviceaccount")
                                .withReadOnly(true)
                                .build())
                .withTerminationMessagePath("/dev/termination-log")
                .withTerminationMessagePolicy("File")
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .endSecurityContext()
                .build();
    }

    private static EnvVar fieldRef(String name, String path) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewFieldRef()
                .withApiVersion("v1")
                .withFieldPath(path)
                .endFieldRef()
                .endValueFrom()
                .build();
    }

    /** The projected volumes EKS admission adds: the service-account token, CA and namespace; the IRSA token. */
    static List<Volume> volumes() {
        Volume api = new VolumeBuilder()
                .withName("kube-api-access")
                .withNewProjected()
                .withDefaultMode(420)
                .addNewSource()
                .withNewServiceAccountToken()
                .withExpirationSeconds(3607L)
                .withPath("token")
                .endServiceAccountToken()
                .endSource()
                .addNewSource()
                .withNewConfigMap()
                .withName("kube-root-ca.crt")
                .addNewItem()
                .withKey("ca.crt")
                .withPath("ca.crt")
                .endItem()
                .endConfigMap()
                .endSource()
                .addNewSource()
                .withNewDownwardAPI()
                .addNewItem()
                .withPath("namespace")
                .withNewFieldRef()
                .withApiVersion("v1")
                .withFieldPath("metadata.namespace")
                .endFieldRef()
                .endItem()
                .endDownwardAPI()
                .endSource()
                .endProjected()
                .build();
        Volume irsa = new VolumeBuilder()
                .withName("aws-iam-token")
                .withNewProjected()
                .withDefaultMode(420)
                .addNewSource()
                .withNewServiceAccountToken()
                .withAudience("sts.amazonaws.com")
                .withExpirationSeconds(86400L)
                .withPath("token")
                .endServiceAccountToken()
                .endSource()
                .endProjected()
                .build();
        return List.of(api, irsa);
    }

    /** The kubelet's status of each container: running since now, not ready yet. */
    static List<ContainerStatus> containerStatuses(Pod pod, Instant now) {
        List<ContainerStatus> out = new ArrayList<>();
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return out;
        }
        for (Container c : pod.getSpec().getContainers()) {
            String id = Kube.sha256Hex(pod.getMetadata().getName() + "/" + c.getName());
            String image = c.getImage() == null ? "public.ecr.aws/lab/" + c.getName() + ":latest" : c.getImage();
            out.add(new ContainerStatusBuilder()
                    .withName(c.getName())
                    .withImage(image)
                    .withImageID(image.replaceAll(":[^:/]*$", "") + "@sha256:" + Kube.sha256Hex(image))
                    .withContainerID("containerd://" + id)
                    .withReady(false)
                    .withStarted(true)
                    .withRestartCount(0)
                    .withNewState()
                    .withNewRunning()
                    .withStartedAt(now.toString())
                    .endRunning()
                    .endState()
                    .build());
        }
        return out;
    }

    /**
     * Records that the manager wrote the pod: its managedFields entry (operation Update, FieldsV1 of what it owns)
     * replaces the manager's earlier one. The controller manager owns metadata and spec; the scheduler and the
     * kubelet own status, through the status subresource.
     */
    static void manage(Pod pod, String manager, Instant now) {
        String shape = shape(pod, manager);
        FieldsV1 v1 = shape == null ? null : FIELDS.get(shape);
        if (v1 == null) {
            v1 = fieldsV1(pod, manager);
            if (shape != null) {
                if (FIELDS.size() > 10_000) {
                    FIELDS.clear();
                }
                FIELDS.put(shape, v1);
            }
        }
        String subresource = manager.equals("kube-controller-manager") ? null : "status";
        List<ManagedFieldsEntry> entries = new ArrayList<>(
                pod.getMetadata().getManagedFields() == null
                        ? List.of()
                        : pod.getMetadata().getManagedFields());
        entries.removeIf(e -> manager.equals(e.getManager()));
        // set, not built: a builder would copy the shared FieldsV1, and the lab stores one tree of each
        ManagedFieldsEntry entry = new ManagedFieldsEntry();
        entry.setApiVersion("v1");
        entry.setFieldsType("FieldsV1");
        entry.setFieldsV1(v1);
        entry.setManager(manager);
        entry.setOperation("Update");
        entry.setSubresource(subresource);
        entry.setTime(ApiStore.timestamp(now));
        entries.add(entry);
        pod.getMetadata().setManagedFields(entries);
    }

    /**
     * The FieldsV1 entries the managers' writes give, by the shape of what they wrote: pods of one owner share their
     * template, so their fields are the same and are computed once (a 50,000-pod lab writes each pod three times).
     */
    private static final Map<String, FieldsV1> FIELDS = new java.util.concurrent.ConcurrentHashMap<>();

    /** What decides the fields the manager owns: its owner's template and the status's parts; null for no owner. */
    private static String shape(Pod pod, String manager) {
        String owner = Kube.controller(pod).map(r -> r.getUid()).orElse(null);
        if (owner == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(manager).append('|').append(owner);
        if (manager.equals("kube-controller-manager")) {
            ObjectMeta m = pod.getMetadata();
            sb.append('|').append(m.getLabels() == null ? "" : m.getLabels().keySet());
            sb.append('|')
                    .append(m.getAnnotations() == null ? "" : m.getAnnotations().keySet());
            sb.append('|').append(pod.getSpec() == null ? "" : pod.getSpec().getNodeName() != null);
            sb.append('|')
                    .append(
                            pod.getSpec() == null || pod.getSpec().getTolerations() == null
                                    ? 0
                                    : pod.getSpec().getTolerations().size());
        } else {
            PodStatus st = pod.getStatus();
            if (st != null) {
                sb.append('|').append(st.getPhase()).append('|').append(st.getHostIP() != null);
                sb.append('|').append(st.getPodIP() != null).append('|').append(st.getStartTime() != null);
                sb.append('|').append(st.getQosClass());
                if (st.getConditions() != null) {
                    st.getConditions()
                            .forEach(c -> sb.append(',').append(c.getType()).append(c.getReason() != null));
                }
                sb.append('|')
                        .append(
                                st.getContainerStatuses() == null
                                        ? 0
                                        : st.getContainerStatuses().size());
            }
        }
        return sb.toString();
    }

    /** The JSON tree of a FieldsV1 this class made, or null for another; shared, never to be changed. */
    static ObjectNode treeOf(FieldsV1 v1) {
        synchronized (TREES) {
            return TREES.get(v1);
        }
    }

    private static final Map<FieldsV1, ObjectNode> TREES = new java.util.IdentityHashMap<>();

    private static FieldsV1 fieldsV1(Pod pod, String manager) {
        JsonNode tree = JSON.valueToTree(pod);
        ObjectNode fields = NODES.objectNode();
        if (manager.equals("kube-controller-manager")) {
            ObjectNode meta = fields.putObject("f:metadata");
            for (String f : List.of("generateName", "labels", "annotations", "ownerReferences")) {
                if (tree.path("metadata").has(f)) {
                    meta.set("f:" + f, fieldsOf(tree.path("metadata").get(f)));
                }
            }
            fields.set("f:spec", fieldsOf(tree.path("spec")));
        } else {
            fields.set("f:status", fieldsOf(tree.path("status")));
        }
        FieldsV1 v1 = new FieldsV1();
        @SuppressWarnings("unchecked")
        Map<String, Object> map = JSON.convertValue(fields, Map.class);
        map.forEach(v1::setAdditionalProperty);
        synchronized (TREES) {
            if (TREES.size() > 10_000) {
                TREES.clear();
            }
            TREES.put(v1, fields);
        }
        return v1;
    }

    /** The FieldsV1 form of a JSON value: objects by {@code f:} field, keyed lists by {@code k:}, the rest as {}. */
    static JsonNode fieldsOf(JsonNode v) {
        ObjectNode out = NODES.objectNode();
        if (v.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set("f:" + e.getKey(), fieldsOf(e.getValue()));
            }
        } else if (v.isArray()) {
            ArrayNode a = (ArrayNode) v;
            for (JsonNode item : a) {
                String keyField = item.has("name") ? "name" : item.has("type") ? "type" : null;
                if (item.isObject() && keyField != null) {
                    ObjectNode k =
                            NODES.objectNode().put(keyField, item.get(keyField).asText());
                    ObjectNode entry = (ObjectNode) fieldsOf(item);
                    entry.set(".", NODES.objectNode());
                    out.set("k:" + k, entry);
                } else if (item.isValueNode()) {
                    out.set("v:" + item, NODES.objectNode());
                }
            }
        }
        return out;
    }

    static void ensureContainer(Pod pod, String name) {
        if (pod.getSpec() == null) {
            pod.setSpec(new io.fabric8.kubernetes.api.model.PodSpec());
        }
        if (pod.getSpec().getContainers() == null
                || pod.getSpec().getContainers().isEmpty()) {
            Container c = new ContainerBuilder()
                    .withName(name)
                    .withImage("public.ecr.aws/lab/" + name + ":latest")
                    .withNewResources()
                    .addToRequests("cpu", new Quantity("100m"))
                    .addToRequests("memory", new Quantity("128Mi"))
                    .endResources()
                    .build();
            pod.getSpec().setContainers(List.of(c));
        }
    }

    /** The characters of generated name suffixes (no vowels, no look-alikes), as Kubernetes uses. */
    static final String POD_CHARS = "bcdfghjklmnpqrstvwxz2456789";

    /** A five-character suffix for a pod name, as a ReplicaSet or DaemonSet gives its pods. */
    static String randomSuffix() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            sb.append(POD_CHARS.charAt(r.nextInt(POD_CHARS.length())));
        }
        return sb.toString();
    }

    /** The pod-template-hash of a template's JSON: ten name characters from its SHA-256. */
    static String templateHash(String templateJson) {
        String hex = Kube.sha256Hex(templateJson);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            sb.append(POD_CHARS.charAt(Character.digit(hex.charAt(i), 16) % POD_CHARS.length()));
        }
        return sb.toString();
    }
}
