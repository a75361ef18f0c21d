package dev.spotdrill.cli.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.cli.UsageException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code spotdrill lab fault set|clear|list}: a running lab's faults, switched at run time. */
@Command(
        name = "fault",
        mixinStandardHelpOptions = true,
        versionProvider = dev.spotdrill.cli.Versions.class,
        description = "Switch a running lab's faults: set <name[=value]>, clear <name>, list.",
        subcommands = {LabFaultCommand.Set.class, LabFaultCommand.Clear.class, LabFaultCommand.ListFaults.class})
public final class LabFaultCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(),
                "Missing subcommand: name one of " + spec.subcommands().keySet());
    }

    /** {@code spotdrill lab fault set}. */
    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            versionProvider = dev.spotdrill.cli.Versions.class,
            description = "Switch faults on (or change their value), checked as at start: e.g. imds.no-notice,"
                    + " terminationHandler.drain-delay=PT3M.")
    static final class Set implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        LabUrlOption url;

        @Parameters(arity = "1..*", paramLabel = "<name[=value]>", description = "The faults to switch on.")
        List<String> faults;

        @Override
        public Integer call() {
            LabClient client = url.client();
            JsonNode state = null;
            for (String f : faults) {
                state = client.post(
                        "faults", JsonNodeFactory.instance.objectNode().put("fault", f));
            }
            print(spec.commandLine().getOut(), state, "set " + String.join(", ", faults));
            return ExitCodes.OK;
        }
    }

    /** {@code spotdrill lab fault clear}. */
    @Command(
            name = "clear",
            mixinStandardHelpOptions = true,
            versionProvider = dev.spotdrill.cli.Versions.class,
            description = "Switch faults off (a fault that is not on stays off), or all of them with --all.")
    static final class Clear implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        LabUrlOption url;

        @Option(names = "--all", description = "Switch every fault off.")
        boolean all;

        @Parameters(arity = "0..*", paramLabel = "<name>", description = "The faults to switch off.")
        List<String> faults = new ArrayList<>();

        @Override
        public Integer call() {
            if (all == !faults.isEmpty()) {
                throw new UsageException(
                        all
                                ? "name faults or give --all, not both"
                                : "name the faults to clear, e.g. spotdrill lab fault clear imds.no-notice, or give --all");
            }
            LabClient client = url.client();
            JsonNode state = null;
            if (all) {
                state = client.delete("faults");
            }
            for (String f : faults) {
                String name = f.contains("=") ? f.substring(0, f.indexOf('=')) : f;
                state = client.delete("faults/" + URLEncoder.encode(name.trim(), StandardCharsets.UTF_8));
            }
            print(spec.commandLine().getOut(), state, all ? "cleared all" : "cleared " + String.join(", ", faults));
            return ExitCodes.OK;
        }
    }

    /** {@code spotdrill lab fault list}. */
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            versionProvider = dev.spotdrill.cli.Versions.class,
            description = "Show the faults that are on, and every fault the lab knows.")
    static final class ListFaults implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        LabUrlOption url;

        @Override
        public Integer call() {
            JsonNode state = url.client().get("faults");
            PrintWriter o = spec.commandLine().getOut();
            o.println("lab " + state.path("lab").asText() + ": active faults: " + active(state));
            o.println();
            int w = 0;
            for (JsonNode k : state.path("known")) {
                w = Math.max(w, k.path("usage").asText().length());
            }
            o.println("Known faults:");
            for (JsonNode k : state.path("known")) {
                o.printf(
                        "  %-" + w + "s  %s%n",
                        k.path("usage").asText(),
                        k.path("description").asText());
            }
            o.flush();
            return ExitCodes.OK;
        }
    }

    private static void print(PrintWriter o, JsonNode state, String what) {
        o.println("lab " + state.path("lab").asText() + ": " + what + "; active faults: " + active(state));
        o.flush();
    }

    private static String active(JsonNode state) {
        List<String> on = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = state.path("active").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            on.add(
                    e.getValue().asText().isEmpty()
                            ? e.getKey()
                            : e.getKey() + "=" + e.getValue().asText());
        }
        return on.isEmpty() ? "none" : String.join(", ", on);
    }
}
