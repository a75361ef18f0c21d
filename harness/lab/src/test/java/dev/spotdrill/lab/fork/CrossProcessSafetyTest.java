package dev.spotdrill.lab.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Leftovers;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.lab.ApiCall;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.fis.model.Experiment;

/**
 * Two processes against one lab, as two CI jobs against one AWS account: the claims keep them off each other's
 * instances, SIGTERM cleans up, and after SIGKILL a sweep removes what is left except what a live run owns.
 */
class CrossProcessSafetyTest {
    private static final Duration CHILD = Duration.ofSeconds(120);
    private static final Pattern STARTED = Pattern.compile("FORK STARTED (sd-[0-9a-f]{12}) (EXP\\w+)");

    private static Matcher started(Fork fork) {
        Matcher m = STARTED.matcher(fork.awaitLine(l -> l.startsWith("FORK STARTED"), CHILD));
        assertThat(m.matches()).isTrue();
        return m;
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.add(b);
        return out;
    }

    private static Experiment experiment(SpotLab lab, String id) {
        return AwsClients.of(lab.world()).fis().getExperiment(r -> r.id(id)).experiment();
    }

    @Test
    void twoProcessesOnOneInstanceNeverRunTheirExperimentsAtOnce() {
        // the instance survives the first drill, so the second can run on it after waiting; at pace 30 the first
        // drill lasts 20 s of wall time, so a second JVM that is slow to start on a loaded machine still finds it
        try (SpotLab lab = SpotLab.start(LabOptions.builder()
                        .scenario("safety.yaml")
                        .pace(30)
                        .faults("ec2.no-termination")
                        .build());
                Fork first = Fork.start(
                        "first",
                        lab,
                        Map.of("spotdrill.fis.quotaWait", "PT30M"),
                        Map.of(),
                        "run",
                        "i-0c0ffee0000000a01",
                        "PT10M")) {
            Matcher a = started(first);
            try (Fork second = Fork.start(
                    "second",
                    lab,
                    Map.of("spotdrill.fis.quotaWait", "PT30M"),
                    Map.of(),
                    "run",
                    "i-0c0ffee0000000a01",
                    "PT2M")) {
                String waiting = second.awaitLine(l -> l.contains("waiting for another spotdrill run"), CHILD);
                assertThat(waiting).contains("i-0c0ffee0000000a01 claimed by spotdrill run " + a.group(1) + " until");
                assertThat(first.awaitExit(CHILD)).isZero();
                Matcher b = started(second);
                assertThat(second.awaitExit(CHILD)).isZero();
                assertThat(first.lines()).anySatisfy(l -> assertThat(l).startsWith("FORK FINISHED " + a.group(1)));
                assertThat(second.lines()).anySatisfy(l -> assertThat(l).startsWith("FORK FINISHED " + b.group(1)));

                // the second experiment started after the first one ended
                Experiment one = experiment(lab, a.group(2));
                Experiment two = experiment(lab, b.group(2));
                assertThat(one.endTime()).isNotNull();
                assertThat(two.startTime()).isAfterOrEqualTo(one.endTime());
                // and in the call log, the second run's claim came after the first run removed its own
                List<ApiCall> tags = lab.callLog().calls().stream()
                        .filter(c -> c.service().equals("ec2")
                                && (c.operation().equals("CreateTags")
                                        || c.operation().equals("DeleteTags")))
                        .filter(ApiCall::succeeded)
                        .toList();
                Instant firstReleased = tags.stream()
                        .filter(c -> c.operation().equals("DeleteTags"))
                        .map(ApiCall::worldTime)
                        .findFirst()
                        .orElseThrow();
                Instant secondStart = lab.callLog().calls().stream()
                        .filter(c -> c.operation().equals("StartExperiment")
                                && c.resource().equals(b.group(2)))
                        .map(ApiCall::worldTime)
                        .findFirst()
                        .orElseThrow();
                assertThat(secondStart).isAfter(firstReleased);
                assertThat(Leftovers.find(lab.world())).isEmpty();
            }
        }
    }

    @Test
    void sigtermStopsTheExperimentAndRemovesEverythingTheDrillCreated() {
        try (SpotLab lab = SpotLab.start(
                        LabOptions.builder().scenario("safety.yaml").pace(60).build());
                Fork fork = Fork.start(
                        "held",
                        lab,
                        Map.of(),
                        Map.of(
                                "SPOTDRILL_NOTIFY_SLACK_WEBHOOK",
                                lab.slack().webhookUrl().reveal()),
                        "hold",
                        "i-0c0ffee0000000a02",
                        "PT15M")) {
            Matcher m = started(fork);
            String runId = m.group(1);
            String experiment = m.group(2);
            assertThat(Leftovers.find(lab.world()))
                    .extracting(Leftovers.Item::kind)
                    .containsExactlyInAnyOrder("template", "experiment", "rule", "queue", "claim");

            // meanwhile this process, another "job", wants the same instance: refused, naming the run that holds it
            Drill rival = Drill.prepare(
                    lab.world(),
                    new DrillSpec(Selector.instances("i-0c0ffee0000000a02"), 1, "PT2M", List.of(), null),
                    new DrillOptions(
                            "spotdrill/allowed",
                            "true",
                            List.of(),
                            5,
                            java.util.Optional.empty(),
                            "spotdrill-fis",
                            java.util.Optional.empty(),
                            Duration.ofSeconds(30),
                            "direct",
                            java.util.Optional.empty(),
                            "unused"),
                    "CrossProcessSafetyTest.rival",
                    List.of());
            assertThatThrownBy(rival::start)
                    .isInstanceOf(GuardrailException.class)
                    .hasMessageContaining("stayed claimed by another spotdrill run")
                    .hasMessageContaining("i-0c0ffee0000000a02 claimed by spotdrill run " + runId + " until");
            rival.close();

            fork.sigterm();
            assertThat(fork.awaitExit(Duration.ofSeconds(40))).isNotZero(); // 143: ended by the signal
            String out = String.join("\n", fork.lines());
            assertThat(out)
                    .contains("[spotdrill] the JVM is shutting down: cleaning up 1 live drill (at most 20 s)")
                    .contains(runId + " (ForkedDrill.hold): stopped FIS experiment " + experiment + " (it was running)")
                    .contains(runId + " (ForkedDrill.hold): closed source events: EventQueue[spotdrill-" + runId + "]")
                    .contains(runId + " (ForkedDrill.hold): deleted FIS template ")
                    .contains(runId + " (ForkedDrill.hold): removed claims spotdrill:claim:" + runId
                            + " on i-0c0ffee0000000a02")
                    .containsPattern("shutdown cleanup done in \\d+\\.\\d s");

            // nothing is left: no template, no running experiment, no rule, no queue, no claim
            assertThat(Leftovers.find(lab.world())).isEmpty();
            assertThat(experiment(lab, experiment).state().statusAsString()).isIn("stopping", "stopped");
            var ec2 = AwsClients.of(lab.world()).ec2();
            assertThat(ec2.describeTags(r -> r.filters(f -> f.name("key").values("spotdrill:claim:*")))
                            .tags())
                    .isEmpty();
            // the night failed: one Slack message, after the cleanup, naming the drill (through the DrillListener SPI)
            assertThat(lab.slack().posts()).singleElement().satisfies(text -> assertThat(text)
                    .startsWith("spotdrill: 1 of 1 drill failed (world lab, us-east-1)\n• ForkedDrill.hold (" + runId
                            + "): the JVM shut down (SIGTERM or exit) during drill " + runId));
            assertThat(out).doesNotContain(lab.slack().webhookUrl().reveal());
            // a stop long before the notice (PT15M) saves the instance
            assertThat(lab.instance("i-0c0ffee0000000a02").orElseThrow().state())
                    .isEqualTo("running");
        }
    }

    @Test
    void afterSigkillASweepRemovesWhatIsLeftButNeverALiveRunsClaim() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder().pace(60).build());
                Fork fork = Fork.start("killed", lab, Map.of(), Map.of(), "hold", "i-0c0ffee0000000a03", "PT15M")) {
            Matcher m = started(fork);
            String dead = m.group(1);
            fork.sigkill();
            fork.awaitExit(Duration.ofSeconds(30));
            assertThat(String.join("\n", fork.lines())).doesNotContain("shutting down");

            // another run, alive, holds a04 for an hour
            var ec2 = AwsClients.of(lab.world()).ec2();
            String liveUntil = lab.clock()
                    .now()
                    .plus(Duration.ofHours(1))
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    .toString();
            ec2.createTags(r -> r.resources("i-0c0ffee0000000a04")
                    .tags(t -> t.key("spotdrill:claim:sd-alive000000").value(liveUntil)));

            // the probe pod it would have had on a real cluster (the lab reads IMDS directly, so make one)
            lab.cluster()
                    .orElseThrow()
                    .client()
                    .pods()
                    .inNamespace("default")
                    .resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                            .withNewMetadata()
                            .withName("spotdrill-imds-" + dead + "-0c0ffee0000000a03")
                            .addToLabels("app.kubernetes.io/name", "spotdrill-imds-probe")
                            .addToLabels("spotdrill/run-id", dead)
                            .addToAnnotations(
                                    "spotdrill/created-at", lab.clock().now().toString())
                            .endMetadata()
                            .withNewSpec()
                            .withNodeName("ip-10-0-2-13.ec2.internal")
                            .addNewContainer()
                            .withName("imds-probe")
                            .withImage("public.ecr.aws/amazonlinux/amazonlinux:2023")
                            .endContainer()
                            .endSpec()
                            .build())
                    .create();

            // at first the killed run's claim has not expired: it counts as live and nothing of it is touched
            Leftovers.SweepReport early = Leftovers.sweep(
                    lab.world(),
                    Leftovers.SweepOptions.defaults().olderThan(Duration.ZERO).cleaning());
            assertThat(early.items(Leftovers.Outcome.REMOVED)).isEmpty();
            assertThat(early.liveRuns()).contains(dead, "sd-alive000000");
            assertThat(early.lines())
                    .anySatisfy(l -> assertThat(l).startsWith("kept template ").contains("run " + dead + " is live"));

            // once its lease lapses (PT10M of world time, 10 s here), the sweep takes everything it left
            await("the killed run's claim to expire")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !Leftovers.sweep(
                                    lab.world(),
                                    Leftovers.SweepOptions.defaults().olderThan(Duration.ZERO))
                            .liveRuns()
                            .contains(dead));
            Leftovers.SweepReport dryRun = Leftovers.sweep(
                    lab.world(), Leftovers.SweepOptions.defaults().olderThan(Duration.ZERO));
            // the experiment (PT15M) is listed while it still runs; on a slow machine it may have ended already
            List<String> left = List.of("template", "rule", "queue", "claim", "probe-pod");
            assertThat(dryRun.items(Leftovers.Outcome.WOULD_REMOVE))
                    .as("%s", dryRun.lines())
                    .extracting(Leftovers.Item::kind)
                    .containsAll(left)
                    .allSatisfy(k -> assertThat(k).isIn(concat(left, "experiment")));
            assertThat(dryRun.items(Leftovers.Outcome.WOULD_REMOVE))
                    .allSatisfy(i -> assertThat(i.runId()).isEqualTo(dead));
            assertThat(dryRun.findings()).isTrue();
            assertThat(dryRun.lines().get(dryRun.lines().size() - 1))
                    .endsWith("(older than PT0S, not owned by a live run); dry run: add --clean to remove them");
            assertThat(Leftovers.find(lab.world()))
                    .extracting(Leftovers.Item::kind)
                    .containsAll(left);

            Leftovers.SweepReport clean = Leftovers.sweep(
                    lab.world(),
                    Leftovers.SweepOptions.defaults().olderThan(Duration.ZERO).cleaning());
            assertThat(clean.items(Leftovers.Outcome.REMOVED))
                    .extracting(Leftovers.Item::kind)
                    .containsAll(left)
                    .allSatisfy(k -> assertThat(k).isIn(concat(left, "experiment")));
            assertThat(clean.items(Leftovers.Outcome.REMOVED))
                    .allSatisfy(i -> assertThat(i.runId()).isEqualTo(dead));
            assertThat(clean.items(Leftovers.Outcome.FAILED)).isEmpty();
            await("the stopped experiment to end")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> lab.activeExperiments() == 0);
            assertThat(clean.items(Leftovers.Outcome.KEPT_LIVE)).singleElement().satisfies(i -> assertThat(i.runId())
                    .isEqualTo("sd-alive000000"));
            assertThat(Leftovers.find(lab.world())).singleElement().satisfies(i -> {
                assertThat(i.kind()).isEqualTo("claim");
                assertThat(i.id()).isEqualTo("i-0c0ffee0000000a04");
            });
        }
    }
}
