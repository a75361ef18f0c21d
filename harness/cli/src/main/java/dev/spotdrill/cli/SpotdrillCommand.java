package dev.spotdrill.cli;

import dev.spotdrill.cli.account.DoctorCommand;
import dev.spotdrill.cli.account.PolicyCommand;
import dev.spotdrill.cli.account.SweepCommand;
import dev.spotdrill.cli.lab.LabCommand;
import picocli.CommandLine.Command;

/**
 * The top command, {@code spotdrill}: it only groups the subcommands.
 *
 * <p>Each subcommand is a class of its own, listed here, with {@code mixinStandardHelpOptions} for {@code --help}
 * and returning an exit code from {@link ExitCodes}: {@code lab}, {@code doctor}, {@code sweep} and {@code policy}. A
 * check that fails returns {@link ExitCodes#FINDINGS}, a bad option throws {@link UsageException} or fails picocli's
 * parsing.
 */
@Command(
        name = "spotdrill",
        mixinStandardHelpOptions = true,
        versionProvider = Versions.class,
        description = "Chaos drills for EC2 Spot interruptions, and the lab they rehearse in.",
        subcommands = {LabCommand.class, DoctorCommand.class, SweepCommand.class, PolicyCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  ok", "  1  findings, or the command could not do its work", "  2  usage: a bad option or value"
        })
public final class SpotdrillCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(),
                "Missing command: name one of " + spec.subcommands().keySet());
    }
}
