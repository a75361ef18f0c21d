package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl against a lab started by the test, through the kubeconfig {@link LabClientFiles} writes: reads,
 * field selectors, describe, cordon, taint, drain through the eviction API (refused by the checkout PDB where it
 * must be), uncordon and events. Each command's exit code and output are asserted.
 */
class KubectlCliTest {
    private static final String N1 = "ip-10-0-1-11.ec2.internal";
    private static final String N2 = "ip-10-0-2-12.ec2.internal";
    private static final String N3 = "ip-10-0-2-13.ec2.internal";
    private static final String CART_NODE = "ip-10-0-1-14.ec2.internal";

    @TempDir
    Path dir;

    private SpotLab lab;
    private LabClientFiles files;
    private KubernetesClient api;

    @BeforeEach
    void start() {
        Cli.require("kubectl", "install kubectl (Debian: apt-get install kubernetes-client)");
        lab = SpotLab.start(LabOptions.builder().pace(60).build());
        files = LabClientFiles.write(lab, dir.resolve("client"));
        api = lab.cluster().orElseThrow().client();
    }

    @AfterEach
    void close() {
        if (lab != null) {
            lab.close();
        }
    }

    private Cli.Result kubectl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of("kubectl", "--cache-dir", dir.resolve("kube-cache").toString()));
        cmd.addAll(List.of(args));
        return Cli.run(
                Map.of("KUBECONFIG", files.kubeconfig().toString(), "HOME", dir.toString()),
                dir,
                Duration.ofSeconds(60),
                cmd.toArray(String[]::new));
    }

    private static List<String> rows(Cli.Result r) {
        return r.out().lines().skip(1).toList();
    }

    private List<String> evictablePodsOn(String node) {
        return api.pods().inAnyNamespace().withField("spec.nodeName", node).list().getItems().stream()
                .filter(p ->
                        !p.getMetadata().getOwnerReferences().get(0).getKind().equals("DaemonSet"))
                .map(p -> p.getMetadata().getName())
                .toList();
    }

    @Test
    void kubectlReadsTheLabsClusterWithSelectorsTablesAndDescribe() throws Exception {
        Cli.Result version = kubectl("version");
        assertThat(version.exit()).as("%s", version).isZero();
        assertThat(version.out()).contains("Server Version: v1.32.0-spotdrill-lab");

        Cli.Result nodes = kubectl("get", "nodes", "-l", "workload=checkout", "-o", "wide");
        assertThat(nodes.exit()).as("%s", nodes).isZero();
        assertThat(nodes.out().lines().findFirst().orElseThrow())
                .contains("NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "OS-IMAGE", "CONTAINER-RUNTIME");
        assertThat(rows(nodes)).hasSize(3).allSatisfy(row -> assertThat(row).contains(" Ready "));
        assertThat(rows(nodes)).extracting(row -> row.split("\\s+")[0]).containsExactlyInAnyOrder(N1, N2, N3);
        assertThat(nodes.out()).contains("10.0.1.11").doesNotContain(CART_NODE);

        Cli.Result pods = kubectl("get", "pods", "-A", "--field-selector", "spec.nodeName=" + N1, "-o", "wide");
        assertThat(pods.exit()).as("%s", pods).isZero();
        List<String> expected = api.pods().inAnyNamespace().list().getItems().stream()
                .filter(p -> N1.equals(p.getSpec().getNodeName()))
                .map(p -> p.getMetadata().getName())
                .toList();
        assertThat(expected).hasSize(3); // aws-node, kube-proxy and one checkout pod
        assertThat(rows(pods)).extracting(row -> row.split("\\s+")[1]).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(rows(pods)).allSatisfy(row -> assertThat(row).contains(" " + N1 + " "));

        // the controller writes a Deployment's status just after its pods turn Ready, which the lab awaits
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                        api.apps().deployments().inNamespace("shop").list().getItems())
                .allSatisfy(d -> assertThat(d.getStatus().getReadyReplicas())
                        .isEqualTo(d.getSpec().getReplicas())));
        Cli.Result workloads = kubectl("get", "deploy,pdb", "-n", "shop");
        assertThat(workloads.exit()).as("%s", workloads).isZero();
        assertThat(workloads.out())
                .containsPattern("deployment.apps/checkout\\s+3/3\\s+3\\s+3\\s")
                .containsPattern("deployment.apps/cart\\s+2/2\\s+2\\s+2\\s")
                .containsPattern("poddisruptionbudget.policy/checkout-pdb\\s+2\\s+N/A\\s+1\\s");

        Cli.Result describe = kubectl("describe", "node", N1);
        assertThat(describe.exit()).as("%s", describe).isZero();
        assertThat(describe.out())
                .containsPattern("Name:\\s+" + N1)
                .contains("workload=checkout")
                .contains("ProviderID:", "aws:///us-east-1a/i-0c0ffee0000000a01")
                .contains("Non-terminated Pods:          (3 in total)")
                .contains("RegisteredNode", "Registered Node " + N1 + " in Controller");

        Cli.Result bad = kubectl("get", "pods", "-A", "--field-selector", "spec.flavour=x");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("field label not supported: spec.flavour");
    }

    @Test
    void cordonTaintDrainWithTheBudgetAndUncordonTellTheirStoryInEvents() throws Exception {
        Cli.Result cordon = kubectl("cordon", N3);
        assertThat(cordon.exit()).as("%s", cordon).isZero();
        assertThat(cordon.out()).isEqualTo("node/" + N3 + " cordoned\n");
        assertThat(api.nodes().withName(N3).get().getSpec().getUnschedulable()).isTrue();

        Cli.Result taint = kubectl("taint", "nodes", N3, "k=v:NoSchedule");
        assertThat(taint.exit()).as("%s", taint).isZero();
        assertThat(taint.out()).isEqualTo("node/" + N3 + " tainted\n");
        assertThat(api.nodes().withName(N3).get().getSpec().getTaints())
                .singleElement()
                .satisfies(t -> assertThat(t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
                        .isEqualTo("k=v:NoSchedule"));

        // With every other checkout node cordoned, N1's checkout pod can be evicted (3 Ready, the budget needs 2)
        // but its replacement cannot run anywhere.
        assertThat(kubectl("cordon", N2).exit()).isZero();
        Cli.Result drain1 = kubectl("drain", N1, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=30s");
        assertThat(drain1.exit()).as("%s", drain1).isZero();
        assertThat(drain1.out())
                .containsPattern("pod/checkout-[a-z0-9]+-[a-z0-9]+ evicted")
                .contains("node/" + N1 + " drained");
        assertThat(drain1.err()).contains("Warning: ignoring DaemonSet-managed Pods: kube-system/aws-node-");
        assertThat(evictablePodsOn(N1)).isEmpty();
        assertThat(lab.cluster().orElseThrow().evictionsGranted()).isEqualTo(1);

        // Now checkout has 2 Ready pods and the budget needs 2: draining N2 is refused until the timeout.
        Cli.Result refused = kubectl("drain", N2, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=2s");
        assertThat(refused.exit()).as("%s", refused).isEqualTo(1);
        assertThat(refused.err())
                .contains("Cannot evict pod as it would violate the pod's disruption budget.")
                .contains("global timeout reached: 2s");
        assertThat(evictablePodsOn(N2)).hasSize(1);
        assertThat(lab.cluster().orElseThrow().evictionsRefused()).isPositive();

        Cli.Result uncordon = kubectl("uncordon", N1);
        assertThat(uncordon.exit()).as("%s", uncordon).isZero();
        assertThat(uncordon.out()).isEqualTo("node/" + N1 + " uncordoned\n");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(readyCheckout(N1)).isEqualTo(1));

        Cli.Result drain2 = kubectl("drain", N2, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=30s");
        assertThat(drain2.exit()).as("%s", drain2).isZero();
        assertThat(drain2.out()).contains("node/" + N2 + " drained");
        assertThat(evictablePodsOn(N2)).isEmpty();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Cli.Result events = kubectl("get", "events", "-A");
            assertThat(events.exit()).as("%s", events).isZero();
            assertThat(events.out().lines().findFirst().orElseThrow())
                    .contains("NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
            assertThat(events.out())
                    .containsPattern("Normal\\s+Killing\\s+pod/checkout-\\S+\\s+Stopping container checkout")
                    .containsPattern("Warning\\s+FailedScheduling\\s+pod/checkout-\\S+\\s+0/7 nodes are available")
                    .containsPattern(
                            "Normal\\s+Scheduled\\s+pod/checkout-\\S+\\s+Successfully assigned shop/checkout-\\S+ to "
                                    + N1)
                    .containsPattern("Normal\\s+RegisteredNode\\s+node/" + N1);
        });
    }

    private long readyCheckout(String node) {
        return api.pods().inNamespace("shop").withLabel("app", "checkout").list().getItems().stream()
                .filter(p -> node.equals(p.getSpec().getNodeName()))
                .filter(KubectlCliTest::ready)
                .count();
    }

    private static boolean ready(Pod p) {
        return p.getStatus().getConditions().stream()
                .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    }
}
