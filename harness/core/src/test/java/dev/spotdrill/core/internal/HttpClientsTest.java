package dev.spotdrill.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The JDK's HttpURLConnection fault (a NullPointerException from inside its own code when a kept-alive connection is
 * lost mid-request) is retried by the SDK through {@link HttpClients}; without it, the bare exception ends the call.
 */
class HttpClientsTest {
    private static final String IDENTITY =
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                    + "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/drill</Arn><UserId>AIDA</UserId>"
                    + "<Account>123456789012</Account></GetCallerIdentityResult>"
                    + "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

    /** An HTTP client whose first {@code faults} calls fail as the JDK's HttpURLConnection does, then answer STS. */
    static class JdkFaultyHttp implements SdkHttpClient {
        final AtomicInteger calls = new AtomicInteger();
        final int faults;

        JdkFaultyHttp(int faults) {
            this.faults = faults;
        }

        @Override
        public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
            return new ExecutableHttpRequest() {
                @Override
                public HttpExecuteResponse call() {
                    if (calls.incrementAndGet() <= faults) {
                        throw jdkNpe();
                    }
                    byte[] body = IDENTITY.getBytes(StandardCharsets.UTF_8);
                    return HttpExecuteResponse.builder()
                            .response(SdkHttpResponse.builder()
                                    .statusCode(200)
                                    .putHeader("Content-Type", "text/xml")
                                    .putHeader("Content-Length", "" + body.length)
                                    .build())
                            .responseBody(AbortableInputStream.create(new ByteArrayInputStream(body)))
                            .build();
                }

                @Override
                public void abort() {}
            };
        }

        @Override
        public void close() {}
    }

    static NullPointerException jdkNpe() {
        NullPointerException e = new NullPointerException(
                "Cannot invoke \"sun.net.www.http.HttpClient.getInputStream()\" because \"this.http\" is null");
        e.setStackTrace(new StackTraceElement[] {
            new StackTraceElement(
                    "sun.net.www.protocol.http.HttpURLConnection", "getInputStream0", "HttpURLConnection.java", 1699),
            new StackTraceElement(
                    "sun.net.www.protocol.http.HttpURLConnection", "getHeaderField", "HttpURLConnection.java", 3221)
        });
        return e;
    }

    private static StsClient sts(SdkHttpClient http) {
        return StsClient.builder()
                .httpClient(http)
                .region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:1"))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "s")))
                .build();
    }

    @Test
    void aJdkFaultIsRetriedByTheSdkAndTheCallSucceeds() {
        JdkFaultyHttp http = new JdkFaultyHttp(1);
        try (StsClient sts = sts(HttpClients.tolerant(http))) {
            assertThat(sts.getCallerIdentity().account()).isEqualTo("123456789012");
        }
        assertThat(http.calls).hasValue(2);
    }

    @Test
    void withoutTheWrapperTheSameFaultEndsTheCall() {
        JdkFaultyHttp http = new JdkFaultyHttp(1);
        try (StsClient sts = sts(http)) {
            assertThatThrownBy(sts::getCallerIdentity)
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("\"this.http\" is null");
        }
        assertThat(http.calls).hasValue(1);
    }

    @Test
    void aFaultThatLastsIsReportedAsALostConnectionNamingTheJdkMessage() {
        JdkFaultyHttp http = new JdkFaultyHttp(Integer.MAX_VALUE);
        try (StsClient sts = sts(HttpClients.tolerant(http))) {
            assertThatThrownBy(sts::getCallerIdentity)
                    .isInstanceOf(SdkClientException.class)
                    .hasMessageContaining("the JDK's HttpURLConnection lost its connection during the request"
                            + " (Cannot invoke \"sun.net.www.http.HttpClient.getInputStream()\" because"
                            + " \"this.http\" is null)");
        }
        assertThat(http.calls.get()).isGreaterThan(1);
    }

    @Test
    void aNullPointerExceptionFromOtherCodeIsNotDisguised() {
        SdkHttpClient broken = new JdkFaultyHttp(0) {
            @Override
            public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
                return new ExecutableHttpRequest() {
                    @Override
                    public HttpExecuteResponse call() {
                        throw new NullPointerException("a bug of ours");
                    }

                    @Override
                    public void abort() {}
                };
            }
        };
        try (StsClient sts = sts(HttpClients.tolerant(broken))) {
            assertThatThrownBy(sts::getCallerIdentity)
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("a bug of ours");
        }
    }
}
