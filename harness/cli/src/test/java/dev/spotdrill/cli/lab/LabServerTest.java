package dev.spotdrill.cli.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.spotdrill.cli.CliRun;
import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.junit.ExpectImdsNotice;
import dev.spotdrill.junit.ExpectRebalanceRecommendation;
import dev.spotdrill.junit.SpotDrill;
import dev.spotdrill.junit.SpotInterruption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * {@code spotdrill lab} in a child JVM, as a user runs it: drills in this JVM attach through
 * {@code spotdrill.lab.url}, {@code spotdrill lab fault set} switches a fault that the next drill catches, and the
 * files it writes work with kubectl and the AWS CLI.
 */
class LabServerTest {
    @TempDir
    static Path dir;

    static ChildProcess lab;
    static String url;
    static Path files;

    @BeforeAll
    static void startLab() throws Exception {
        files = dir.resolve("client");
        lab = ChildProcess.start(dir, Map.of(), "lab", "--pace", "60", "--out", files.toString());
        // a cold JVM and lab on a loaded 2-core machine: generous
        lab.awaitReady(Duration.ofSeconds(180));
        url = ExternalTools.envFile(files.resolve("env")).get("SPOTDRILL_LAB_URL");
    }

    @AfterAll
    static void stopLab() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @SpotDrill
    static class PassingDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a01", leadTime = "PT2M")
        @ExpectRebalanceRecommendation
        @ExpectImdsNotice
        void drill() {}
    }

    @SpotDrill
    static class NoticeDrill {
        @org.junit.jupiter.api.Test
        @SpotInterruption(instances = "i-0c0ffee0000000a02", leadTime = "PT2M")
        @ExpectImdsNotice
        void drill() {}
    }

    private static EngineExecutionResults runAttached(Class<?> fixture) {
        return EngineTestKit.engine("junit-jupiter")
                .configurationParameters(Map.of("spotdrill.world", "lab", "spotdrill.lab.url", url))
                .selectors(selectClass(fixture))
                .execute();
    }

    @Test
    void theLabPrintsOneTableOfEndpointsAndHowToUseTheFiles() throws Exception {
        String out = lab.out();

        assertThat(url).matches("http://127\\.0\\.0\\.1:\\d+");
        assertThat(out)
                .containsPattern("(?m)^SERVICE +ENDPOINT$")
                .containsPattern("(?m)^fis +http://127\\.0\\.0\\.1:\\d+$")
                .containsPattern("(?m)^kubernetes +http://127\\.0\\.0\\.1:\\d+ +kubeconfig context spotdrill-lab$")
                .containsPattern("(?m)^control +" + url.replace(".", "\\.") + " ")
                .containsPattern("(?m)^imds i-0c0ffee0000000a01 +http://127\\.0\\.0\\.1:\\d+ +m5\\.large us-east-1a"
                        + " spot running node ip-10-0-1-11\\.ec2\\.internal$")
                .contains("  set -a; . " + files.resolve("env") + "; set +a\n")
                .contains("  kubectl get nodes -o wide\n")
                .containsPattern("spotdrill lab: ready in \\d+\\.\\d s \\(\\d+\\.\\d s since the JVM started\\): lab"
                        + " lab-[0-9a-f]{8} at pace 60\\. Ctrl-C stops it\\.");
        // the secret key is in the files the user asked for, and nowhere in what the lab prints
        String secret = ExternalTools.envFile(files.resolve("env")).get("AWS_SECRET_ACCESS_KEY");
        assertThat(secret).isNotBlank();
        assertThat(out).doesNotContain(secret);
        assertThat(lab.err()).doesNotContain(secret);
        assertThat(Files.readString(files.resolve("aws-credentials"))).contains(secret);
    }

    @Test
    void aDrillInThisJvmAttachesThroughTheLabUrlAndPasses() {
        EngineExecutionResults results = runAttached(PassingDrill.class);

        results.testEvents().assertStatistics(s -> s.started(1).succeeded(1).failed(0));
        CliRun calls = CliRun.of("lab", "calls", "--url", url);
        assertThat(calls.exit()).as("%s", calls).isZero();
        assertThat(calls.out())
                .contains("\"operation\" : \"StartExperiment\"")
                .contains("\"caller\" : \"arn:aws:iam::123456789012:user/spotdrill-lab\"");
    }

    @Test
    void aFaultSetThroughTheCommandFailsTheNextDrillWithTheUsualMessage() throws Exception {
        ChildProcess.Result set = ChildProcess.run(dir, "lab", "fault", "set", "imds.no-notice", "--url", url);
        assertThat(set.exit()).as("%s", set).isZero();
        assertThat(set.out()).matches("lab lab-[0-9a-f]{8}: set imds.no-notice; active faults: imds.no-notice\n");
        try {
            EngineExecutionResults results = runAttached(NoticeDrill.class);

            results.testEvents().assertStatistics(s -> s.started(1).failed(1));
            Throwable failure = results.testEvents()
                    .failed()
                    .list()
                    .get(0)
                    .getRequiredPayload(TestExecutionResult.class)
                    .getThrowable()
                    .orElseThrow();
            assertThat(failure)
                    .hasMessageStartingWith("@ExpectImdsNotice(action=\"terminate\") missed for i-0c0ffee0000000a02"
                            + " (c5.large, us-east-1b)")
                    .hasMessageContaining("window: START..INTERRUPTION, from +0.0s to deadline +120.0s")
                    .hasMessageContaining("last seen: GET /latest/meta-data/spot/instance-action -> 404 Not Found");
        } finally {
            CliRun clear = CliRun.of("lab", "fault", "clear", "imds.no-notice", "--url", url);
            assertThat(clear.exit()).as("%s", clear).isZero();
            assertThat(clear.out()).endsWith(": cleared imds.no-notice; active faults: none\n");
        }
    }

    @Test
    void theFaultCommandsListTheFaultsAndRefuseABadValueWithTheFix() {
        CliRun list = CliRun.of("lab", "fault", "list", "--url", url);
        CliRun bad = CliRun.of("lab", "fault", "set", "terminationHandler.drain-delay=soon", "--url", url);
        CliRun unknown = CliRun.of("lab", "fault", "clear", "imds.no-notise", "--url", url);

        assertThat(list.exit()).isZero();
        assertThat(list.out())
                .containsPattern("^lab lab-[0-9a-f]{8}: active faults: none\n")
                .contains("Known faults:\n")
                .containsPattern("(?m)^  imds\\.no-notice +IMDS never shows the spot instance-action notice$");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err())
                .isEqualTo("spotdrill lab fault set: \"terminationHandler.drain-delay=soon\": fault"
                        + " terminationHandler.drain-delay is not an ISO-8601 duration; write it like PT30S or PT3M"
                        + " (usage: terminationHandler.drain-delay=<ISO-8601 duration, e.g. PT30S>)\n"
                        + "Run 'spotdrill lab fault set --help' for the options.\n");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).startsWith("spotdrill lab fault clear: \"imds.no-notise\": unknown fault");
    }

    @Test
    void theWrittenFilesWorkWithKubectlAndTheAwsCli() throws Exception {
        ExternalTools.require("kubectl", "install kubectl (Debian: apt-get install kubernetes-client)");
        ExternalTools.require("aws", "install the AWS CLI (Debian: apt-get install awscli)");
        Map<String, String> home = Map.of("HOME", dir.toString());

        ExternalTools.Result nodes = ExternalTools.run(
                home,
                dir,
                Duration.ofSeconds(60),
                "kubectl",
                "--kubeconfig",
                files.resolve("kubeconfig").toString(),
                "get",
                "nodes");
        ExternalTools.Result who = ExternalTools.run(
                Map.of(
                        "HOME", dir.toString(),
                        "AWS_CONFIG_FILE", files.resolve("aws-config").toString(),
                        "AWS_SHARED_CREDENTIALS_FILE",
                                files.resolve("aws-credentials").toString()),
                dir,
                Duration.ofSeconds(60),
                "aws",
                "--profile",
                "spotdrill-lab",
                "--output",
                "json",
                "sts",
                "get-caller-identity");

        assertThat(nodes.exit()).as("%s", nodes).isZero();
        assertThat(nodes.out())
                .containsPattern("(?m)^NAME +STATUS +ROLES +AGE +VERSION$")
                // a node that no drill of this class interrupts
                .containsPattern("(?m)^ip-10-0-1-14\\.ec2\\.internal +Ready ");
        assertThat(who.exit()).as("%s", who).isZero();
        assertThat(who.out())
                .contains("\"Account\": \"123456789012\"")
                .contains("\"Arn\": \"arn:aws:iam::123456789012:user/spotdrill-lab\"");
        assertThat(ExternalTools.envFile(files.resolve("env")))
                .containsKeys("KUBECONFIG", "AWS_PROFILE", "SPOTDRILL_LAB_URL");
    }
}
