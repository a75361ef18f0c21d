package dev.spotdrill.cli;

import dev.spotdrill.core.AwsWorldProvider;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The world a command works in, chosen as the harness chooses it: {@code spotdrill.world} ({@code SPOTDRILL_WORLD},
 * default {@code lab}) and the other {@code spotdrill.*} settings from {@code -D}, system properties and
 * {@code SPOTDRILL_*} variables; {@code --lab-url} attaches to a running {@code spotdrill lab}.
 */
public final class WorldSelection {
    @Option(
            names = "--lab-url",
            paramLabel = "<control URL>",
            description = "Work in the lab served by `spotdrill lab` at this control URL (sets spotdrill.world=lab and"
                    + " spotdrill.lab.url). Without it: spotdrill.world / SPOTDRILL_WORLD (aws for a real account).")
    String labUrl;

    @Option(
            names = "-D",
            paramLabel = "<spotdrill.key=value>",
            description = "A setting, as the harness reads it, e.g. -Dspotdrill.guard.accounts=123456789012 (overrides"
                    + " system properties and SPOTDRILL_* variables).")
    Map<String, String> settings = new LinkedHashMap<>();

    /** The configuration: {@code -D} settings and {@code --lab-url} over system properties and the environment. */
    public SpotDrillConfig config() {
        for (String key : settings.keySet()) {
            if (!key.startsWith("spotdrill.")) {
                throw new UsageException("-D" + key + ": not a spotdrill setting; settings start with spotdrill., e.g."
                        + " -Dspotdrill.guard.accounts=123456789012");
            }
        }
        Map<String, String> over = new LinkedHashMap<>(settings);
        if (labUrl != null) {
            over.put(SpotDrillConfig.WORLD, World.LAB);
            over.put(SpotDrillConfig.LAB_URL, labUrl);
        }
        return SpotDrillConfig.fromSystem().with(over);
    }

    /** Opens the world of the configuration; close it when done. */
    public static WorldProvider.WorldHandle open(SpotDrillConfig config) {
        return AwsWorldProvider.find(config.get(SpotDrillConfig.WORLD, World.LAB))
                .open(config);
    }

    /** {@code world aws, region eu-west-1} or {@code world lab at http://...}, for a command's first line. */
    public static String describe(World world) {
        String where = world.facts().containsKey("control")
                ? " at " + world.facts().get("control")
                : world.name().equals(World.LAB) ? " (started for this command)" : "";
        return "world " + world.name() + where + ", region " + world.region();
    }
}
