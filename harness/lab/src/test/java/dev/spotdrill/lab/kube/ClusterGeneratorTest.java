package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.lab.Scenario;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterGeneratorTest {

    @Test
    void generatesSpotAndOnDemandNodesOfSeveralTypesAndZonesAndExactlyThePodsAsked() {
        ClusterSpec spec = ClusterGenerator.generate(50, 500, 1);

        assertThat(spec.nodes()).hasSize(50);
        assertThat(spec.nodes()).extracting(NodeSpec::capacityType).contains(CapacityType.SPOT, CapacityType.ON_DEMAND);
        assertThat(spec.nodes().stream().map(NodeSpec::instanceType).distinct().count())
                .isGreaterThanOrEqualTo(3);
        assertThat(spec.nodes().stream().map(NodeSpec::zone).distinct())
                .containsExactlyInAnyOrder("us-east-1a", "us-east-1b", "us-east-1c");
        int deploymentPods =
                spec.workloads().stream().mapToInt(WorkloadSpec::replicas).sum();
        assertThat(deploymentPods + spec.daemonSets().size() * 50).isEqualTo(500);
        assertThat(spec.daemonSets()).hasSize(2);
        assertThat(spec.workloads()).allSatisfy(w -> assertThat(w.pdb()).isPresent());
        assertThat(ClusterGenerator.generate(50, 500, 1)).isEqualTo(spec);
        assertThat(ClusterGenerator.generate(50, 500, 2)).isNotEqualTo(spec);
    }

    @Test
    void aScenarioGeneratesItsInstancesNodesAndWorkloads() {
        Scenario s = Scenario.parse("""
                region: us-east-1
                account: "111122223333"
                generate: {nodes: 12, pods: 60, seed: 3}
                """, "gen.yaml");

        assertThat(s.instances()).hasSize(12);
        assertThat(s.instances()).allSatisfy(i -> assertThat(i.node()).isPresent());
        ClusterSpec spec = ClusterSpec.fromYaml(s.raw());
        assertThat(spec.nodes()).hasSize(12);
        assertThat(spec.workloads().stream().mapToInt(WorkloadSpec::replicas).sum() + 2 * 12)
                .isEqualTo(60);
        assertThat(spec).isEqualTo(ClusterGenerator.generate(12, 60, 3));
    }

    @Test
    void badGeneratorSettingsAreRefusedWithTheFieldAndTheFix() {
        assertThatThrownBy(() -> ClusterGenerator.generate(0, 10, 1))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("generate.nodes is 0; use 1 to 20000 nodes, e.g. nodes: 50");
        assertThatThrownBy(() -> Scenario.parse(
                        "region: us-east-1\naccount: \"111122223333\"\ngenerate: {nodes: 5, pod: 10}\n", "bad.yaml"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("generate.pod is not a generator field; use only nodes, pods and seed");
        assertThatThrownBy(() -> Scenario.parse(
                        "region: us-east-1\naccount: \"111122223333\"\ngenerate: {nodes: five}\n", "bad.yaml"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("generate.nodes is \"five\"; use a whole number of 0 or more, e.g. nodes: 50");
        assertThatThrownBy(() ->
                        Scenario.parse("region: us-east-1\naccount: \"111122223333\"\ngenerate: 50\n", "bad.yaml"))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("generate is 50; write it as a mapping");
    }

    /**
     * The generated 50-node, 500-pod cluster turns Ready (every pod Ready, every Deployment's status, every budget
     * satisfied), and each pod weighs 8–12 KB on the API server.
     */
    @Test
    void aGeneratedClusterTurnsReadyWithPodsShapedLikeEksPods() throws Exception {
        ClusterSpec spec =
                ClusterGenerator.generate(50, 500, 1).withTerminationHandler(TerminationHandlerSpec.disabled());
        try (LabCluster cluster = LabCluster.start(spec, WorldClock.paced(Instant.now(), 60), id -> null)) {
            await().atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        List<Pod> pods =
                                cluster.client().pods().inAnyNamespace().list().getItems();
                        assertThat(pods).hasSize(500);
                        assertThat(pods).allSatisfy(p -> assertThat(Kube.isPodReady(p))
                                .as(p.getMetadata().getName())
                                .isTrue());
                    });
            // the Deployments' status follows their pods
            await().atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(cluster.client()
                                    .apps()
                                    .deployments()
                                    .inAnyNamespace()
                                    .list()
                                    .getItems())
                            .allSatisfy(d -> assertThat(d.getStatus().getReadyReplicas())
                                    .as(d.getMetadata().getName())
                                    .isEqualTo(d.getSpec().getReplicas())));
            assertThat(cluster.client()
                            .policy()
                            .v1()
                            .podDisruptionBudget()
                            .inAnyNamespace()
                            .list()
                            .getItems())
                    .hasSize(spec.workloads().size());
            assertThat(cluster.unsatisfiedBudgets())
                    .as("budgets short of healthy pods")
                    .isEmpty();
            // a budget that asks for more healthy pods than its Deployment has is reported
            var first = spec.workloads().get(0);
            cluster.client()
                    .policy()
                    .v1()
                    .podDisruptionBudget()
                    .inNamespace(first.namespace())
                    .resource(new io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder()
                            .withNewMetadata()
                            .withName("too-demanding")
                            .endMetadata()
                            .withNewSpec()
                            .withMinAvailable(new io.fabric8.kubernetes.api.model.IntOrString(first.replicas() + 1))
                            .withNewSelector()
                            .withMatchLabels(java.util.Map.of(LabController.APP_LABEL, first.name()))
                            .endSelector()
                            .endSpec()
                            .build())
                    .create();
            assertThat(cluster.unsatisfiedBudgets()).containsExactly(first.namespace() + "/too-demanding");

            HttpResponse<String> res = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(cluster.masterUrl().resolve("/api/v1/pods"))
                                    .timeout(Duration.ofSeconds(30))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            List<Integer> sizes = new ArrayList<>();
            for (JsonNode item : new ObjectMapper().readTree(res.body()).path("items")) {
                sizes.add(item.toString().length());
                assertThat(item.path("metadata").path("managedFields")).hasSizeGreaterThanOrEqualTo(2);
                assertThat(item.path("spec")
                                .path("containers")
                                .get(0)
                                .path("env")
                                .size())
                        .isBetween(5, 11);
                assertThat(item.path("spec")
                                .path("volumes")
                                .get(0)
                                .path("projected")
                                .path("sources"))
                        .anySatisfy(src ->
                                assertThat(src.has("serviceAccountToken")).isTrue());
                assertThat(item.path("status").path("containerStatuses")).isNotEmpty();
            }
            assertThat(sizes).hasSize(500).allSatisfy(n -> assertThat(n).isBetween(8 * 1024, 12 * 1024));
        }
    }

    @Test
    void tooFewPodsForDaemonSetsGiveNoDaemonSets() {
        ClusterSpec spec = ClusterGenerator.generate(10, 5, 1);
        assertThat(spec.daemonSets()).isEmpty();
        assertThat(spec.workloads().stream().mapToInt(WorkloadSpec::replicas).sum())
                .isEqualTo(5);
        assertThat(spec.nodes()).allSatisfy(n -> assertThat(n.labels()).containsKey("team"));
    }
}
