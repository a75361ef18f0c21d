package dev.spotdrill.core.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.AwsBackend.ExperimentView;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ExperimentWatcherTest {
    private final World world = World.builder("lab")
            .region("us-east-1")
            .clock(WorldClock.paced(
                    Instant.parse("2026-01-01T00:00:00Z"),
                    0.01)) // the background poll waits 100 s: only the test reads
            .build();
    private final AwsBackend backend = mock(AwsBackend.class);

    private static ExperimentView view(String status) {
        return new ExperimentView(
                "EXP1", "EXT1", status, "", "", "", Optional.empty(), Optional.empty(), Optional.empty(), "{}");
    }

    @Test
    void failedReadsAreCountedAndTheLastErrorIsKeptForTheMessage() {
        when(backend.getExperiment("EXP1")).thenThrow(new IllegalStateException("Read timed out"));
        try (ExperimentWatcher watcher =
                ExperimentWatcher.start(world, backend, view("initiating"), new Timeline(), v -> {})) {
            assertThat(watcher.poll().status()).isEqualTo("initiating");
            assertThat(watcher.poll().status()).isEqualTo("initiating");

            assertThat(watcher.readHealth())
                    .startsWith("last GetExperiment answer ")
                    .contains("s ago (wall)")
                    .contains("2 failed read(s), the last: Read timed out");
        }
    }

    @Test
    void aWaiterNeverWaitsBehindAReadUnderWay() throws Exception {
        CountDownLatch inRead = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        when(backend.getExperiment("EXP1")).thenAnswer(a -> {
            inRead.countDown();
            release.await();
            return view("running");
        });
        try (ExperimentWatcher watcher =
                ExperimentWatcher.start(world, backend, view("initiating"), new Timeline(), v -> {})) {
            CompletableFuture<ExperimentView> slow = CompletableFuture.supplyAsync(watcher::poll);
            assertThat(inRead.await(10, TimeUnit.SECONDS)).isTrue();

            // a read is under way and blocked: the waiter gets the latest view at once
            ExperimentView seen = CompletableFuture.supplyAsync(() -> watcher.pollIfStale(Duration.ZERO))
                    .get(5, TimeUnit.SECONDS);
            assertThat(seen.status()).isEqualTo("initiating");

            release.countDown();
            assertThat(slow.get(10, TimeUnit.SECONDS).status()).isEqualTo("running");
            assertThat(watcher.last().status()).isEqualTo("running");
            assertThat(watcher.readHealth()).doesNotContain("failed");
        }
    }
}
