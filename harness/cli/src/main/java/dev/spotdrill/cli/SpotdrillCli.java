package dev.spotdrill.cli;

import dev.spotdrill.core.SpotDrillConfigurationException;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Runs {@code spotdrill} command lines: the one place that turns outcomes into {@link ExitCodes}. A parse error or a
 * {@link UsageException} (or a configuration error) prints its message and a pointer to {@code --help} and gives
 * {@link ExitCodes#USAGE}; a {@link CommandFailedException} prints its message and gives {@link ExitCodes#FINDINGS}.
 */
public final class SpotdrillCli {
    private SpotdrillCli() {}

    /** A command line for {@code spotdrill}, printing to the given writers. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SpotdrillCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, c.getErr())) {
                c.getErr().println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            }
            c.getErr().flush();
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            String name = c.getCommandSpec().qualifiedName();
            if (e instanceof UsageException || e instanceof SpotDrillConfigurationException) {
                c.getErr().println(name + ": " + e.getMessage());
                c.getErr().println("Run '" + name + " --help' for the options.");
                c.getErr().flush();
                return ExitCodes.USAGE;
            }
            if (e instanceof CommandFailedException) {
                c.getErr().println(name + ": " + e.getMessage());
                c.getErr().flush();
                return ExitCodes.FINDINGS;
            }
            c.getErr().println(name + ": failed: " + e);
            e.printStackTrace(c.getErr());
            c.getErr().flush();
            return ExitCodes.FINDINGS;
        });
        return cl;
    }

    /** Runs a command line and returns its exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        int code = commandLine(out, err).execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
