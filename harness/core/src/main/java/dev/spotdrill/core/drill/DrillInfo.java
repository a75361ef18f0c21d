package dev.spotdrill.core.drill;

import dev.spotdrill.core.World;
import java.time.Duration;
import java.util.Objects;

/**
 * What a listener knows of a drill from its start: its run id, the test it belongs to, the world and the
 * spec.
 *
 * @param runId the drill's unique run id, also tagged on the template and experiment as {@code spotdrill:run-id}
 * @param testName the test (or caller) that runs the drill
 * @param world the world
 * @param spec the drill's spec
 */
public record DrillInfo(String runId, String testName, World world, DrillSpec spec) {

    public DrillInfo {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(testName, "testName");
        Objects.requireNonNull(world, "world");
        Objects.requireNonNull(spec, "spec");
    }

    /** The drill's lead time; {@link Duration#ZERO} for an observation-only drill. */
    public Duration leadTime() {
        return spec.observationOnly() ? Duration.ZERO : spec.leadTime();
    }
}
