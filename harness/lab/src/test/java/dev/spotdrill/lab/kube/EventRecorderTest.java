package dev.spotdrill.lab.kube;

import static dev.spotdrill.lab.kube.KubeTestSupport.onDemand;
import static dev.spotdrill.lab.kube.KubeTestSupport.spot;
import static dev.spotdrill.lab.kube.KubeTestSupport.waitUpTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The events the lab's components record, as kubectl get events and kubectl describe node show them. */
class EventRecorderTest {
    private static final String SPOT = "ip-10-0-1-11.ec2.internal";
    private static final String OD = "ip-10-0-1-12.ec2.internal";

    private static List<Event> events(io.fabric8.kubernetes.client.KubernetesClient c) {
        return c.v1().events().inAnyNamespace().list().getItems();
    }

    @Test
    void identicalEventsAreAggregatedIntoOneWithACount() {
        try (ApiServerFixture api = new ApiServerFixture()) {
            api.client
                    .nodes()
                    .resource(new io.fabric8.kubernetes.api.model.NodeBuilder()
                            .withNewMetadata()
                            .withName("n1")
                            .endMetadata()
                            .build())
                    .create();
            EventRecorder events = api.server.events();

            events.node("n1", "Normal", "Cordon", "Node cordoned", "aws-node-termination-handler");
            events.node("n1", "Normal", "Cordon", "Node cordoned", "aws-node-termination-handler");
            events.node("n1", "Normal", "CordonAndDrain", "Node drained", "aws-node-termination-handler");

            List<Event> all = events(api.client);
            assertThat(all).hasSize(2);
            Event cordon = all.stream()
                    .filter(e -> e.getReason().equals("Cordon"))
                    .findFirst()
                    .orElseThrow();
            assertThat(cordon.getCount()).isEqualTo(2);
            assertThat(cordon.getMetadata().getNamespace()).isEqualTo("default");
            assertThat(cordon.getInvolvedObject().getUid())
                    .isEqualTo(api.client
                            .nodes()
                            .withName("n1")
                            .get()
                            .getMetadata()
                            .getUid());
            assertThat(cordon.getSource().getComponent()).isEqualTo("aws-node-termination-handler");
            assertThat(cordon.getSource().getHost()).isEqualTo("n1");
            assertThat(cordon.getLastTimestamp()).isGreaterThanOrEqualTo(cordon.getFirstTimestamp());
            assertThat(cordon.getFirstTimestamp()).startsWith("2026-01-15T10:");
        }
    }

    @Test
    void theControllerAndKubeletTellTheStoryOfSchedulingAndANodesLoss() {
        try (KubeTestSupport lab = new KubeTestSupport()) {
            lab.start(ClusterSpec.of(
                            List.of(spot(SPOT, "i-0c0ffee0000000a01"), onDemand(OD, "i-0c0ffee0000000b01")),
                            List.of(
                                    WorkloadSpec.of("shop", "cart", 2),
                                    WorkloadSpec.of("shop", "gpu", 1).withNodeSelector(Map.of("gpu", "yes"))))
                    .withTerminationHandler(TerminationHandlerSpec.disabled()));
            waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart"))
                    .hasSize(2));

            waitUpTo().untilAsserted(() -> assertThat(events(lab.client()))
                    .extracting(Event::getReason)
                    .contains("RegisteredNode", "Scheduled", "FailedScheduling"));
            Event failed = events(lab.client()).stream()
                    .filter(e -> e.getReason().equals("FailedScheduling"))
                    .findFirst()
                    .orElseThrow();
            assertThat(failed.getType()).isEqualTo("Warning");
            assertThat(failed.getSource().getComponent()).isEqualTo("default-scheduler");
            assertThat(failed.getMessage())
                    .isEqualTo("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
                            + " preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
            Node spotNode = lab.node(SPOT);

            lab.cluster.instanceTerminated("i-0c0ffee0000000a01");

            waitUpTo().untilAsserted(() -> assertThat(lab.node(SPOT)).isNull());
            waitUpTo().untilAsserted(() -> assertThat(events(lab.client()))
                    .filteredOn(e -> SPOT.equals(e.getInvolvedObject().getName()))
                    .extracting(Event::getReason)
                    .containsExactlyInAnyOrder("RegisteredNode", "NodeNotReady", "RemovingNode"));
            // what kubectl describe node asks for: the node's events by kind, name and uid
            assertThat(lab.client()
                            .v1()
                            .events()
                            .inAnyNamespace()
                            .withField("involvedObject.kind", "Node")
                            .withField("involvedObject.name", SPOT)
                            .withField(
                                    "involvedObject.uid", spotNode.getMetadata().getUid())
                            .list()
                            .getItems())
                    .extracting(Event::getMessage)
                    .contains("Node " + SPOT + " status is now: NodeNotReady");
            assertThat(events(lab.client()))
                    .filteredOn(e -> e.getReason().equals("Killing"))
                    .isNotEmpty()
                    .allSatisfy(e -> {
                        assertThat(e.getSource().getComponent()).isEqualTo("kubelet");
                        assertThat(e.getSource().getHost()).isEqualTo(SPOT);
                        assertThat(e.getMessage()).startsWith("Stopping container ");
                    });
        }
    }
}
