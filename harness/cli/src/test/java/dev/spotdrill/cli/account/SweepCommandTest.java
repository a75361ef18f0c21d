package dev.spotdrill.cli.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.cli.CliRun;
import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.drill.Leftovers;
import dev.spotdrill.lab.LabControl;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spotdrill sweep} after a nightly job's JVM was killed (SIGKILL) mid-drill: a dry run lists what it left, once
 * its claim has expired; {@code --clean --older-than PT0S} removes all of it; a live claim of another run stays.
 */
class SweepCommandTest {
    private static final Pattern HELD = Pattern.compile("HELD (sd-[0-9a-f]{12}) (EXP\\w+)");
    private static final String KILLED_ON = "i-0c0ffee0000000a03";
    private static final String LIVE_ON = "i-0c0ffee0000000a04";
    private static final String LIVE_RUN = "sd-alive000000";

    @TempDir
    Path dir;

    private Process fork(LabControl control, Path out) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add("-Dspotdrill.world=lab");
        cmd.add("-Dspotdrill.lab.url=" + control.url());
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add(HeldDrill.class.getName());
        cmd.add(KILLED_ON);
        cmd.add("PT15M");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("SPOTDRILL_"));
        return pb.start();
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    @Test
    void afterSigkillSweepCleanRemovesEverythingTheKilledRunLeftButNotALiveClaim() throws Exception {
        Path out = dir.resolve("held.log");
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().scenario("shop").pace(60).build());
                LabControl control = LabControl.start(lab)) {
            Process held = fork(control, out);
            try {
                Matcher m = await("the forked drill to start its experiment")
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(100))
                        .failFast("the forked drill ended", () -> !held.isAlive())
                        .until(() -> HELD.matcher(read(out).strip()), Matcher::find);
                String dead = m.group(1);
                held.destroyForcibly(); // SIGKILL: no shutdown hook
                await().atMost(Duration.ofSeconds(30)).until(() -> !held.isAlive());
                assertThat(read(out)).doesNotContain("shutting down");

                // another run, alive, holds a04 for an hour
                String liveUntil = lab.clock()
                        .now()
                        .plus(Duration.ofHours(1))
                        .truncatedTo(ChronoUnit.SECONDS)
                        .toString();
                AwsClients.of(lab.world()).ec2().createTags(r -> r.resources(LIVE_ON)
                        .tags(t -> t.key("spotdrill:claim:" + LIVE_RUN).value(liveUntil)));
                // the probe pod the killed run would have had on a real cluster (the lab reads IMDS directly); on the
                // on-demand node, which outlives the interruption (a03's own node, and its pods, go with a03)
                lab.cluster()
                        .orElseThrow()
                        .client()
                        .pods()
                        .inNamespace("default")
                        .resource(new PodBuilder()
                                .withNewMetadata()
                                .withName("spotdrill-imds-" + dead + "-0c0ffee0000000a03")
                                .addToLabels("app.kubernetes.io/name", "spotdrill-imds-probe")
                                .addToLabels("spotdrill/run-id", dead)
                                .addToAnnotations(
                                        "spotdrill/created-at",
                                        lab.clock().now().toString())
                                .endMetadata()
                                .withNewSpec()
                                .withNodeName("ip-10-0-1-21.ec2.internal")
                                .addNewContainer()
                                .withName("imds-probe")
                                .withImage("public.ecr.aws/amazonlinux/amazonlinux:2023")
                                .endContainer()
                                .endSpec()
                                .build())
                        .create();
                String url = control.url().toString();

                // while the killed run's claim has not expired, it counts as live: nothing of it is touched
                CliRun early = CliRun.of("sweep", "--lab-url", url, "--clean", "--older-than", "PT0S");
                assertThat(early.exit()).as("%s", early).isEqualTo(ExitCodes.OK);
                assertThat(early.out())
                        .contains("kept template ")
                        .contains("run " + dead + " is live (a claim has not expired)")
                        .contains("7 leftover(s) found, 0 removed (older than PT0S, not owned by a live run)")
                        .doesNotContain("\nremoved ");

                // once its lease lapses (PT10M of world time, 10 s here), a dry run lists everything it left
                await("the killed run's claim to expire")
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> !Leftovers.sweep(lab.world(), Leftovers.SweepOptions.defaults())
                                .liveRuns()
                                .contains(dead));
                CliRun dry = CliRun.of("sweep", "--lab-url", url, "--older-than", "PT0S");
                assertThat(dry.exit()).as("%s", dry).isEqualTo(ExitCodes.FINDINGS);
                assertThat(dry.out())
                        .startsWith("spotdrill sweep: world lab at " + url + ", region us-east-1, dry run\n")
                        .contains("would remove template EXT")
                        .contains("would remove rule spotdrill-" + dead + " of run " + dead)
                        .contains("would remove queue ")
                        .contains("would remove probe-pod default/spotdrill-imds-" + dead + "-0c0ffee0000000a03")
                        .contains("would remove claim " + KILLED_ON + " of run " + dead)
                        .contains("kept claim " + LIVE_ON + " of run " + LIVE_RUN)
                        .endsWith("(older than PT0S, not owned by a live run); dry run: add --clean to remove them\n");
                assertThat(Leftovers.find(lab.world())).hasSizeGreaterThan(1);

                CliRun clean = CliRun.of("sweep", "--lab-url", url, "--clean", "--older-than", "PT0S");
                assertThat(clean.exit()).as("%s", clean).isEqualTo(ExitCodes.OK);
                assertThat(clean.out())
                        .contains("removed template EXT")
                        .contains("removed rule spotdrill-" + dead)
                        .contains("removed queue ")
                        .contains("removed probe-pod default/spotdrill-imds-" + dead)
                        .contains("removed claim " + KILLED_ON + " of run " + dead)
                        .contains("kept claim " + LIVE_ON + " of run " + LIVE_RUN + ", live until " + liveUntil)
                        .doesNotContain("FAILED");
                await("the stopped experiment to end")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> lab.activeExperiments() == 0);
                // nothing is left but the live run's claim
                assertThat(Leftovers.find(lab.world())).singleElement().satisfies(i -> {
                    assertThat(i.kind()).isEqualTo("claim");
                    assertThat(i.id()).isEqualTo(LIVE_ON);
                    assertThat(i.runId()).isEqualTo(LIVE_RUN);
                });
                CliRun after = CliRun.of("sweep", "--lab-url", url, "--older-than", "PT0S");
                assertThat(after.exit()).as("%s", after).isEqualTo(ExitCodes.OK);
                assertThat(after.out()).contains("1 leftover(s) found, 0 to remove");
            } finally {
                held.destroyForcibly();
            }
        }
    }

    @Test
    void aBadAgeIsUsage() {
        CliRun run = CliRun.of("sweep", "--older-than", "2h");
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err())
                .contains("'2h' is not an ISO-8601 duration of zero or more; write e.g. PT2H, PT30M or PT0S");
    }
}
