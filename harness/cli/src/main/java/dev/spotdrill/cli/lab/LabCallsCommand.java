package dev.spotdrill.cli.lab;

import dev.spotdrill.cli.ExitCodes;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code spotdrill lab calls}: prints a running lab's API-call log as JSON. */
@Command(
        name = "calls",
        mixinStandardHelpOptions = true,
        versionProvider = dev.spotdrill.cli.Versions.class,
        description =
                "Print a running lab's API-call log as JSON: world time, service, operation, caller, status, error"
                        + " code and resource of every call it served.")
public final class LabCallsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    LabUrlOption url;

    @Option(
            names = "--since",
            paramLabel = "<instant>",
            description = "Only calls at or after this world time, e.g. 2026-11-27T06:32:49Z.")
    String since;

    @Override
    public Integer call() {
        LabClient client = url.client();
        String path = since == null ? "calls" : "calls?since=" + URLEncoder.encode(since, StandardCharsets.UTF_8);
        if (since != null) {
            client.get(path); // a bad instant is a usage error (400), said before printing anything
        }
        spec.commandLine().getOut().print(client.getRaw(path));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
