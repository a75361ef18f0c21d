package dev.spotdrill.core.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.internal.Messages;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the nodes a {@code nodes} selector matches and the EC2 instances behind them, from each node's
 * {@code spec.providerID} ({@code aws:///us-east-1a/i-0abc}).
 */
public final class NodeTargets {
    private static final Pattern PROVIDER_ID = Pattern.compile("aws:///([^/]*)/(i-[0-9a-f]+)");

    private NodeTargets() {}

    /**
     * One node that the selector matched.
     *
     * @param name the node name
     * @param providerId its {@code spec.providerID}, empty when it has none
     * @param instanceId the EC2 instance behind it, empty for a node that is not an EC2 instance (Fargate)
     * @param labels the node's labels
     */
    public record MatchedNode(String name, String providerId, Optional<String> instanceId, Map<String, String> labels) {
        public MatchedNode {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }

    /**
     * Parses the selector; bad syntax fails here, before any call.
     *
     * @throws SpotDrillConfigurationException quoting {@code @SpotInterruption(nodes="...")}, the problem and the fix
     */
    public static LabelSelector parse(String selector) {
        try {
            return LabelSelector.parse(selector);
        } catch (IllegalArgumentException e) {
            throw new SpotDrillConfigurationException(Messages.badNodeSelector(selector, e.getMessage()));
        }
    }

    /**
     * The nodes that match, sorted by name.
     *
     * @throws SpotDrillConfigurationException on bad syntax, or when the world has no Kubernetes access
     */
    public static List<MatchedNode> find(World world, String selector) {
        LabelSelector parsed = parse(selector);
        try (KubernetesClient client =
                KubeClientFactory.client(world, Messages.attr("SpotInterruption", "nodes", selector))) {
            return find(client, parsed);
        } catch (KubernetesClientException e) {
            throw new SpotDrillConfigurationException(Messages.attr("SpotInterruption", "nodes", selector)
                    + ": listing the cluster's nodes failed (" + e.getMessage()
                    + "); check spotdrill.kube.context and that the credentials may list nodes");
        }
    }

    /** The nodes that match, listed with the selector's equalities on the server and the rest checked here. */
    public static List<MatchedNode> find(KubernetesClient client, LabelSelector selector) {
        Map<String, String> eq = selector.equalities();
        List<Node> nodes = eq.isEmpty()
                ? client.nodes().list().getItems()
                : client.nodes().withLabels(eq).list().getItems();
        return nodes.stream()
                .filter(n -> selector.matches(n.getMetadata().getLabels()))
                .map(NodeTargets::matched)
                .sorted(Comparator.comparing(MatchedNode::name))
                .toList();
    }

    static MatchedNode matched(Node n) {
        String providerId = n.getSpec() == null || n.getSpec().getProviderID() == null
                ? ""
                : n.getSpec().getProviderID();
        return new MatchedNode(
                n.getMetadata().getName(),
                providerId,
                instanceId(providerId),
                n.getMetadata().getLabels());
    }

    /** The instance id in an AWS provider id, {@code aws:///<zone>/<id>}; empty for another provider. */
    public static Optional<String> instanceId(String providerId) {
        if (providerId == null) {
            return Optional.empty();
        }
        Matcher m = PROVIDER_ID.matcher(providerId);
        return m.matches() ? Optional.of(m.group(2)) : Optional.empty();
    }
}
