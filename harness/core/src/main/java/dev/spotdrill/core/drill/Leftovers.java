package dev.spotdrill.core.drill;

import dev.spotdrill.core.World;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.internal.AwsBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds, and cleans up, what drills left in FIS: experiment templates and experiments tagged
 * {@code spotdrill:run-id}. A drill always deletes its template and stops its experiment when the test aborts; a
 * JVM that was killed cannot, and this is how a nightly job sweeps after it.
 *
 * <pre>{@code
 * List<Leftovers.Item> left = Leftovers.find(world);
 * Leftovers.clean(world);   // stops running experiments, deletes templates
 * }</pre>
 */
public final class Leftovers {
    /** The tag every template and experiment of a drill carries. */
    public static final String RUN_ID_TAG = "spotdrill:run-id";

    private Leftovers() {}

    /**
     * One thing a drill left.
     *
     * @param kind {@code template} or {@code experiment}
     * @param id its FIS id
     * @param runId the drill's run id
     * @param test the test that ran the drill
     * @param status the experiment's status; empty for a template
     */
    public record Item(String kind, String id, String runId, String test, String status) {
        /** Whether an experiment is still active (so {@link #clean} stops it). */
        public boolean active() {
            return List.of("pending", "initiating", "running").contains(status);
        }
    }

    /**
     * Lists (or with {@code --clean}, cleans) the leftovers in the {@code aws} world configured by system properties
     * and {@code SPOTDRILL_*} variables, for example from a nightly job: {@code java -cp ...
     * dev.spotdrill.core.drill.Leftovers --clean}.
     */
    public static void main(String[] args) {
        World world = World.aws(dev.spotdrill.core.SpotDrillConfig.fromSystem());
        boolean clean = List.of(args).contains("--clean");
        List<Item> items = clean ? clean(world) : find(world);
        for (Item i : items) {
            System.out.println((clean ? "cleaned " : "found ") + i.kind() + " " + i.id() + " run " + i.runId()
                    + " test " + i.test() + (i.status().isEmpty() ? "" : " (" + i.status() + ")"));
        }
        System.out.println(items.size() + " leftover(s) in " + world.region());
    }

    /** Every template, and every experiment that has not ended, tagged by a drill. */
    public static List<Item> find(World world) {
        return find(new SdkAwsBackend(world));
    }

    static List<Item> find(AwsBackend backend) {
        List<Item> out = new ArrayList<>();
        for (AwsBackend.Tagged t : backend.taggedTemplates(RUN_ID_TAG)) {
            out.add(new Item(
                    "template", t.id(), t.tags().get(RUN_ID_TAG), t.tags().getOrDefault("spotdrill:test", ""), ""));
        }
        for (AwsBackend.Tagged e : backend.taggedExperiments(RUN_ID_TAG)) {
            if (List.of("pending", "initiating", "running", "stopping").contains(e.status())) {
                out.add(new Item(
                        "experiment",
                        e.id(),
                        e.tags().get(RUN_ID_TAG),
                        e.tags().getOrDefault("spotdrill:test", ""),
                        e.status()));
            }
        }
        return out;
    }

    /** Stops every active tagged experiment and deletes every tagged template; returns what it found. */
    public static List<Item> clean(World world) {
        AwsBackend backend = new SdkAwsBackend(world);
        List<Item> items = find(backend);
        for (Item i : items) {
            if (i.kind().equals("experiment") && i.active()) {
                backend.stopExperiment(i.id());
            }
        }
        for (Item i : items) {
            if (i.kind().equals("template")) {
                backend.deleteTemplate(i.id());
            }
        }
        return items;
    }
}
