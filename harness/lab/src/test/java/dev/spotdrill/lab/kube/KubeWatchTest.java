package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Watches as Fabric8 informers, client-go reflectors and {@code kubectl get -w} use them: field selectors that
 * deliver only matching objects, resuming from a resourceVersion after the server ends a watch, bookmarks, and 410
 * Gone (then a relist) for a version older than the server's history.
 */
class KubeWatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private ApiServerFixture api;
    private final List<SharedIndexInformer<?>> informers = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        informers.forEach(SharedIndexInformer::close);
        if (api != null) {
            api.close();
        }
    }

    private static ConditionFactory waitUpTo() {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20));
    }

    /** Records what an informer was told, as "ADDED p1" lines. */
    private static final class Recorder implements ResourceEventHandler<Pod> {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void onAdd(Pod p) {
            seen.add("ADDED " + p.getMetadata().getName());
        }

        @Override
        public void onUpdate(Pod before, Pod after) {
            seen.add("MODIFIED " + after.getMetadata().getName());
        }

        @Override
        public void onDelete(Pod p, boolean unknown) {
            seen.add("DELETED " + p.getMetadata().getName());
        }
    }

    private SharedIndexInformer<Pod> podsOn(String node, Recorder recorder) throws Exception {
        SharedIndexInformer<Pod> i = api.client
                .pods()
                .inAnyNamespace()
                .withField("spec.nodeName", node)
                .inform(recorder);
        informers.add(i);
        i.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        // synced means listed; its watch opens just after, and changes made before that would race it
        waitUpTo()
                .untilAsserted(() -> assertThat(api.server.store().watchCount()).isPositive());
        return i;
    }

    private void relabel(String name, String value) {
        api.client.pods().inNamespace("shop").withName(name).edit(p -> {
            p.getMetadata().getLabels().put("rev", value);
            return p;
        });
    }

    @Test
    void aPodInformerWithASpecNodeNameSelectorHoldsAndHearsOnlyThatNodesPods() throws Exception {
        api = new ApiServerFixture();
        api.pod("shop", "p1", "node-1", "checkout");
        api.pod("shop", "p2", "node-2", "checkout");
        api.pod("kube-system", "aws-node-1", "node-1", "aws-node");
        api.pod("shop", "p3", null, "checkout");
        Recorder seen = new Recorder();

        SharedIndexInformer<Pod> informer = podsOn("node-1", seen);

        assertThat(informer.getStore().list())
                .extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("p1", "aws-node-1");
        // a change on another node is not sent: the change on node-1 after it arrives, the other one never does
        relabel("p2", "2");
        relabel("p1", "2");
        waitUpTo().untilAsserted(() -> assertThat(seen.seen).contains("MODIFIED p1"));
        assertThat(seen.seen).noneMatch(s -> s.endsWith(" p2"));
        // binding a Pending pod to the node adds it to the node's view, as the scheduler's binding does
        assertThat(api.send(
                                "POST",
                                "api/v1/namespaces/shop/pods/p3/binding",
                                "application/json",
                                "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"p3\"},"
                                        + "\"target\":{\"kind\":\"Node\",\"name\":\"node-1\"}}")
                        .statusCode())
                .isEqualTo(201);
        waitUpTo().untilAsserted(() -> assertThat(informer.getStore().list()).hasSize(3));
        api.client.pods().inNamespace("shop").withName("p1").delete();
        waitUpTo().untilAsserted(() -> assertThat(informer.getStore().list())
                .extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("aws-node-1", "p3"));
        assertThat(seen.seen).containsSubsequence("ADDED p3", "DELETED p1");
        assertThat(seen.seen).noneMatch(s -> s.endsWith(" p2"));
    }

    @Test
    void aPodThatStopsMatchingTheSelectorIsDeletedFromTheWatchersView() throws Exception {
        api = new ApiServerFixture();
        api.pod("shop", "job-1", "node-1", "batch");
        Recorder seen = new Recorder();
        SharedIndexInformer<Pod> running = api.client
                .pods()
                .inNamespace("shop")
                .withField("status.phase", "Running")
                .inform(seen);
        informers.add(running);
        running.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        waitUpTo()
                .untilAsserted(() -> assertThat(api.server.store().watchCount()).isPositive());
        assertThat(running.getStore().list()).hasSize(1);

        api.client.pods().inNamespace("shop").withName("job-1").editStatus(p -> {
            p.getStatus().setPhase("Succeeded");
            return p;
        });

        waitUpTo().untilAsserted(() -> assertThat(running.getStore().list()).isEmpty());
        assertThat(seen.seen).containsExactly("ADDED job-1", "DELETED job-1");
        assertThat(api.client.pods().inNamespace("shop").withName("job-1").get())
                .as("the pod itself still exists")
                .isNotNull();
    }

    @Test
    void informersResumeFromTheirResourceVersionWhenTheServerEndsTheirWatches() throws Exception {
        api = new ApiServerFixture();
        api.pod("shop", "p1", "node-1", "checkout");
        Recorder seen = new Recorder();
        SharedIndexInformer<Pod> informer = podsOn("node-1", seen);
        long lists = api.server.served("list", "pods");
        long watches = api.server.served("watch", "pods");

        api.server.closeWatches();
        api.pod("shop", "p4", "node-1", "checkout");
        relabel("p1", "3");

        waitUpTo().untilAsserted(() -> assertThat(seen.seen).contains("ADDED p4", "MODIFIED p1"));
        assertThat(informer.getStore().list()).hasSize(2);
        assertThat(api.server.served("list", "pods")).as("no relist").isEqualTo(lists);
        assertThat(api.server.served("watch", "pods")).isGreaterThan(watches);
    }

    @Test
    void bookmarksKeepAFilteredWatcherCurrentSoItResumesAfterTheHistoryMovedOn() throws Exception {
        api = new ApiServerFixture(5, Duration.ofMillis(100));
        api.pod("shop", "p1", "node-1", "checkout");
        api.pod("shop", "p2", "node-2", "checkout");
        Recorder seen = new Recorder();
        SharedIndexInformer<Pod> informer = podsOn("node-1", seen);
        long lists = api.server.served("list", "pods");

        for (int i = 0; i < 10; i++) {
            relabel("p2", Integer.toString(i)); // ten changes the node-1 watch does not send: the history moves on
        }
        long rv = api.server.store().resourceVersion();
        waitUpTo().untilAsserted(() -> assertThat(informer.lastSyncResourceVersion())
                .isEqualTo(Long.toString(rv)));
        api.server.closeWatches();
        api.pod("shop", "p5", "node-1", "checkout");

        waitUpTo().untilAsserted(() -> assertThat(seen.seen).contains("ADDED p5"));
        assertThat(api.server.served("list", "pods"))
                .as("resumed from the bookmark, no relist")
                .isEqualTo(lists);
        assertThat(seen.seen).noneMatch(s -> s.endsWith(" p2"));
    }

    @Test
    void aWatchFromAVersionOlderThanTheHistoryGets410AndAnInformerRelists() throws Exception {
        api = new ApiServerFixture(5, Duration.ofHours(1)); // no bookmark rescues the informer here
        api.pod("shop", "p1", "node-1", "checkout");
        api.pod("shop", "p2", "node-2", "checkout");
        Recorder seen = new Recorder();
        SharedIndexInformer<Pod> informer = podsOn("node-1", seen);
        long lists = api.server.served("list", "pods");
        for (int i = 0; i < 10; i++) {
            relabel("p2", Integer.toString(i));
        }

        // the raw wire answer: 200, then one ERROR event with a 410 Status, as the real server sends it
        HttpResponse<String> raw = api.get("api/v1/pods?watch=true&resourceVersion=1001&timeoutSeconds=5", null);
        assertThat(raw.statusCode()).isEqualTo(200);
        JsonNode error = JSON.readTree(raw.body());
        assertThat(error.path("type").asText()).isEqualTo("ERROR");
        assertThat(error.at("/object/code").asInt()).isEqualTo(410);
        assertThat(error.at("/object/reason").asText()).isEqualTo("Expired");
        assertThat(error.at("/object/message").asText()).startsWith("too old resource version: 1001 (");

        api.server.closeWatches();
        api.pod("shop", "p6", "node-1", "checkout");
        waitUpTo().untilAsserted(() -> assertThat(informer.getStore().list())
                .extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("p1", "p6"));
        assertThat(api.server.served("list", "pods"))
                .as("one relist after the 410")
                .isEqualTo(lists + 1);
    }

    @Test
    void aRawWatchSendsBookmarksForFilteredChangesAndSendInitialEventsEndsWithAMarkedOne() throws Exception {
        api = new ApiServerFixture(100, Duration.ofMillis(100));
        api.pod("shop", "p1", "node-1", "checkout");
        api.pod("shop", "p2", "node-2", "checkout");
        List<String> lines = new CopyOnWriteArrayList<>();
        HttpRequest request = HttpRequest.newBuilder(api.uri("api/v1/pods?watch=true&allowWatchBookmarks=true"
                        + "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                        + "&fieldSelector=spec.nodeName%3Dnode-1&timeoutSeconds=5"))
                .build();
        var response = api.http
                .sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                .thenAccept(r -> {
                    try (Stream<String> s = r.body()) {
                        s.forEach(lines::add);
                    }
                });
        waitUpTo().untilAsserted(() -> assertThat(lines).hasSizeGreaterThanOrEqualTo(2));

        relabel("p2", "x");
        long rv = api.server.store().resourceVersion();
        response.get(30, TimeUnit.SECONDS); // the server ends the watch after timeoutSeconds

        List<JsonNode> events = lines.stream().map(KubeWatchTest::parse).toList();
        assertThat(events.get(0).path("type").asText()).isEqualTo("ADDED");
        assertThat(events.get(0).at("/object/metadata/name").asText()).isEqualTo("p1");
        assertThat(events.get(1).path("type").asText()).isEqualTo("BOOKMARK");
        assertThat(events.get(1)
                        .at("/object/metadata/annotations/k8s.io~1initial-events-end")
                        .asText())
                .isEqualTo("true");
        assertThat(events)
                .as("a later bookmark carries the version of the change to p2, which itself is not sent")
                .anyMatch(e -> e.path("type").asText().equals("BOOKMARK")
                        && e.at("/object/metadata/resourceVersion").asText().equals(Long.toString(rv)));
        assertThat(events).noneMatch(e -> e.at("/object/metadata/name").asText().equals("p2"));
    }

    @Test
    void aWatchOfOneObjectByItsPathSeesOnlyThatObject() throws Exception {
        api = new ApiServerFixture();
        api.pod("shop", "p1", "node-1", "checkout");
        api.pod("shop", "p2", "node-1", "checkout");

        HttpResponse<String> r = api.get("api/v1/watch/namespaces/shop/pods/p1?timeoutSeconds=1", null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().lines().map(KubeWatchTest::parse)).singleElement().satisfies(e -> {
            assertThat(e.path("type").asText()).isEqualTo("ADDED");
            assertThat(e.at("/object/metadata/name").asText()).isEqualTo("p1");
        });
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not a JSON line: " + line, e);
        }
    }
}
