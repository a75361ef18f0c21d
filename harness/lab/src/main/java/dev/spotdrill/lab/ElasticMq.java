package dev.spotdrill.lab;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorSystem;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ElasticMQ, embedded on 127.0.0.1 with a dynamic port, started in the background so that the lab does not wait for
 * it (the first start in a JVM takes about 2 s). Its queue URLs name the lab's SQS front ({@link SqsApi}), which is
 * the only way callers reach it; its actor system runs on daemon threads named after the lab.
 */
final class ElasticMq implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ElasticMq.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final String labId;
    private final CompletableFuture<URI> backend = new CompletableFuture<>();
    private final Thread starter;
    private volatile ActorSystem system;
    private volatile SQSRestServer server;
    private volatile long startMillis = -1;
    private volatile boolean closed;

    /**
     * Starts ElasticMQ in the background.
     *
     * @param front the lab's SQS front, which queue URLs point at
     */
    ElasticMq(String labId, URI front, String region, String account) {
        this.labId = labId;
        this.starter = new Thread(() -> start(front, region, account), "spotdrill-lab-sqs-start-" + labId);
        starter.setDaemon(true);
        starter.start();
    }

    private void start(URI front, String region, String account) {
        long t0 = System.nanoTime();
        try {
            Config config = ConfigFactory.parseString(String.join(
                            "\n",
                            "pekko.daemonic = on",
                            "pekko.loglevel = WARNING",
                            "pekko.stdout-loglevel = OFF",
                            "pekko.log-dead-letters = off",
                            "pekko.log-dead-letters-during-shutdown = off",
                            "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
                            "pekko.coordinated-shutdown.terminate-actor-system = on",
                            // a 20 s long poll plus margin; the front holds the caller's connection meanwhile
                            "pekko.http.server.request-timeout = 40 s",
                            "pekko.http.server.idle-timeout = 120 s"))
                    .withFallback(ConfigFactory.load(ElasticMq.class.getClassLoader()));
            ActorSystem s = ActorSystem.create("spotdrill-lab-sqs-" + labId, config, ElasticMq.class.getClassLoader());
            system = s;
            if (closed) {
                throw new IllegalStateException("the lab closed while its SQS was starting");
            }
            SQSRestServer started = SQSRestServerBuilder.withActorSystem(s)
                    .withInterface("127.0.0.1")
                    .withDynamicPort()
                    .withServerAddress(new NodeAddress("http", "127.0.0.1", front.getPort(), ""))
                    .withAWSRegion(region)
                    .withAWSAccountId(account)
                    .start();
            server = started;
            int port = started.waitUntilStarted().localAddress().getPort();
            startMillis = (System.nanoTime() - t0) / 1_000_000;
            LOG.debug("lab {}: ElasticMQ on 127.0.0.1:{} in {} ms", labId, port, startMillis);
            backend.complete(URI.create("http://127.0.0.1:" + port));
        } catch (RuntimeException | Error e) {
            backend.completeExceptionally(e);
            if (!closed) {
                LOG.error("lab {}: ElasticMQ did not start", labId, e);
            }
        }
    }

    /**
     * ElasticMQ's own address, waiting for it to be up.
     *
     * @throws IllegalStateException when it did not start (with the cause) or the lab is closed
     */
    URI backend() {
        try {
            return backend.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the lab's SQS to start", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the lab's SQS (ElasticMQ) did not start: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the lab's SQS (ElasticMQ) did not start within " + START_TIMEOUT);
        }
    }

    /** Whether ElasticMQ is up. */
    boolean ready() {
        return backend.isDone() && !backend.isCompletedExceptionally();
    }

    /** Wall milliseconds ElasticMQ took to start; -1 until it has. */
    long startMillis() {
        return startMillis;
    }

    /** Stops the server and its actor system, waiting for a start still under way first. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            starter.join(START_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        SQSRestServer s = server;
        if (s != null) {
            // Not stopAndWait(): a long poll on a queue deleted meanwhile never gets its answer inside ElasticMQ (its
            // ask times out after 21 s), and the unbinding would wait for it. Terminating the actor system ends it.
            try {
                scala.concurrent.Await.ready(
                        s.stopAndGetFuture().apply(), scala.concurrent.duration.Duration.create(2, TimeUnit.SECONDS));
            } catch (Exception e) {
                LOG.debug("lab {}: ElasticMQ stop: {}", labId, e.toString());
            }
        }
        ActorSystem a = system;
        if (a != null) {
            a.terminate();
            try {
                scala.concurrent.Await.result(
                        a.whenTerminated(), scala.concurrent.duration.Duration.create(10, TimeUnit.SECONDS));
            } catch (Exception e) {
                LOG.debug("lab {}: ElasticMQ actor system did not stop within 10 s: {}", labId, e.toString());
            }
        }
    }
}
