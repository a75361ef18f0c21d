package dev.spotdrill.cli.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM (a CI cancel, {@code kill}) and SIGINT (Ctrl-C) stop {@code spotdrill lab} cleanly and free its ports. */
class LabShutdownTest {
    @TempDir
    Path dir;

    /** A base whose 30 ports are free now (other builds share this machine, so a random range is tried). */
    static int freeBase() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(30_000, 40_000);
            List<ServerSocket> held = new ArrayList<>();
            boolean free = true;
            try {
                for (int p = base; p < base + 30; p++) {
                    held.add(new ServerSocket(p, 1, InetAddress.getLoopbackAddress()));
                }
            } catch (IOException e) {
                free = false;
            } finally {
                for (ServerSocket s : held) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        // ignore
                    }
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no 30 free ports found between 30000 and 40030");
    }

    private ChildProcess startAtFixedPorts(int base) throws IOException {
        ChildProcess lab = ChildProcess.start(
                dir,
                Map.of(),
                "lab",
                "--pace",
                "60",
                "--port-base",
                Integer.toString(base),
                "--out",
                dir.resolve("client").toString());
        lab.awaitReady(Duration.ofSeconds(180));
        return lab;
    }

    private static void assertStoppedCleanly(ChildProcess lab, int base, int expectedExit) throws Exception {
        assertThat(lab.process.waitFor(60, TimeUnit.SECONDS))
                .as("the lab ends within 60 s of the signal:\n%s", lab.output())
                .isTrue();
        assertThat(lab.process.exitValue()).as("%s", lab.output()).isEqualTo(expectedExit);
        assertThat(lab.out())
                .containsPattern("spotdrill lab: stopped lab-[0-9a-f]{8} after \\d+ calls?; the files in .* point at"
                        + " nothing now\n$");
        // no stack trace and no error on the way down (a warning on a loaded machine is not a failure)
        assertThat(lab.err()).doesNotContain("\tat ").doesNotContain(" ERROR ");
        for (int p = base; p <= base + 9; p++) {
            int port = p;
            assertThatThrownBy(() -> {
                        try (Socket s = new Socket()) {
                            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                        }
                    })
                    .as("port %d is closed", port)
                    .isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void sigtermStopsTheLabAndFreesItsPorts() throws Exception {
        int base = freeBase();
        try (ChildProcess lab = startAtFixedPorts(base)) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), base + 9)) {
                assertThat(s.isConnected()).isTrue();
            }

            lab.process.destroy(); // SIGTERM

            assertStoppedCleanly(lab, base, 128 + 15);
        }
    }

    @Test
    void sigintStopsTheLabAsCtrlCDoes() throws Exception {
        int base = freeBase();
        try (ChildProcess lab = startAtFixedPorts(base)) {
            // A process started in the background by a non-interactive shell ignores SIGINT, and its children inherit
            // that: then no Ctrl-C can reach it, and there is nothing to test.
            Path status = Path.of("/proc", Long.toString(lab.process.pid()), "status");
            Assumptions.assumeTrue(Files.isReadable(status), "no /proc: cannot tell whether SIGINT is ignored");
            long ignored = Files.readAllLines(status).stream()
                    .filter(l -> l.startsWith("SigIgn:"))
                    .map(l -> Long.parseUnsignedLong(
                            l.substring("SigIgn:".length()).trim(), 16))
                    .findFirst()
                    .orElse(0L);
            Assumptions.assumeTrue(
                    (ignored & 0b10) == 0, "SIGINT is ignored in this process tree (started in the background)");

            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(lab.process.pid()))
                    .redirectErrorStream(true)
                    .start();
            assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();

            assertStoppedCleanly(lab, base, 128 + 2);
        }
    }
}
