package dev.spotdrill.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.List;

/** The {@code spotdrill} command's entry point; {@code ./spotdrill} at the repository root runs it. */
public final class Main {
    /**
     * Vert.x (under the Kubernetes client) warns, with a stack trace, whenever a busy machine holds one of its event
     * loops for two seconds; that is noise on a terminal, so unless -v only its errors show. Held here: JUL keeps
     * loggers weakly.
     */
    private static final java.util.logging.Logger VERTX_BLOCKED =
            java.util.logging.Logger.getLogger("io.vertx.core.impl.BlockedThreadChecker");

    private Main() {}

    public static void main(String[] args) {
        // slf4j-simple reads these once: warnings only unless -v/--verbose; never on stdout, which carries results
        boolean verbose = List.of(args).contains("-v") || List.of(args).contains("--verbose");
        System.setProperty(
                "org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn"));
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        if (!verbose) {
            System.setProperty("org.slf4j.simpleLogger.log.io.vertx.core.impl.BlockedThreadChecker", "error");
            VERTX_BLOCKED.setLevel(java.util.logging.Level.SEVERE);
        }
        Charset cs = Charset.defaultCharset();
        int code = SpotdrillCli.execute(
                new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true),
                new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true),
                args);
        System.exit(code);
    }
}
