package dev.spotdrill.core.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Target;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProbePodSpecTest {
    static final Target TARGET =
            new Target("i-0abc1234567890def", "m5.large", "us-east-1a", "ip-10-0-1-17.ec2.internal", Map.of());

    @Test
    void podIsPinnedToTheTargetNodeOnTheHostNetworkAndToleratesEverything() {
        Pod pod = ProbePodSpec.build("chaos", "sd-0123456789ab", TARGET, "example.org/probe:1");

        assertThat(pod.getMetadata().getName()).isEqualTo("spotdrill-imds-sd-0123456789ab-0abc1234567890def");
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("chaos");
        assertThat(pod.getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/name", "spotdrill-imds-probe")
                .containsEntry("spotdrill/run-id", "sd-0123456789ab")
                .containsEntry("spotdrill/instance-id", "i-0abc1234567890def")
                .containsEntry("app.kubernetes.io/managed-by", "spotdrill");

        PodSpec spec = pod.getSpec();
        assertThat(spec.getNodeName()).isEqualTo("ip-10-0-1-17.ec2.internal");
        assertThat(spec.getHostNetwork()).isTrue();
        assertThat(spec.getRestartPolicy()).isEqualTo("Never");
        assertThat(spec.getAutomountServiceAccountToken()).isFalse();
        assertThat(spec.getTerminationGracePeriodSeconds()).isZero();
        assertThat(spec.getTolerations()).hasSize(1);
        Toleration t = spec.getTolerations().get(0);
        assertThat(t.getOperator()).isEqualTo("Exists");
        assertThat(t.getKey()).isNull();
        assertThat(t.getEffect()).isNull();
        assertThat(spec.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(spec.getSecurityContext().getRunAsUser()).isEqualTo(65534L);
        assertThat(spec.getSecurityContext().getRunAsGroup()).isEqualTo(65534L);
        assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    }

    @Test
    void theProbePodIsNotCountedByDrainExpectations() {
        Pod probe = ProbePodSpec.build("chaos", "sd-0123456789ab", TARGET, "example.org/probe:1");
        assertThat(KubeProbe.evictable(probe)).isFalse();
        probe.getMetadata().getLabels().remove(ProbePodSpec.APP_LABEL);
        assertThat(KubeProbe.evictable(probe))
                .as("an unowned pod without the label")
                .isTrue();
    }

    @Test
    void containerIsSmallLockedDownAndRunsTheProbeScript() {
        Pod pod = ProbePodSpec.build("", "sd-1", TARGET, "example.org/probe:1");

        assertThat(pod.getMetadata().getNamespace()).isEqualTo("default");
        assertThat(pod.getSpec().getContainers()).hasSize(1);
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(c.getName()).isEqualTo("imds-probe");
        assertThat(c.getImage()).isEqualTo("example.org/probe:1");
        assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(c.getCommand()).hasSize(3).startsWith("/bin/sh", "-c");
        assertThat(c.getCommand().get(2)).isEqualTo(ProbePodSpec.script());
        assertThat(c.getResources().getRequests())
                .containsEntry("cpu", new Quantity("10m"))
                .containsEntry("memory", new Quantity("16Mi"));
        assertThat(c.getResources().getLimits())
                .containsEntry("cpu", new Quantity("100m"))
                .containsEntry("memory", new Quantity("64Mi"));
        assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(c.getSecurityContext().getPrivileged()).isNull();
    }

    @Test
    void scriptResourceSpeaksImdsV2AndPrintsOneJsonLinePerChange() {
        String script = ProbePodSpec.script();

        assertThat(script)
                .contains("X-aws-ec2-metadata-token-ttl-seconds: 21600")
                .contains("X-aws-ec2-metadata-token: $token")
                .contains("-X PUT")
                .contains("/latest/api/token")
                .contains("/latest/meta-data/spot/instance-action")
                .contains("/latest/meta-data/events/recommendations/rebalance")
                .contains("\"401\"")
                .contains("date -u")
                .contains("{\"path\":\"%s\",\"status\":%s,\"body\":\"%s\",\"at\":\"%s\"}")
                .contains("sleep \"$interval\"")
                .doesNotContain("\r");
    }

    @Test
    void podNameIsADnsLabelEvenForOddRunIds() {
        assertThat(ProbePodSpec.podName("Run_ID.42", "i-0ABC"))
                .isEqualTo("spotdrill-imds-run-id-42-0abc")
                .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        String longName = ProbePodSpec.podName("x".repeat(100) + "-", "i-0abc1234567890def");
        assertThat(longName)
                .hasSizeLessThanOrEqualTo(63)
                .endsWith("-0abc1234567890def")
                .startsWith("spotdrill-imds-x");
        assertThatThrownBy(() -> ProbePodSpec.podName(" ", "i-1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("runId must not be blank");
    }

    @Test
    void targetWithoutANodeIsRefusedWithTheFix() {
        Target noNode = new Target("i-0abc", "m5.large", "us-east-1a", null, Map.of());

        assertThatThrownBy(() -> ProbePodSpec.build("default", "sd-1", noNode, "img"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("spotdrill.imds.via=probe-pod: target i-0abc (m5.large, us-east-1a) backs no Kubernetes"
                        + " node, so there is no node to pin the IMDS probe pod to; select targets with"
                        + " @SpotInterruption(nodes=...) or use spotdrill.imds.via=direct");
    }

    @Test
    void badImageOrNamespaceIsRefusedWithTheValueAndTheFix() {
        assertThatThrownBy(() -> ProbePodSpec.build("default", "sd-1", TARGET, "alpine 3"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("spotdrill.imds.probeImage=\"alpine 3\": not an image reference; set an image with a"
                        + " POSIX sh and curl, for example public.ecr.aws/amazonlinux/amazonlinux:2023");
        assertThatThrownBy(() -> ProbePodSpec.build("Chaos_NS", "sd-1", TARGET, "img"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("IMDS probe pod namespace \"Chaos_NS\" is not a Kubernetes namespace name")
                .hasMessageEndingWith("use an existing namespace such as \"default\"");
    }

    @Test
    void imageComesFromTheConfigWithAPublicDefault() {
        assertThat(ProbePodSpec.image(SpotDrillConfig.of(Map.of())))
                .isEqualTo("public.ecr.aws/amazonlinux/amazonlinux:2023");
        assertThat(ProbePodSpec.image(
                        SpotDrillConfig.of(Map.of("spotdrill.imds.probeImage", "curlimages/curl:8.11.1"))))
                .isEqualTo("curlimages/curl:8.11.1");
        assertThatThrownBy(() -> ProbePodSpec.image(
                        SpotDrillConfig.of(Map.of("spotdrill.imds.probeImage", "curlimages/curl :8"))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("\"curlimages/curl :8\"");
    }
}
