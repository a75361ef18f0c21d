package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The lab cluster's Fargate, modelled as EKS runs it: profiles say which pods run on Fargate; such a pod is not
 * scheduled onto an EC2 node but, after a startup delay, gets a virtual node of its own ({@code fargate-ip-…},
 * labelled and tainted {@code eks.amazonaws.com/compute-type=fargate}), which goes away with the pod.
 *
 * <pre>
 * fargate:
 *   startupDelay: PT60S          # world time from the pod's creation to its node; real pods take 40-90 s
 *   profiles:
 *     - name: shop-fargate
 *       selectors:
 *         - { namespace: shop, labels: { compute-type: fargate } }
 * </pre>
 *
 * @param startupDelay world time from a Fargate pod's creation until it is bound to its virtual node
 * @param profiles the Fargate profiles; none means no pod runs on Fargate
 */
public record FargateSpec(Duration startupDelay, List<FargateProfileSpec> profiles) {
    /** The startup delay when the scenario gives none. */
    public static final Duration DEFAULT_STARTUP_DELAY = Duration.ofSeconds(60);

    public FargateSpec {
        startupDelay = startupDelay == null ? DEFAULT_STARTUP_DELAY : startupDelay;
        if (startupDelay.isNegative()) {
            throw new SpotDrillConfigurationException(
                    "fargate.startupDelay is " + startupDelay + "; use PT0S or more, e.g. PT60S");
        }
        profiles = profiles == null ? List.of() : List.copyOf(profiles);
        Set<String> names = new HashSet<>();
        for (FargateProfileSpec p : profiles) {
            if (!names.add(p.name())) {
                throw new SpotDrillConfigurationException(
                        "Fargate profile '" + p.name() + "' is defined twice; name each profile once");
            }
        }
    }

    /** No Fargate profile: every pod goes to EC2 nodes. */
    public static FargateSpec none() {
        return new FargateSpec(null, List.of());
    }

    /** This spec with another startup delay. */
    public FargateSpec withStartupDelay(Duration delay) {
        return new FargateSpec(delay, profiles);
    }

    /** The profile a pod in this namespace with these labels runs under, if any (the first that matches). */
    public java.util.Optional<FargateProfileSpec> profileFor(String namespace, java.util.Map<String, String> labels) {
        return profiles.stream().filter(p -> p.matches(namespace, labels)).findFirst();
    }

    /**
     * Reads a scenario's {@code fargate:} section.
     *
     * @throws SpotDrillConfigurationException naming the path, the value and the fix
     */
    static FargateSpec fromYaml(JsonNode root) {
        JsonNode f = root.path("fargate");
        if (f.isMissingNode() || f.isNull()) {
            return none();
        }
        if (!f.isObject()) {
            throw new SpotDrillConfigurationException(
                    "fargate must be a mapping with startupDelay and profiles, was " + f);
        }
        f.fieldNames().forEachRemaining(k -> {
            if (!Set.of("startupDelay", "profiles").contains(k)) {
                throw new SpotDrillConfigurationException(
                        "fargate has the unknown key '" + k + "'; use startupDelay and profiles");
            }
        });
        Duration delay = ClusterSpec.duration(f, "startupDelay", null, "fargate");
        List<FargateProfileSpec> profiles = new ArrayList<>();
        JsonNode ps = ClusterSpec.list(f, "profiles");
        for (int i = 0; i < ps.size(); i++) {
            String at = "fargate.profiles[" + i + "]";
            JsonNode p = ps.get(i);
            List<FargateProfileSpec.Selector> selectors = new ArrayList<>();
            JsonNode ss = ClusterSpec.list(p, "selectors");
            for (int k = 0; k < ss.size(); k++) {
                String sat = at + ".selectors[" + k + "]";
                try {
                    selectors.add(new FargateProfileSpec.Selector(
                            ClusterSpec.text(ss.get(k), "namespace", null, sat),
                            ClusterSpec.stringMap(ss.get(k), "labels", sat)));
                } catch (SpotDrillConfigurationException e) {
                    throw e.getMessage().startsWith(sat)
                            ? e
                            : new SpotDrillConfigurationException(sat + ": " + e.getMessage());
                }
            }
            try {
                profiles.add(new FargateProfileSpec(ClusterSpec.text(p, "name", null, at), selectors));
            } catch (SpotDrillConfigurationException e) {
                throw e.getMessage().startsWith(at)
                        ? e
                        : new SpotDrillConfigurationException(at + ": " + e.getMessage());
            }
        }
        return new FargateSpec(delay, profiles);
    }
}
