package dev.spotdrill.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line itself, in this JVM: help on every command, exit codes, and bad options named with the fix. */
class SpotdrillCliTest {

    static List<List<String>> commands() {
        return List.of(
                List.of(),
                List.of("lab"),
                List.of("lab", "fault"),
                List.of("lab", "fault", "set"),
                List.of("lab", "fault", "clear"),
                List.of("lab", "fault", "list"),
                List.of("lab", "calls"));
    }

    @ParameterizedTest
    @MethodSource("commands")
    void everyCommandHasHelp(List<String> command) {
        String[] args = java.util.stream.Stream.concat(command.stream(), java.util.stream.Stream.of("--help"))
                .toArray(String[]::new);

        CliRun r = CliRun.of(args);

        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(r.out())
                .startsWith("Usage: "
                        + String.join(
                                " ",
                                java.util.stream.Stream.concat(
                                                java.util.stream.Stream.of("spotdrill"), command.stream())
                                        .toList()));
        assertThat(r.err()).isEmpty();
    }

    @Test
    void theTopHelpListsTheCommandsAndTheExitCodes() {
        CliRun r = CliRun.of("--help");

        assertThat(r.out())
                .contains("Commands:\n  lab ")
                .contains("Exit codes:\n  0  ok\n  1  findings, or the command could not do its work\n"
                        + "  2  usage: a bad option or value");
    }

    @Test
    void everyCommandSaysItsVersion() {
        assertThat(CliRun.of("--version").out()).startsWith("spotdrill ");
        assertThat(CliRun.of("lab", "--version").out()).startsWith("spotdrill ");
        assertThat(CliRun.of("lab", "fault", "set", "--version").out()).startsWith("spotdrill ");
    }

    @Test
    void noCommandIsAUsageError() {
        CliRun r = CliRun.of();

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err())
                .isEqualTo("spotdrill: Missing command: name one of [lab, doctor, sweep, policy]\n"
                        + "Run 'spotdrill --help' for the options.\n");
    }

    @Test
    void aBadPaceIsNamedWithAnExample() {
        CliRun abc = CliRun.of("lab", "--pace", "abc");
        CliRun zero = CliRun.of("lab", "--pace", "0");

        assertThat(abc.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(abc.err())
                .isEqualTo("spotdrill lab: Invalid value for option '--pace': 'abc' is not a positive number of world"
                        + " seconds per wall second; use for example --pace 1 (real time) or --pace 60 (a two-minute"
                        + " notice in 2 s)\nRun 'spotdrill lab --help' for the options.\n");
        assertThat(zero.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(zero.err()).contains("'0' is not a positive number of world seconds per wall second");
        assertThat(abc.out()).isEmpty();
    }

    @Test
    void aPortBaseOutsideTheRangeIsNamedWithAnExample() {
        CliRun r = CliRun.of("lab", "--port-base", "80");

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err())
                .startsWith("spotdrill lab: Invalid value for option '--port-base': '80' is not a port from 1024 to"
                        + " 64535; use for example --port-base 4600 (the lab then takes 4600-4610, and 4611 on for"
                        + " the instances' IMDS)\n");
    }

    @Test
    void anUnknownOrBadFaultIsNamedBeforeAnythingStarts() {
        CliRun unknown = CliRun.of("lab", "--faults", "imds.no-notise");
        CliRun badValue = CliRun.of("lab", "--faults", "imds.no-notice,terminationHandler.drain-delay=soon");

        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err())
                .startsWith("spotdrill lab: --faults \"imds.no-notise\": unknown fault \"imds.no-notise\"; known"
                        + " faults: ")
                .contains("Write faults comma-separated, e.g. --faults imds.no-notice,fis.throttle=2\n")
                .endsWith("Run 'spotdrill lab --help' for the options.\n");
        assertThat(badValue.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badValue.err())
                .startsWith("spotdrill lab: --faults \"terminationHandler.drain-delay=soon\": fault"
                        + " terminationHandler.drain-delay is not an ISO-8601 duration; write it like PT30S or PT3M");
    }

    @Test
    void anUnknownScenarioIsNamed() {
        CliRun r = CliRun.of("lab", "--scenario", "no-such-scenario");

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err())
                .startsWith("spotdrill lab: --scenario no-such-scenario: scenario \"no-such-scenario\" not found:")
                .contains("use a built-in name (shop, fleet), a classpath resource or an existing YAML file");
    }

    @Test
    void anUnknownOptionGetsASuggestion() {
        CliRun r = CliRun.of("lab", "--port", "4600");

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err())
                .isEqualTo("spotdrill lab: Unknown options: '--port', '4600'\nPossible solutions: --port-base\n");
    }

    @Test
    void aFaultCommandWithoutALabSaysWhereTheUrlComesFrom() {
        CliRun noUrl = CliRun.of("lab", "fault", "list");
        CliRun badUrl = CliRun.of("lab", "fault", "list", "--url", "127.0.0.1:4609");

        assertThat(noUrl.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(noUrl.err())
                .isEqualTo("spotdrill lab fault list: no lab to talk to: pass --url <control URL> (spotdrill lab prints"
                        + " it), or set SPOTDRILL_LAB_URL (set -a; . spotdrill-lab/env; set +a), or run this where"
                        + " ./spotdrill-lab/env is\nRun 'spotdrill lab fault list --help' for the options.\n");
        assertThat(badUrl.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badUrl.err())
                .startsWith("spotdrill lab fault list: --url \"127.0.0.1:4609\": not an http URL with a host and a"
                        + " port;");
    }

    @Test
    void aLabThatDoesNotAnswerIsAFailureNotAUsageError() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }

        CliRun r = CliRun.of("lab", "fault", "set", "imds.no-notice", "--url", "http://127.0.0.1:" + closed);

        assertThat(r.exit()).isEqualTo(ExitCodes.FINDINGS);
        assertThat(r.err())
                .startsWith("spotdrill lab fault set: no lab answers at http://127.0.0.1:" + closed + " (")
                .endsWith("); is spotdrill lab still running? It prints its control URL when it starts\n");
    }

    @Test
    void clearNeedsNamesOrAll() {
        CliRun none = CliRun.of("lab", "fault", "clear", "--url", "http://127.0.0.1:1");
        CliRun both = CliRun.of("lab", "fault", "clear", "--all", "imds.no-notice", "--url", "http://127.0.0.1:1");

        assertThat(none.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err())
                .startsWith("spotdrill lab fault clear: name the faults to clear, e.g. spotdrill lab fault clear"
                        + " imds.no-notice, or give --all\n");
        assertThat(both.err()).startsWith("spotdrill lab fault clear: name faults or give --all, not both\n");
    }
}
