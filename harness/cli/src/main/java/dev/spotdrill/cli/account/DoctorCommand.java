package dev.spotdrill.cli.account;

import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.cli.WorldSelection;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldProvider;
import dev.spotdrill.core.check.Check;
import dev.spotdrill.core.check.Preflight;
import dev.spotdrill.core.drill.DrillOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code spotdrill doctor}: everything a drill needs, checked before the first night without creating anything, one
 * line each, ✓ or ✗ with the fix ({@link Preflight#all}). Exit 0 when every line is ✓, 1 otherwise.
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        versionProvider = dev.spotdrill.cli.Versions.class,
        description = {
            "Check, without creating anything, what a drill needs: credentials and the account allowlist, FIS's Spot"
                    + " action in the region, the FIS role, opt-in Spot instances, the Kubernetes rights, the IMDS"
                    + " route, EventBridge and SQS. Each line is ✓, or ✗ with the fix.",
            "For a real account: SPOTDRILL_WORLD=aws with the settings the suite uses (SPOTDRILL_* or -D)."
        },
        footerHeading = "%nExit codes:%n",
        footer = {"  0  every check passed", "  1  a check failed (see its fix)", "  2  usage: a bad option or value"})
public final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    WorldSelection selection;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        SpotDrillConfig config = selection.config();
        try (WorldProvider.WorldHandle handle = WorldSelection.open(config)) {
            World world = handle.world();
            out.println("spotdrill doctor: " + WorldSelection.describe(world));
            List<Check> checks = new ArrayList<>();
            Optional<String> settingsProblem = Optional.empty();
            DrillOptions options;
            try {
                options = DrillOptions.from(config, world);
            } catch (SpotDrillConfigurationException e) {
                settingsProblem = Optional.of(e.getMessage());
                options = lenient(config);
            }
            settingsProblem.ifPresent(m -> {
                int fix = m.lastIndexOf("; ");
                checks.add(
                        fix > 0
                                ? Check.failed("settings", m.substring(0, fix), m.substring(fix + 2))
                                : Check.failed("settings", m, "correct the setting"));
            });
            checks.addAll(Preflight.all(world, options));
            for (Check c : checks) {
                out.println(Redactor.redact(c.line()));
            }
            long failed = checks.stream().filter(c -> !c.ok()).count();
            out.println(
                    failed == 0
                            ? "all " + checks.size() + " checks passed"
                            : failed + " of " + checks.size() + " checks failed: fix them and run spotdrill doctor"
                                    + " again");
            out.flush();
            return failed == 0 ? ExitCodes.OK : ExitCodes.FINDINGS;
        }
    }

    /** The defaults with the allowlist that can be read, for the checks after a settings problem. */
    private static DrillOptions lenient(SpotDrillConfig config) {
        DrillOptions d = DrillOptions.defaults();
        List<String> accounts = config.list(SpotDrillConfig.GUARD_ACCOUNTS).stream()
                .filter(a -> a.matches("\\d{12}"))
                .toList();
        return new DrillOptions(
                d.optInKey(),
                d.optInValue(),
                accounts,
                d.maxTargets(),
                Optional.empty(),
                d.roleName(),
                Optional.empty(),
                d.quotaWait(),
                d.imdsVia(),
                Optional.empty(),
                d.probeImage(),
                config);
    }
}
