package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.SpotDrillConfigurationException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** A lab with a port base listens on fixed ports, says which port is taken, and frees them when closed. */
class PortBaseTest {

    /** A base whose 30 ports are free now (other builds share this machine, so a random range is tried). */
    static int freeBase() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 30_000);
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
        throw new IllegalStateException("no 30 free ports found between 20000 and 30030");
    }

    private static int port(URI u) {
        return u.getPort();
    }

    @Test
    void everyServerListensAtItsOffsetFromTheBase() {
        int base = freeBase();
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().pace(60).portBase(base).build());
                LabControl control = LabControl.start(lab)) {
            var w = lab.world();
            assertThat(port(w.endpoint(AwsService.FIS).orElseThrow())).isEqualTo(base);
            assertThat(port(w.endpoint(AwsService.EC2).orElseThrow())).isEqualTo(base + 1);
            assertThat(port(w.endpoint(AwsService.STS).orElseThrow())).isEqualTo(base + 2);
            assertThat(port(w.endpoint(AwsService.IAM).orElseThrow())).isEqualTo(base + 3);
            assertThat(port(w.endpoint(AwsService.EVENTBRIDGE).orElseThrow())).isEqualTo(base + 4);
            assertThat(port(w.endpoint(AwsService.SQS).orElseThrow())).isEqualTo(base + 5);
            assertThat(port(lab.spotAdvisor().url())).isEqualTo(base + 6);
            assertThat(port(lab.castAi().url())).isEqualTo(base + 7);
            assertThat(port(lab.cluster().orElseThrow().masterUrl())).isEqualTo(base + 8);
            assertThat(port(control.url())).isEqualTo(base + 9);
            // the n-th instance's IMDS, whatever order they are asked for in
            // (a03 is the shop's third instance: index 2)
            assertThat(port(w.imdsEndpoint("i-0c0ffee0000000a03"))).isEqualTo(base + LabPorts.IMDS_OFFSET + 2);
            assertThat(port(w.imdsEndpoint("i-0c0ffee0000000a01"))).isEqualTo(base + LabPorts.IMDS_OFFSET);
            assertThat(lab.ports().base()).hasValue(base);
        }
    }

    @Test
    void aTakenPortIsNamedWithTheFixAndTheLabStartsAgainOnceItIsFree() throws IOException {
        int base = freeBase();
        try (ServerSocket squatter = new ServerSocket(base + 1, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> SpotLab.start(
                            LabOptions.builder().pace(60).portBase(base).build()))
                    .isInstanceOf(SpotDrillConfigurationException.class)
                    .hasMessageStartingWith("lab port " + (base + 1) + " for ec2 on 127.0.0.1 is in use (")
                    .hasMessageEndingWith("); stop what listens there, or choose another port base (a lab takes the"
                            + " base and the 9 ports after it, and one more per instance for its IMDS)");
        }
        // the failed start released what it had bound (FIS at the base): the same base works now
        try (SpotLab lab =
                SpotLab.start(LabOptions.builder().pace(60).portBase(base).build())) {
            assertThat(port(lab.world().endpoint(AwsService.FIS).orElseThrow())).isEqualTo(base);
        }
    }

    @Test
    void aBaseOutsideTheRangeIsRefusedWithAnExample() {
        assertThatThrownBy(() -> LabOptions.builder().portBase(80))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port base 80 is outside 1024..64535; choose for example 4600 (the lab then uses"
                        + " 4600..4609, and 4610 on for the instances' IMDS)");
        assertThatThrownBy(() -> LabOptions.builder().portBase(65000))
                .hasMessageStartingWith("port base 65000 is outside 1024..64535");
    }
}
