package dev.spotdrill.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of a {@code spotdrill} command line: its exit code, stdout and stderr. */
public record CliRun(int exit, String out, String err) {

    /** Runs the command line in this JVM. */
    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SpotdrillCli.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
