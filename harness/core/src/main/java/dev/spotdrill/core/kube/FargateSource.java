package dev.spotdrill.core.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The Fargate source ({@value FargateObservations#SOURCE}): Deployments that a Spot→Fargate orchestrator moves
 * between Spot and Fargate, watched through informers by {@link FargateProbe}. Requests name the Deployment and the
 * pod template label the orchestrator switches: {@code fargate{deployment=shop/cart, computeLabel=compute-type,
 * nodeLabel=eks.amazonaws.com/compute-type}}.
 *
 * <p>It starts as soon as the targets are resolved, before any mutating call, and refuses a Deployment the cluster
 * does not have, or one whose pod template has no such label (the orchestrator could not move it), while nothing
 * exists yet.
 */
public final class FargateSource implements Source {
    /** Request parameter: the Deployment, {@code namespace/name}. */
    public static final String DEPLOYMENT = "deployment";
    /** Request parameter: the pod template label the orchestrator switches, e.g. {@code compute-type}. */
    public static final String COMPUTE_LABEL = "computeLabel";
    /** Request parameter: a node label to record for each pod's node, e.g. {@code eks.amazonaws.com/compute-type}. */
    public static final String NODE_LABEL = "nodeLabel";

    @Override
    public String kind() {
        return FargateObservations.SOURCE;
    }

    @Override
    public Stage stage() {
        return Stage.RESOLVED;
    }

    @Override
    public void check(SourceContext ctx, List<SourceRequest> requests) {
        if (ctx.world().kube().isEmpty()) {
            throw new SpotDrillConfigurationException("the " + ctx.world().name() + " world has no Kubernetes"
                    + " access; set spotdrill.kube.context (or a kubeconfig) so the harness can watch the Deployment");
        }
        try (KubernetesClient client = KubeClientFactory.client(ctx.world(), "the Fargate expectations")) {
            for (SourceRequest r : requests) {
                String name = r.param(DEPLOYMENT);
                if (name == null) {
                    continue;
                }
                String ns = name.substring(0, name.indexOf('/'));
                String n = name.substring(name.indexOf('/') + 1);
                Deployment d;
                try {
                    d = client.apps().deployments().inNamespace(ns).withName(n).get();
                } catch (KubernetesClientException e) {
                    throw new SpotDrillConfigurationException("Deployment " + name + " could not be read ("
                            + e.getMessage() + "); check that the credentials may get, list and watch deployments,"
                            + " pods and nodes");
                }
                if (d == null) {
                    throw new SpotDrillConfigurationException(noSuchDeployment(name));
                }
                String label = r.param(COMPUTE_LABEL);
                Map<String, String> labels = d.getSpec().getTemplate().getMetadata() == null
                                || d.getSpec().getTemplate().getMetadata().getLabels() == null
                        ? Map.of()
                        : new TreeMap<>(d.getSpec().getTemplate().getMetadata().getLabels());
                if (label != null && !labels.containsKey(label)) {
                    throw new SpotDrillConfigurationException("Deployment " + name + " has no " + label
                            + " label in its pod template (its labels: "
                            + labels.entrySet().stream()
                                    .map(e -> e.getKey() + "=" + e.getValue())
                                    .collect(Collectors.joining(", "))
                            + "), so a Spot→Fargate orchestrator cannot move it; label the template (and its"
                            + " nodeSelector) " + label + ": spot, or set computeLabel to the key your orchestrator"
                            + " switches");
                }
            }
        }
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        List<String> deployments = requests.stream()
                .map(r -> r.param(DEPLOYMENT))
                .filter(Objects::nonNull)
                .distinct()
                .toList();
        Set<String> computeLabels = new LinkedHashSet<>();
        Set<String> nodeLabels = new LinkedHashSet<>();
        for (SourceRequest r : requests) {
            if (r.param(COMPUTE_LABEL) != null) {
                computeLabels.add(r.param(COMPUTE_LABEL));
            }
            if (r.param(NODE_LABEL) != null) {
                nodeLabels.add(r.param(NODE_LABEL));
            }
        }
        return FargateProbe.start(ctx.world(), ctx.timeline(), deployments, computeLabels, nodeLabels);
    }

    static String noSuchDeployment(String name) {
        String ns = name.substring(0, name.indexOf('/'));
        String n = name.substring(name.indexOf('/') + 1);
        return "no Deployment " + name + " in the cluster; check the namespace and the name (kubectl get deployment -n "
                + ns + " " + n + ")";
    }
}
