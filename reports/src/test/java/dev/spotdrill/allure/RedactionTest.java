package dev.spotdrill.allure;

import static dev.spotdrill.allure.Drills.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.Secret;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Phase;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.report.ConsoleProgress;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.FileSystemResultsWriter;
import io.qameta.allure.model.TestResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the CAST AI key (as read from SPOTDRILL_CASTAI_API_KEY) and static AWS keys in the world, no file under
 * allure-results and no console line holds any of them, wherever the drill's events carried them.
 */
class RedactionTest {
    @TempDir
    Path results;

    @Test
    void noSecretReachesAllureResultsOrTheConsole() throws Exception {
        long n = System.nanoTime();
        // set by surefire for this module (reports/pom.xml); the harness registers it without being told
        String castAiKey = System.getenv("SPOTDRILL_CASTAI_API_KEY");
        assertThat(castAiKey).as("SPOTDRILL_CASTAI_API_KEY from surefire").startsWith("castai-");
        assertThat(dev.spotdrill.core.SpotDrillConfig.castAiApiKey())
                .map(Secret::reveal)
                .contains(castAiKey);
        // as CI exports it for the SDK's default chain (set by surefire too): also registered without being told
        String envAwsSecret = System.getenv("AWS_SECRET_ACCESS_KEY");
        assertThat(envAwsSecret).as("AWS_SECRET_ACCESS_KEY from surefire").startsWith("wJalr");
        AwsCredentials creds = AwsCredentials.of("AKIAREDACT" + n, "wJalrXUtnFEMI/K7MDENG/" + n, "FwoGZXIvYXdzE" + n);
        String keyId = creds.accessKeyId();
        String secretKey = creds.secretAccessKey().reveal();
        String token = creds.sessionToken().orElseThrow().reveal();
        String marker = "VISIBLE-MARKER-" + n; // not a secret: proves the scan below finds what is written
        String all = String.join(" ", castAiKey, envAwsSecret, keyId, secretKey, token, marker);

        World world = World.builder("aws")
                .region("us-east-1")
                .clock(WorldClock.system())
                .credentials(creds)
                .fact("note", "creds " + all)
                .build();
        DrillInfo drill = new DrillInfo(
                "run-" + n, "test " + all, world, Drills.info(world, "x").spec());
        Target target = new Target("i-0abc", "m5.large", "us-east-1a", "node " + all, Map.of("owner", all));

        Timeline tl = new Timeline();
        tl.start(Drills.T0, Duration.ofMinutes(2));
        tl.add(new Observation(
                at(0.4),
                "imds",
                "i-0abc",
                Observation.Kinds.NOTICE,
                "notice " + all,
                Map.of("body", "{\"action\":\"terminate\",\"k\":\"" + all + "\"}")));
        tl.add(new Observation(at(1), "kube", "i-0abc", "TAINT_ADDED", "taint " + all, Map.of("state", all)));
        tl.add(new Observation(
                at(2), "castai", "i-0abc", "BLACKLISTED", "Authorization: Bearer " + castAiKey, Map.of()));
        Verdict missed = new Verdict(
                "@ExpectX(" + all + ")",
                target,
                Drills.NOTICE_30S,
                Optional.of(at(0.4)),
                Optional.of(at(30.4)),
                Optional.empty(),
                "last " + all,
                "missed " + all);
        Verdict met = new Verdict(
                Drills.TAINT,
                target,
                Drills.NOTICE_30S,
                Optional.of(at(0.4)),
                Optional.of(at(30.4)),
                Optional.of(at(1)),
                "seen " + all,
                "");
        DrillReport report = new DrillReport(
                List.of(target),
                1,
                Optional.of("EXT-" + all),
                Optional.of("EXP-" + marker),
                Optional.of("failed " + all),
                Optional.of("{\"experiment\":{\"error\":\"" + all + "\"}}"),
                Optional.of("{\"roleArn\":\"" + all + "\"}"),
                tl,
                List.of(met, missed),
                Optional.of(new IllegalStateException("FIS experiment EXP1 ended failed: " + all)),
                Map.of(
                        "lab-call-log",
                        "[{\"authorization\":\"AWS4-HMAC-SHA256 Credential=" + keyId + "\",\"x\":\"" + all + "\"}]",
                        "other",
                        "plain " + all));

        AllureLifecycle allure = new AllureLifecycle(new FileSystemResultsWriter(results));
        String uuid = UUID.randomUUID().toString();
        allure.scheduleTestCase(new TestResult().setUuid(uuid).setName("redaction"));
        allure.startTestCase(uuid);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        List<DrillListener> listeners = List.of(
                new AllureDrillListener(allure, results),
                new ConsoleProgress(new PrintStream(console, true, StandardCharsets.UTF_8)));
        for (DrillListener l : listeners) {
            l.drillStarted(drill);
            l.phaseStarted(drill, Phase.RESOLVE);
            l.targetsResolved(drill, List.of(target), 1);
            l.phaseFinished(drill, Phase.RESOLVE, null);
            l.phaseStarted(drill, Phase.TEMPLATE);
            l.templateCreated(drill, "EXT-" + all, "{\"tags\":{\"k\":\"" + all + "\"}}");
            l.phaseFinished(drill, Phase.TEMPLATE, new IllegalStateException("template " + all));
            l.experimentStarted(drill, "EXP-" + all);
            l.momentReached(drill, Moment.START, "", Drills.T0);
            tl.observations().forEach(o -> l.observed(drill, o));
            l.observed(
                    drill,
                    new Observation(at(3), "imds", "i-0abc", Observation.Kinds.PROBE_ERROR, "error " + all, Map.of()));
            l.progress(drill, "waiting " + all);
            l.verdict(drill, met);
            l.verdict(drill, missed);
            l.drillFinished(drill, report);
        }
        allure.stopTestCase(uuid);
        allure.writeTestCase(uuid);

        StringBuilder written = new StringBuilder();
        try (Stream<Path> files = Files.walk(results)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                written.append(Files.readString(f, StandardCharsets.UTF_8)).append('\n');
            }
        }
        String consoleText = console.toString(StandardCharsets.UTF_8);

        assertThat(results.resolve("environment.properties")).exists();
        try (Stream<Path> files = Files.list(results)) {
            assertThat(files.filter(p -> p.toString().endsWith(".svg"))).hasSize(1);
        }
        assertThat(written.toString())
                .as("the scan sees what the listener wrote")
                .contains(marker);
        assertThat(consoleText).contains(marker);
        for (String secret : List.of(castAiKey, envAwsSecret, keyId, secretKey, token)) {
            assertThat(written.toString()).as("allure-results").doesNotContain(secret);
            assertThat(consoleText).as("console").doesNotContain(secret);
        }
    }
}
