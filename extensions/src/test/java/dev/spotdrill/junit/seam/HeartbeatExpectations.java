package dev.spotdrill.junit.seam;

import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.junit.spi.ExpectationAnnotations;
import dev.spotdrill.junit.spi.Windows;
import java.util.List;

/** Registers {@link ExpectHeartbeat} through the same SPI the built-in annotations use. */
public final class HeartbeatExpectations implements ExpectationAnnotations {
    @Override
    public void register(Registry registry) {
        registry.add(
                ExpectHeartbeat.class,
                a ->
                        new Expectations.Observed(
                                "@ExpectHeartbeat(beats=" + a.beats() + ")",
                                Windows.of("ExpectHeartbeat", a.from(), a.within()),
                                List.of(SourceRequest.of(HeartbeatSource.KIND, "every", a.every())),
                                o -> o.source().equals(HeartbeatSource.KIND)
                                        && Integer.parseInt(o.data().get("n")) >= a.beats(),
                                "test-heartbeat") {
                            @Override
                            public boolean perTarget() {
                                return false;
                            }
                        });
    }
}
