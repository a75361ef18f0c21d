package dev.spotdrill.lab.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A Fargate profile of the lab cluster, as EKS has them: a name and up to five selectors, each a namespace and
 * optional pod labels. A pod created in a selector's namespace and carrying all its labels runs on Fargate.
 *
 * @param name the profile's name, for example {@code shop-fargate}
 * @param selectors which pods it takes; at least one, at most five
 */
public record FargateProfileSpec(String name, List<Selector> selectors) {
    private static final Pattern NAME = Pattern.compile("[0-9A-Za-z][0-9A-Za-z_-]{0,99}");

    public FargateProfileSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new SpotDrillConfigurationException("Fargate profile name '" + name + "' is not one EKS accepts;"
                    + " use 1 to 100 letters, digits, '-' and '_', starting with a letter or digit");
        }
        selectors = selectors == null ? List.of() : List.copyOf(selectors);
        if (selectors.isEmpty() || selectors.size() > 5) {
            throw new SpotDrillConfigurationException("Fargate profile " + name + " has " + selectors.size()
                    + " selectors; EKS takes 1 to 5, each a namespace with optional labels");
        }
    }

    /** A profile with one selector. */
    public static FargateProfileSpec of(String name, String namespace, Map<String, String> labels) {
        return new FargateProfileSpec(name, List.of(new Selector(namespace, labels)));
    }

    /** Whether a pod in this namespace with these labels runs on Fargate under this profile. */
    public boolean matches(String namespace, Map<String, String> podLabels) {
        return selectors.stream().anyMatch(s -> s.matches(namespace, podLabels));
    }

    /**
     * One selector of a profile.
     *
     * @param namespace the pods' namespace
     * @param labels labels a pod must all carry; empty for every pod of the namespace
     */
    public record Selector(String namespace, Map<String, String> labels) {
        public Selector {
            WorkloadSpec.checkName("Fargate profile selector namespace", namespace);
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            if (labels.size() > 5) {
                throw new SpotDrillConfigurationException("Fargate profile selector for namespace " + namespace
                        + " has " + labels.size() + " labels; EKS takes at most 5");
            }
        }

        boolean matches(String podNamespace, Map<String, String> podLabels) {
            if (!namespace.equals(podNamespace)) {
                return false;
            }
            Map<String, String> l = podLabels == null ? Map.of() : podLabels;
            return labels.entrySet().stream().allMatch(e -> e.getValue().equals(l.get(e.getKey())));
        }
    }
}
