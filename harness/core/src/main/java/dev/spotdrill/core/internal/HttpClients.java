package dev.spotdrill.core.internal;

import java.io.IOException;
import java.time.Duration;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * The SDK HTTP clients spotdrill uses: the SDK's URL-connection client, which starts fast and needs no extra
 * threads, made safe against a JDK fault.
 *
 * <p>On a loaded machine, the JDK's {@code HttpURLConnection} sometimes throws a {@link NullPointerException}
 * ({@code "this.http" is null}) from inside its own code, when a kept-alive connection is lost while a request is
 * read. The SDK wraps such an exception as an {@link IOException} only around the response code; a later read of a
 * header escapes as a bare NullPointerException, which the SDK does not retry and which failed whole drills. Here
 * every NullPointerException thrown from inside the JDK's HTTP implementation becomes the IOException it stands
 * for, which the SDK's retry policy retries like any other lost connection.
 */
public final class HttpClients {
    private static final String JDK_HTTP = "sun.net.www.";

    private HttpClients() {}

    /** The SDK's URL-connection client with these timeouts, its JDK faults turned into retryable IOExceptions. */
    public static SdkHttpClient urlConnection(Duration connectTimeout, Duration socketTimeout) {
        return tolerant(UrlConnectionHttpClient.builder()
                .connectionTimeout(connectTimeout)
                .socketTimeout(socketTimeout)
                .build());
    }

    /** {@code delegate}, with a NullPointerException thrown from inside the JDK's HTTP code turned into an IOException. */
    static SdkHttpClient tolerant(SdkHttpClient delegate) {
        return new SdkHttpClient() {
            @Override
            public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
                ExecutableHttpRequest r = delegate.prepareRequest(request);
                return new ExecutableHttpRequest() {
                    @Override
                    public HttpExecuteResponse call() throws IOException {
                        try {
                            return r.call();
                        } catch (NullPointerException e) {
                            if (thrownByJdkHttp(e)) {
                                throw new IOException(
                                        "the JDK's HttpURLConnection lost its connection during the request ("
                                                + e.getMessage() + ")",
                                        e);
                            }
                            throw e;
                        }
                    }

                    @Override
                    public void abort() {
                        r.abort();
                    }
                };
            }

            @Override
            public String clientName() {
                return delegate.clientName();
            }

            @Override
            public void close() {
                delegate.close();
            }
        };
    }

    static boolean thrownByJdkHttp(NullPointerException e) {
        StackTraceElement[] stack = e.getStackTrace();
        return stack.length > 0 && stack[0].getClassName().startsWith(JDK_HTTP);
    }
}
