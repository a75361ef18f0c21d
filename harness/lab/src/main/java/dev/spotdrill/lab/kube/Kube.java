package dev.spotdrill.lab.kube;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small Kubernetes rules the lab needs: readiness, ownership, taints and tolerations, label selectors. */
final class Kube {
    static final String MIRROR_ANNOTATION = "kubernetes.io/config.mirror";
    static final String READINESS_DELAY_ANNOTATION = "lab.spotdrill.dev/readiness-delay";

    private Kube() {}

    static boolean isPodReady(Pod pod) {
        return condition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    static Optional<PodCondition> condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()))
                .findFirst();
    }

    static boolean isNodeReady(Node node) {
        if (node.getStatus() == null || node.getStatus().getConditions() == null) {
            return false;
        }
        for (NodeCondition c : node.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }

    static Optional<OwnerReference> controller(Pod pod) {
        List<OwnerReference> refs = pod.getMetadata().getOwnerReferences();
        if (refs == null) {
            return Optional.empty();
        }
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst();
    }

    static boolean ownedBy(Pod pod, String kind) {
        return controller(pod).map(r -> kind.equals(r.getKind())).orElse(false);
    }

    static boolean isMirror(Pod pod) {
        Map<String, String> a = pod.getMetadata().getAnnotations();
        return a != null && a.containsKey(MIRROR_ANNOTATION);
    }

    static String nodeName(Pod pod) {
        return pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    }

    static boolean tolerates(List<Toleration> tolerations, Taint taint) {
        if (tolerations == null) {
            return false;
        }
        for (Toleration t : tolerations) {
            String effect = t.getEffect() == null ? "" : t.getEffect();
            if (!effect.isEmpty() && !effect.equals(taint.getEffect())) {
                continue;
            }
            String key = t.getKey() == null ? "" : t.getKey();
            String op = t.getOperator() == null ? "Equal" : t.getOperator();
            if (key.isEmpty() && "Exists".equals(op)) {
                return true;
            }
            if (!key.equals(taint.getKey())) {
                continue;
            }
            if ("Exists".equals(op)) {
                return true;
            }
            String value = t.getValue() == null ? "" : t.getValue();
            String taintValue = taint.getValue() == null ? "" : taint.getValue();
            if (value.equals(taintValue)) {
                return true;
            }
        }
        return false;
    }

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(l.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = l.get(r.getKey());
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                boolean ok =
                        switch (r.getOperator()) {
                            case "In" -> v != null && values.contains(v);
                            case "NotIn" -> v == null || !values.contains(v);
                            case "Exists" -> v != null;
                            case "DoesNotExist" -> v == null;
                            default -> false;
                        };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean selectorMatches(Map<String, String> nodeSelector, Map<String, String> labels) {
        if (nodeSelector == null || nodeSelector.isEmpty()) {
            return true;
        }
        Map<String, String> l = labels == null ? Map.of() : labels;
        return nodeSelector.entrySet().stream().allMatch(e -> e.getValue().equals(l.get(e.getKey())));
    }

    static String sha256Hex(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The node's InternalIP address, or null. */
    static String internalIp(io.fabric8.kubernetes.api.model.Node node) {
        if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
            return null;
        }
        return node.getStatus().getAddresses().stream()
                .filter(a -> "InternalIP".equals(a.getType()))
                .map(io.fabric8.kubernetes.api.model.NodeAddress::getAddress)
                .findFirst()
                .orElse(null);
    }
}
