package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lab's API server on the wire: discovery, CRUD, patches, errors, Tables and subresources. */
class KubeApiServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    private final ApiServerFixture api = new ApiServerFixture();

    @AfterEach
    void close() {
        api.close();
    }

    private Node node(String name) {
        return api.client
                .nodes()
                .resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .addToLabels("workload", "checkout")
                        .endMetadata()
                        .withNewSpec()
                        .withProviderID("aws:///us-east-1a/i-0c0ffee0000000a01")
                        .endSpec()
                        .withNewStatus()
                        .addNewCondition()
                        .withType("Ready")
                        .withStatus("True")
                        .endCondition()
                        .addNewAddress()
                        .withType("InternalIP")
                        .withAddress("10.0.1.11")
                        .endAddress()
                        .withNewNodeInfo()
                        .withKubeletVersion("v1.30.0-eks-lab")
                        .endNodeInfo()
                        .endStatus()
                        .build())
                .create();
    }

    private static List<String> names(JsonNode list) {
        return StreamSupport.stream(list.path("items").spliterator(), false)
                .map(i -> i.at("/metadata/name").asText())
                .toList();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void discoveryListsEveryResourceWithVerbsShortNamesAndTheEvictionSubresourceKubectlDrainLooksFor()
            throws Exception {
        JsonNode core = json(api.get("api/v1", null));
        assertThat(core.path("kind").asText()).isEqualTo("APIResourceList");
        JsonNode eviction = StreamSupport.stream(core.path("resources").spliterator(), false)
                .filter(r -> r.path("name").asText().equals("pods/eviction"))
                .findFirst()
                .orElseThrow();
        assertThat(eviction.path("group").asText()).isEqualTo("policy");
        assertThat(eviction.path("version").asText()).isEqualTo("v1");
        assertThat(eviction.path("kind").asText()).isEqualTo("Eviction");

        List<APIResource> apps = api.client.getApiResources("apps/v1").getResources();
        APIResource deployments = apps.stream()
                .filter(r -> r.getName().equals("deployments"))
                .findFirst()
                .orElseThrow();
        assertThat(deployments.getShortNames()).containsExactly("deploy");
        assertThat(deployments.getVerbs()).contains("get", "list", "watch", "patch", "create", "delete");
        assertThat(deployments.getNamespaced()).isTrue();
        assertThat(apps).extracting(APIResource::getName).contains("deployments/scale", "daemonsets", "replicasets");
        assertThat(api.client.getApiGroups().getGroups())
                .extracting(g -> g.getName())
                .containsExactly("apps", "policy", "batch", "coordination.k8s.io", "authorization.k8s.io");
        assertThat(api.client.getApiResources("policy/v1").getResources())
                .anyMatch(r -> r.getName().equals("poddisruptionbudgets")
                        && r.getShortNames().contains("pdb"));
        assertThat(api.client.getKubernetesVersion().getMinor()).isEqualTo("32");
        assertThat(api.get("apis/networking.k8s.io/v1", null).statusCode()).isEqualTo(404);
        assertThat(json(api.get("apis/example.com/v1/widgets", null))
                        .path("message")
                        .asText())
                .isEqualTo("the server could not find the requested resource");
    }

    @Test
    void aListWithASpecNodeNameFieldSelectorReturnsOnlyThatNodesPods() {
        api.pod("shop", "p1", "node-1", "checkout");
        api.pod("shop", "p2", "node-2", "checkout");
        api.pod("kube-system", "ds-1", "node-1", "aws-node");

        List<Pod> onNode1 = api.client
                .pods()
                .inAnyNamespace()
                .withField("spec.nodeName", "node-1")
                .list()
                .getItems();

        assertThat(onNode1).extracting(p -> p.getMetadata().getName()).containsExactly("ds-1", "p1");
        assertThat(api.client
                        .pods()
                        .inNamespace("shop")
                        .withField("spec.nodeName", "node-1")
                        .withLabel("app", "checkout")
                        .list()
                        .getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactly("p1");
    }

    @Test
    void strategicMergePatchCordonsAndTaintsAndNullRemovesKeys() {
        node("n1");

        Node cordoned = api.client
                .nodes()
                .withName("n1")
                .patch(
                        PatchContext.of(PatchType.STRATEGIC_MERGE),
                        "{\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":\"k\",\"value\":\"v\","
                                + "\"effect\":\"NoSchedule\"}]},\"metadata\":{\"labels\":{\"workload\":null}}}");

        assertThat(cordoned.getSpec().getUnschedulable()).isTrue();
        assertThat(cordoned.getSpec().getTaints()).singleElement().satisfies(t -> assertThat(t.getKey())
                .isEqualTo("k"));
        assertThat(cordoned.getMetadata().getLabels()).doesNotContainKey("workload");
        Node merged = api.client
                .nodes()
                .withName("n1")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"unschedulable\":null}}");
        assertThat(merged.getSpec().getUnschedulable()).isNull();
        assertThat(api.client.nodes().withName("n1").get().getSpec().getTaints())
                .hasSize(1);
    }

    @Test
    void serverSideApplyIsRefusedWith415SayingWhatToUseInstead() throws Exception {
        node("n1");

        HttpResponse<String> r = api.send(
                "PATCH",
                "api/v1/nodes/n1?fieldManager=me",
                "application/apply-patch+yaml",
                "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n");

        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(json(r).path("reason").asText()).isEqualTo("UnsupportedMediaType");
        assertThat(json(r).path("message").asText())
                .isEqualTo("the lab's API server does not support server-side apply (application/apply-patch+yaml);"
                        + " use kubectl apply without --server-side, or a strategic merge, merge or JSON patch");
    }

    @Test
    void writesFailAsTheRealServerFailsThem() {
        node("n1");
        Node stale = api.client.nodes().withName("n1").get();
        api.client.nodes().withName("n1").edit(n -> {
            n.getMetadata().getLabels().put("x", "1");
            return n;
        });

        stale.getMetadata().getLabels().put("y", "2");
        assertThatThrownBy(() -> api.client.nodes().resource(stale).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
                        .isEqualTo(409))
                .hasMessageContaining("Operation cannot be fulfilled on nodes \"n1\": the object has been modified;"
                        + " please apply your changes to the latest version and try again");
        assertThatThrownBy(() -> node("n1"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
                        .isEqualTo(409))
                .hasMessageContaining("nodes \"n1\" already exists");
        assertThatThrownBy(() -> node("Not_A_Name"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
                        .isEqualTo(422))
                .hasMessageContaining("metadata.name: Invalid value: \"Not_A_Name\": a lowercase RFC 1123 subdomain");
        assertThatThrownBy(() -> api.client
                        .apps()
                        .deployments()
                        .inNamespace("shop")
                        .withName("gone")
                        .scale(2))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
                        .isEqualTo(404))
                .hasMessageContaining("deployments.apps \"gone\" not found");
    }

    @Test
    void statusAndScaleSubresourcesWriteOnlyTheirPart() {
        Deployment d = api.client
                .apps()
                .deployments()
                .inNamespace("shop")
                .resource(new DeploymentBuilder()
                        .withNewMetadata()
                        .withName("checkout")
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(3)
                        .withNewSelector()
                        .addToMatchLabels("app", "checkout")
                        .endSelector()
                        .endSpec()
                        .build())
                .create();
        assertThat(d.getMetadata().getGeneration()).isEqualTo(1);

        api.client.apps().deployments().inNamespace("shop").withName("checkout").editStatus(x -> {
            x.getSpec().setReplicas(9); // ignored: the status subresource writes only status
            x.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                    .withReadyReplicas(3)
                    .build());
            return x;
        });
        Deployment scaled = api.client
                .apps()
                .deployments()
                .inNamespace("shop")
                .withName("checkout")
                .scale(5);

        Deployment now = api.client
                .apps()
                .deployments()
                .inNamespace("shop")
                .withName("checkout")
                .get();
        assertThat(now.getSpec().getReplicas()).isEqualTo(5);
        assertThat(now.getStatus().getReadyReplicas()).isEqualTo(3);
        assertThat(now.getMetadata().getGeneration())
                .as("the spec changed once")
                .isEqualTo(2);
        assertThat(scaled).isNotNull();
    }

    @Test
    void kubectlGetAsksForTablesAndGetsTheRealColumns() throws Exception {
        node("n1");
        api.client.nodes().withName("n1").edit(n -> {
            n.getSpec().setUnschedulable(true);
            return n;
        });

        JsonNode table = json(api.get("api/v1/nodes?limit=500", TABLE));

        assertThat(table.path("kind").asText()).isEqualTo("Table");
        assertThat(table.path("columnDefinitions").findValuesAsText("name"))
                .containsExactly(
                        "Name",
                        "Status",
                        "Roles",
                        "Age",
                        "Version",
                        "Internal-IP",
                        "External-IP",
                        "OS-Image",
                        "Kernel-Version",
                        "Container-Runtime");
        JsonNode cells = table.at("/rows/0/cells");
        assertThat(cells.get(0).asText()).isEqualTo("n1");
        assertThat(cells.get(1).asText()).isEqualTo("Ready,SchedulingDisabled");
        assertThat(cells.get(2).asText()).isEqualTo("<none>");
        assertThat(cells.get(5).asText()).isEqualTo("10.0.1.11");
        assertThat(table.at("/rows/0/object/kind").asText()).isEqualTo("PartialObjectMetadata");
        assertThat(table.at("/rows/0/object/metadata/labels/workload").asText()).isEqualTo("checkout");
        assertThat(Tables.humanDuration(java.time.Duration.ofSeconds(200))).isEqualTo("3m20s");
        assertThat(Tables.humanDuration(java.time.Duration.ofHours(50))).isEqualTo("2d2h");
    }

    @Test
    void listsArePagedWithLimitAndContinue() throws Exception {
        for (int i = 0; i < 5; i++) {
            api.pod("shop", "p" + i, "node-1", "checkout");
        }

        JsonNode first = json(api.get("api/v1/namespaces/shop/pods?limit=2", null));
        String token = first.at("/metadata/continue").asText();
        JsonNode second = json(api.get("api/v1/namespaces/shop/pods?limit=2&continue=" + token, null));
        JsonNode last = json(api.get(
                "api/v1/namespaces/shop/pods?limit=2&continue="
                        + second.at("/metadata/continue").asText(),
                null));

        assertThat(names(first)).containsExactly("p0", "p1");
        assertThat(first.at("/metadata/remainingItemCount").asInt()).isEqualTo(3);
        assertThat(names(second)).containsExactly("p2", "p3");
        assertThat(names(last)).containsExactly("p4");
        assertThat(last.at("/metadata").has("continue")).isFalse();
        assertThat(api.client.pods().inNamespace("shop").list().getItems()).hasSize(5);
    }

    @Test
    void deletingAnOwnerDeletesWhatItOwnsAndGenerateNameGetsASuffix() {
        Deployment d = api.client
                .apps()
                .deployments()
                .inNamespace("shop")
                .resource(new DeploymentBuilder()
                        .withNewMetadata()
                        .withName("cart")
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(1)
                        .endSpec()
                        .build())
                .create();
        Pod owned = api.client
                .pods()
                .inNamespace("shop")
                .resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                        .withNewMetadata()
                        .withGenerateName("cart-")
                        .addNewOwnerReference()
                        .withApiVersion("apps/v1")
                        .withKind("Deployment")
                        .withName("cart")
                        .withUid(d.getMetadata().getUid())
                        .withController(true)
                        .endOwnerReference()
                        .endMetadata()
                        .build())
                .create();
        assertThat(owned.getMetadata().getName()).matches("cart-[a-z0-9]{5}");
        assertThat(owned.getStatus().getPhase()).isEqualTo("Pending");

        api.client.apps().deployments().inNamespace("shop").withName("cart").delete();

        assertThat(api.client.pods().inNamespace("shop").list().getItems()).isEmpty();
        assertThat(api.client.namespaces().withName("shop").get().getStatus().getPhase())
                .as("a namespace is created on first use")
                .isEqualTo("Active");
    }

    @Test
    void podLogsArePlainTextAndNeedAScheduledPodAndAValidContainer() throws Exception {
        api.pod("shop", "p1", "node-1", "checkout");
        api.pod("shop", "p2", null, "checkout");
        api.server.appendLog("shop", "p1", "job finished: 3 types blacklisted");

        String log = api.client.pods().inNamespace("shop").withName("p1").getLog();

        assertThat(log)
                .startsWith(
                        "spotdrill lab: container checkout (public.ecr.aws/lab/checkout:1.0) started on node node-1\n")
                .endsWith("job finished: 3 types blacklisted\n");
        assertThat(api.get("api/v1/namespaces/shop/pods/p1/log?tailLines=1", null)
                        .body())
                .isEqualTo("job finished: 3 types blacklisted\n");
        assertThat(json(api.get("api/v1/namespaces/shop/pods/p2/log", null))
                        .path("message")
                        .asText())
                .isEqualTo("container \"checkout\" in pod \"p2\" is waiting to start: ContainerCreating");
        assertThat(json(api.get("api/v1/namespaces/shop/pods/p1/log?container=nope", null))
                        .path("message")
                        .asText())
                .isEqualTo("container nope is not valid for pod p1; its containers are [checkout]");
    }
}
