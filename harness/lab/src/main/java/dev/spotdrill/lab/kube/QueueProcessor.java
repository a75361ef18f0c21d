package dev.spotdrill.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The reference termination handler's queue processor, as NTH runs in queue mode: it long-polls its own SQS queue
 * (20 s wait, 10 messages), maps each event's {@code detail.instance-id} to the node whose {@code spec.providerID}
 * names it, lets that node's {@link TerminationHandler} taint, cordon and drain as in IMDS mode, and deletes the
 * messages it handled. Messages for instances that back no node are deleted too (NTH's
 * {@code deleteSqsMsgIfNodeNotFound}), so that they do not come back.
 */
final class QueueProcessor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LEAVING = Set.of("stopping", "stopped", "shutting-down", "terminated");

    private final LabCluster cluster;
    private final SqsClient sqs;
    private final String queueUrl;
    private final Thread thread;
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile boolean closed;

    QueueProcessor(LabCluster cluster, SqsClient sqs, String queueUrl) {
        this.cluster = cluster;
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.thread = new Thread(this::run, "spotdrill-kube-nth-queue");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long backoffMillis = 200;
        while (!closed) {
            if (cluster.handlerFaults().down()) {
                if (pause(cluster.clock()
                        .toWall(cluster.spec().terminationHandler().pollInterval())
                        .toMillis())) {
                    return;
                }
                continue;
            }
            List<Message> messages;
            try {
                messages = sqs.receiveMessage(
                                r -> r.queueUrl(queueUrl).waitTimeSeconds(20).maxNumberOfMessages(10))
                        .messages();
                backoffMillis = 200;
            } catch (AbortedException e) {
                return;
            } catch (SdkException e) {
                if (closed) {
                    return;
                }
                LOG.debug("handler queue {}: receive failed: {}", queueUrl, e.getMessage());
                if (pause(backoffMillis)) {
                    return;
                }
                backoffMillis = Math.min(5_000, backoffMillis * 2);
                continue;
            }
            List<DeleteMessageBatchRequestEntry> handled = new ArrayList<>();
            for (Message m : messages) {
                if (closed) {
                    return;
                }
                if (handle(m.body())) {
                    handled.add(DeleteMessageBatchRequestEntry.builder()
                            .id(Integer.toString(handled.size()))
                            .receiptHandle(m.receiptHandle())
                            .build());
                }
            }
            if (!handled.isEmpty() && !closed) {
                try {
                    sqs.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(handled));
                } catch (SdkException e) {
                    LOG.debug("handler queue {}: delete failed: {}", queueUrl, e.getMessage());
                }
            }
        }
    }

    /** Acts on one message; true when it is done with (acted on, or of no node), false to see it again. */
    private boolean handle(String body) {
        JsonNode e;
        try {
            e = JSON.readTree(body);
        } catch (IOException x) {
            LOG.warn("handler queue {}: a message is not an event, deleted: {}", queueUrl, body);
            return true;
        }
        String instanceId = e.path("detail").path("instance-id").asText("");
        if (instanceId.isEmpty()) {
            return true;
        }
        Optional<String> node;
        try {
            node = nodeOf(instanceId);
        } catch (KubernetesClientException x) {
            LOG.debug("handler queue {}: nodes unreadable: {}", queueUrl, x.getMessage());
            return false;
        }
        Optional<TerminationHandler> handler = node.flatMap(cluster::handlerOn);
        if (handler.isEmpty()) {
            return true;
        }
        TerminationHandler h = handler.get();
        String id = e.path("id").asText();
        switch (e.path("detail-type").asText()) {
            case "EC2 Spot Instance Interruption Warning" ->
                h.queueNotice(
                        id,
                        e.path("detail").path("instance-action").asText("terminate"),
                        e.path("time").asText(""));
            case "EC2 Instance Rebalance Recommendation" -> h.queueRebalance(id);
            case "EC2 Instance State-change Notification" -> {
                String state = e.path("detail").path("state").asText("");
                if (LEAVING.contains(state)) {
                    h.queueStateChange(state);
                }
            }
            default ->
                LOG.debug(
                        "handler queue {}: {} ignored",
                        queueUrl,
                        e.path("detail-type").asText());
        }
        return true;
    }

    /** The node whose {@code spec.providerID} ({@code aws:///<zone>/<instance id>}) names the instance. */
    private Optional<String> nodeOf(String instanceId) {
        return cluster.client().nodes().list().getItems().stream()
                .filter(n -> n.getSpec() != null
                        && n.getSpec().getProviderID() != null
                        && n.getSpec().getProviderID().endsWith("/" + instanceId))
                .map(Node::getMetadata)
                .map(m -> m.getName())
                .findFirst();
    }

    private boolean pause(long millis) {
        try {
            return stop.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Stops polling; the poll in flight ends when the lab's SQS stops (or answers). */
    @Override
    public void close() {
        closed = true;
        stop.countDown();
        thread.interrupt();
    }
}
