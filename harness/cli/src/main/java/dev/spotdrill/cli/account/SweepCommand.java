package dev.spotdrill.cli.account;

import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.cli.WorldSelection;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldProvider;
import dev.spotdrill.core.drill.Leftovers;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code spotdrill sweep}: what killed drills left ({@link Leftovers#sweep}), found by tag: a dry run unless
 * {@code --clean}. It never touches what a live run owns. Exit 0 when nothing is (left) to remove, 1 otherwise.
 */
@Command(
        name = "sweep",
        mixinStandardHelpOptions = true,
        versionProvider = dev.spotdrill.cli.Versions.class,
        description = {
            "Find what drills left after a SIGKILL: FIS templates and experiments, EventBridge rules, SQS queues, IMDS"
                    + " probe pods and claim tags, by their spotdrill tags. A dry run unless --clean.",
            "It never touches what a live run owns (a run is live while one of its claims has not expired)."
        },
        footerHeading = "%nExit codes:%n",
        footer = {
            "  0  nothing to remove (or everything removed with --clean)",
            "  1  leftovers to remove (dry run), or a removal failed",
            "  2  usage: a bad option or value"
        })
public final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    WorldSelection selection;

    @Option(names = "--clean", description = "Remove what the dry run lists (stopping experiments first).")
    boolean clean;

    @Option(
            names = "--older-than",
            paramLabel = "<ISO-8601 duration>",
            defaultValue = "PT2H",
            converter = AgeConverter.class,
            description = "Take only items at least this old (world time, by their spotdrill:created-at tag); expired"
                    + " claims go whatever their age. Default: ${DEFAULT-VALUE}.")
    Duration olderThan;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (WorldProvider.WorldHandle handle = WorldSelection.open(selection.config())) {
            World world = handle.world();
            out.println("spotdrill sweep: " + WorldSelection.describe(world) + (clean ? "" : ", dry run"));
            Leftovers.SweepOptions options = Leftovers.SweepOptions.defaults().olderThan(olderThan);
            if (clean) {
                options = options.cleaning();
            }
            Leftovers.SweepReport report = Leftovers.sweep(world, options);
            report.lines().forEach(l -> out.println(Redactor.redact(l)));
            out.flush();
            return report.findings() ? ExitCodes.FINDINGS : ExitCodes.OK;
        }
    }

    /** An ISO-8601 duration of zero or more. */
    static final class AgeConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                Duration d = Duration.parse(value);
                if (!d.isNegative()) {
                    return d;
                }
            } catch (DateTimeParseException e) {
                // below
            }
            throw new TypeConversionException(
                    "'" + value + "' is not an ISO-8601 duration of zero or more; write e.g. PT2H, PT30M or PT0S");
        }
    }
}
