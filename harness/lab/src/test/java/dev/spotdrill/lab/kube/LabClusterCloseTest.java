package dev.spotdrill.lab.kube;

import static dev.spotdrill.lab.kube.KubeTestSupport.spot;
import static dev.spotdrill.lab.kube.KubeTestSupport.waitUpTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.parallel.Isolated("checks the JVM's live threads")
class LabClusterCloseTest {

    private static Set<String> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .collect(Collectors.toSet());
    }

    private static Set<String> labThreads() {
        return liveThreads().stream()
                .filter(n -> n.startsWith("spotdrill-kube") || n.startsWith("vert.x-"))
                .collect(Collectors.toSet());
    }

    @Test
    void closeStopsServerControllerHandlersAndTheirThreads() throws Exception {
        Set<String> before = labThreads();
        KubeTestSupport lab = new KubeTestSupport();
        lab.start(ClusterSpec.of(
                List.of(spot("ip-10-0-1-11.ec2.internal", "i-0c0ffee0000000a01")),
                List.of(WorkloadSpec.of("shop", "cart", 2))));
        waitUpTo().untilAsserted(() -> assertThat(lab.readyPods("shop", "cart")).hasSize(2));
        assertThat(liveThreads()).anyMatch(n -> n.startsWith("spotdrill-kube-controller"));
        assertThat(liveThreads()).anyMatch(n -> n.startsWith("spotdrill-kube-nth"));
        URI master = lab.cluster.masterUrl();

        lab.close();
        lab.cluster.close(); // idempotent

        waitUpTo().untilAsserted(() -> assertThat(labThreads()).isSubsetOf(before));
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        assertThatThrownBy(() -> http.send(
                        HttpRequest.newBuilder(master.resolve("/api/v1/nodes")).build(),
                        HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> lab.cluster.instanceTerminated("i-0c0ffee0000000a01"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the lab cluster is closed");
    }

    @Test
    void startRefusesMissingArguments() {
        assertThatThrownBy(() -> LabCluster.start(
                        ClusterSpec.of(List.of(), List.of()), dev.spotdrill.core.WorldClock.system(), id -> null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pass Map::of for no faults");
    }
}
