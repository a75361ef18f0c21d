package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Deployment of the lab cluster, with an optional PodDisruptionBudget.
 *
 * @param namespace its namespace
 * @param name its name
 * @param replicas the desired number of pods, 0 or more
 * @param nodeSelector labels a node must carry for its pods
 * @param tolerations the pods' tolerations
 * @param pdb its PodDisruptionBudget, named {@code <name>-pdb}, if any
 * @param readinessDelay world time from scheduling until a pod turns Ready; default PT5S
 * @param labels labels of the pod template besides {@code app: <name>} (the Deployment's selector), for example
 *     {@code compute-type: spot}
 */
public record WorkloadSpec(
        String namespace,
        String name,
        int replicas,
        Map<String, String> nodeSelector,
        List<TolerationSpec> tolerations,
        Optional<PdbSpec> pdb,
        Duration readinessDelay,
        Map<String, String> labels) {

    /** The readiness delay when a scenario gives none. */
    public static final Duration DEFAULT_READINESS_DELAY = Duration.ofSeconds(5);

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?");

    public WorkloadSpec {
        namespace = namespace == null || namespace.isBlank() ? "default" : namespace;
        checkName("workload name", name);
        checkName("workload " + name + " namespace", namespace);
        if (replicas < 0) {
            throw new SpotDrillConfigurationException(
                    "workload " + namespace + "/" + name + ": replicas is " + replicas + "; use 0 or more");
        }
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
        pdb = pdb == null ? Optional.empty() : pdb;
        readinessDelay = readinessDelay == null ? DEFAULT_READINESS_DELAY : readinessDelay;
        if (readinessDelay.isNegative()) {
            throw new SpotDrillConfigurationException("workload " + namespace + "/" + name + ": readinessDelay is "
                    + readinessDelay + "; use PT0S or more");
        }
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        if (labels.containsKey("app") || labels.containsKey("pod-template-hash")) {
            throw new SpotDrillConfigurationException("workload " + namespace + "/" + name
                    + ": labels must not set app or pod-template-hash (the lab sets them); use other keys");
        }
    }

    /** A workload with no selector, tolerations or budget, and the default readiness delay. */
    public static WorkloadSpec of(String namespace, String name, int replicas) {
        return new WorkloadSpec(namespace, name, replicas, Map.of(), List.of(), Optional.empty(), null, Map.of());
    }

    /** This workload with the given node selector. */
    public WorkloadSpec withNodeSelector(Map<String, String> selector) {
        return new WorkloadSpec(namespace, name, replicas, selector, tolerations, pdb, readinessDelay, labels);
    }

    /** This workload with the given tolerations. */
    public WorkloadSpec withTolerations(List<TolerationSpec> newTolerations) {
        return new WorkloadSpec(namespace, name, replicas, nodeSelector, newTolerations, pdb, readinessDelay, labels);
    }

    /** This workload with the given budget. */
    public WorkloadSpec withPdb(PdbSpec budget) {
        return new WorkloadSpec(
                namespace, name, replicas, nodeSelector, tolerations, Optional.of(budget), readinessDelay, labels);
    }

    /** This workload with the given readiness delay (world time). */
    public WorkloadSpec withReadinessDelay(Duration delay) {
        return new WorkloadSpec(namespace, name, replicas, nodeSelector, tolerations, pdb, delay, labels);
    }

    /** This workload with the given pod template labels (besides {@code app}). */
    public WorkloadSpec withLabels(Map<String, String> newLabels) {
        return new WorkloadSpec(namespace, name, replicas, nodeSelector, tolerations, pdb, readinessDelay, newLabels);
    }

    static void checkName(String what, String name) {
        if (name == null || !DNS_LABEL.matcher(name).matches()) {
            throw new SpotDrillConfigurationException(
                    what + " '" + name + "' is not a DNS label; use at most 52 lower-case letters, digits and '-'");
        }
    }
}
