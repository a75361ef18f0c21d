package dev.spotdrill.core.drill;

import dev.spotdrill.core.World;
import dev.spotdrill.core.aws.EventQueue;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.internal.AwsBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds, and cleans up, what drills left: FIS experiment templates and experiments tagged {@code spotdrill:run-id},
 * and the EventBridge rules and SQS queues named {@code spotdrill-...} with that tag (see
 * {@link dev.spotdrill.core.aws.EventQueue}). A drill always deletes its template, rule and queue and stops its
 * experiment when the test aborts; a JVM that was killed cannot, and this is how a nightly job sweeps after it.
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
     * @param kind {@code template}, {@code experiment}, {@code rule} or {@code queue}
     * @param id its FIS id, the rule's name or the queue's URL
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

    /**
     * Every template, every experiment that has not ended, and every rule and queue, tagged by a drill. Listing rules
     * and queues needs {@code events:ListRules}, {@code events:ListTagsForResource}, {@code sqs:ListQueues} and
     * {@code sqs:ListQueueTags}.
     */
    public static List<Item> find(World world) {
        List<Item> out = find(new SdkAwsBackend(world));
        for (EventQueue.Leftover l : EventQueue.leftovers(world, RUN_ID_TAG)) {
            out.add(item(l));
        }
        return out;
    }

    private static Item item(EventQueue.Leftover l) {
        return new Item(l.kind(), l.id(), l.tags().get(RUN_ID_TAG), l.tags().getOrDefault("spotdrill:test", ""), "");
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

    /**
     * Stops every active tagged experiment, deletes every tagged template, removes every tagged rule (its targets
     * first) and queue; returns what it found.
     */
    public static List<Item> clean(World world) {
        AwsBackend backend = new SdkAwsBackend(world);
        List<Item> items = find(backend);
        for (EventQueue.Leftover l : EventQueue.leftovers(world, RUN_ID_TAG)) {
            EventQueue.remove(world, l);
            items.add(item(l));
        }
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
