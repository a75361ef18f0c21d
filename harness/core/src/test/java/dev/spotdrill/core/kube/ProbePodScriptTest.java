package dev.spotdrill.core.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the real probe script with the machine's {@code sh} and {@code curl} against a small IMDSv2 server
 * (skipped where either is missing).
 */
class ProbePodScriptTest {
    static final String NOTICE = "/latest/meta-data/spot/instance-action";
    static final String REBALANCE = "/latest/meta-data/events/recommendations/rebalance";

    HttpServer imds;
    Process probe;
    final List<String> lines = new CopyOnWriteArrayList<>();
    final AtomicInteger tokens = new AtomicInteger();
    final AtomicBoolean noticeOut = new AtomicBoolean();
    final AtomicBoolean revoke = new AtomicBoolean();
    volatile String rebalanceBody;

    @BeforeEach
    void imds() throws IOException {
        assumeTrue(onPath("sh") && onPath("curl"), "needs sh and curl on the PATH");
        imds = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        imds.createContext("/", this::serve);
        imds.start();
    }

    @AfterEach
    void stop() {
        if (probe != null) {
            probe.destroyForcibly();
        }
        if (imds != null) {
            imds.stop(0);
        }
    }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String token = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
        if (ex.getRequestMethod().equals("PUT") && path.equals("/latest/api/token")) {
            if (!"21600".equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds"))) {
                answer(ex, 400, "");
            } else {
                answer(ex, 200, "token-" + tokens.incrementAndGet());
            }
        } else if (token == null
                || !token.equals("token-" + tokens.get())
                || (path.equals(NOTICE) && revoke.getAndSet(false))) {
            answer(ex, 401, "");
        } else if (path.equals(NOTICE) && noticeOut.get()) {
            answer(ex, 200, "{\"action\":\"terminate\",\"time\":\"2026-01-15T10:30:00Z\"}");
        } else if (path.equals(REBALANCE) && rebalanceBody != null) {
            answer(ex, 200, rebalanceBody);
        } else {
            answer(ex, 404, "");
        }
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void printsOneLinePerChangeWithATokenRenewedAfter401() throws IOException {
        start();
        await().atMost(Duration.ofSeconds(30))
                .until(() ->
                        find(NOTICE, 404).isPresent() && find(REBALANCE, 404).isPresent());
        assertThat(find(NOTICE, 404).orElseThrow().body()).isEmpty();
        assertThat(find(NOTICE, 404).orElseThrow().at()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

        rebalanceBody = "{\"noticeTime\":\"2026-01-15T10:28:00Z\"}\n\"quoted\" \\ back\tslash";
        await().atMost(Duration.ofSeconds(30)).until(() -> find(REBALANCE, 200).isPresent());
        assertThat(find(REBALANCE, 200).orElseThrow().body()).isEqualTo(rebalanceBody);

        // a token that stops working is renewed at once: no 401 line
        revoke.set(true);
        await().atMost(Duration.ofSeconds(30)).until(() -> !revoke.get());
        noticeOut.set(true);
        await().atMost(Duration.ofSeconds(30)).until(() -> find(NOTICE, 200).isPresent());
        assertThat(tokens.get()).isEqualTo(2);
        assertThat(find(NOTICE, 401)).isEmpty();
        assertThat(find(NOTICE, 200).orElseThrow().body())
                .isEqualTo("{\"action\":\"terminate\",\"time\":\"2026-01-15T10:30:00Z\"}");

        // no repeats: each (path, status, body) change is one line, however many polls ran
        int count = parsed().size();
        assertThat(parsed().stream().filter(l -> l.path().equals(REBALANCE)).count())
                .isEqualTo(2);
        assertThat(count).isEqualTo(4);
        assertThat(lines).allSatisfy(l -> assertThat(ProbePodLog.parse(l)).isPresent());
    }

    @Test
    void anImdsThatDoesNotAnswerIsStatusZero() throws IOException {
        int port = imds.getAddress().getPort();
        imds.stop(0);
        imds = null;
        start(port);

        await().atMost(Duration.ofSeconds(30)).until(() -> parsed().size() >= 2);
        assertThat(parsed()).allSatisfy(l -> assertThat(l.status()).isZero());
    }

    private void start() throws IOException {
        start(imds.getAddress().getPort());
    }

    private void start(int port) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", ProbePodSpec.script());
        pb.environment().put("IMDS_ENDPOINT", "http://127.0.0.1:" + port);
        pb.environment().put("PROBE_INTERVAL", "0.2");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        probe = pb.start();
        Thread t = new Thread(
                () -> {
                    try (BufferedReader in =
                            new BufferedReader(new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = in.readLine()) != null) {
                            lines.add(line);
                        }
                    } catch (IOException e) {
                        // the process was stopped
                    }
                },
                "spotdrill-test-probe-script");
        t.setDaemon(true);
        t.start();
    }

    private List<ProbePodLog> parsed() {
        return lines.stream().map(ProbePodLog::parse).flatMap(Optional::stream).toList();
    }

    private Optional<ProbePodLog> find(String path, int status) {
        return parsed().stream()
                .filter(l -> l.path().equals(path) && l.status() == status)
                .findFirst();
    }

    private static boolean onPath(String cmd) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, cmd))) {
                return true;
            }
        }
        return false;
    }
}
