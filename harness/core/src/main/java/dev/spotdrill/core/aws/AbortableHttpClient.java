package dev.spotdrill.core.aws;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;

/**
 * An HTTP client whose requests in flight can be cut: {@link #abortAll()} aborts them (for the URL-connection
 * client, it closes the connection, so a long poll returns at once) and refuses every later request with the SDK's
 * {@link AbortedException}, which the SDK does not retry.
 */
final class AbortableHttpClient implements SdkHttpClient {
    private final SdkHttpClient delegate;
    private final Set<ExecutableHttpRequest> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean aborted;

    AbortableHttpClient(SdkHttpClient delegate) {
        this.delegate = delegate;
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        if (aborted) {
            throw AbortedException.builder()
                    .message("the event queue is closing")
                    .build();
        }
        ExecutableHttpRequest r = delegate.prepareRequest(request);
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() throws IOException {
                inFlight.add(this);
                try {
                    if (aborted) {
                        throw AbortedException.builder()
                                .message("the event queue is closing")
                                .build();
                    }
                    return r.call();
                } finally {
                    inFlight.remove(this);
                }
            }

            @Override
            public void abort() {
                r.abort();
            }
        };
    }

    /** Aborts every request in flight and refuses the next ones. */
    void abortAll() {
        aborted = true;
        inFlight.forEach(ExecutableHttpRequest::abort);
    }

    @Override
    public String clientName() {
        return delegate.clientName();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
