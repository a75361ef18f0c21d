package dev.spotdrill.junit;

import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.awaitility.core.ConditionFactory;

/**
 * The live drill of the current test, resolved as a test method parameter.
 *
 * <pre>{@code
 * void checkoutKeepsServing(InterruptionRun run) {
 *     run.await().untilAsserted(() -> assertThat(health()).isTrue());
 * }
 * }</pre>
 */
public interface InterruptionRun {

    /** The FIS experiment id. */
    String experimentId();

    /** The FIS template id (the template is deleted when the test ends). */
    String templateId();

    /** The drill's run id, tagged on the template and the experiment as {@code spotdrill:run-id}. */
    String runId();

    /** The interrupted instances. */
    List<Target> targets();

    /** When the first target's instance-action notice was seen, if it has been (world time). */
    Optional<Instant> noticeTime();

    /** When the given target's instance-action notice was seen, if it has been (world time). */
    Optional<Instant> noticeTime(String instanceId);

    /** START: when the experiment's Spot action began (world time). */
    Instant startTime();

    /** INTERRUPTION: START plus the lead time (world time). */
    Instant interruptionTime();

    /** Everything observed so far. */
    Timeline timeline();

    /**
     * How to reach the drill's Kubernetes cluster (the lab's API server, or the configured kubeconfig and context),
     * empty when the world has none. Build your own client from it; spotdrill keeps Fabric8 types out of its API.
     */
    Optional<dev.spotdrill.core.KubeAccess> kubernetes();

    /** The world the drill runs in: its clock gives world time. */
    World world();

    /**
     * An Awaitility condition factory bounded by the drill's last deadline, polling at the world's pace. Use it
     * instead of sleeping.
     */
    ConditionFactory await();
}
