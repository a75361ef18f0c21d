package dev.spotdrill.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.castai.BlacklistObservations;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.lab.ApiCall;
import dev.spotdrill.lab.SpotLab;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * The CAST AI key: a refused key fails the test before anything is created, and a key revoked during a drill is a
 * reading on the timeline, not a crash; either way the message names {@code SPOTDRILL_CASTAI_API_KEY}, and the key's
 * value is in no message, no line the test printed, and not on the timeline.
 *
 * <p>Isolated: it captures everything the JVM prints while its drills run.
 */
@Isolated
class CastAiKeyTest {
    static SpotLab lab;
    static final List<Timeline> TIMELINES = new CopyOnWriteArrayList<>();

    @SpotDrill
    static class NightlyCheck {
        @org.junit.jupiter.api.Test
        @RunCronJob("cast-ai/spot-blacklist")
        @ExpectBlacklistMatchesAdvisor(threshold = 10, within = "PT2M")
        void check() {}
    }

    @SpotDrill
    static class KeyRevokedDuringTheDrill {
        @org.junit.jupiter.api.Test
        @ExpectBlacklisted(instanceTypes = "c5.large", within = "PT1M")
        void check(InterruptionRun run) {
            TIMELINES.add(run.timeline());
            // the first read succeeded; from now on CAST AI answers 401
            lab.faults().set("castai.unauthorized");
        }
    }

    @BeforeAll
    static void startLab() {
        lab = BlacklistTests.lab(30);
    }

    @AfterAll
    static void closeLab() {
        lab.close();
    }

    @BeforeEach
    void quiet() {
        BlacklistTests.quiet(lab);
        TIMELINES.clear();
    }

    private static String key() {
        return lab.world().secret("SPOTDRILL_CASTAI_API_KEY").orElseThrow().reveal();
    }

    /** Runs the fixture while capturing what the JVM prints. */
    private static String[] runCapturing(Class<?> fixture, EngineExecutionResults[] out) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(tee(stdout, captured), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(tee(stderr, captured), true, StandardCharsets.UTF_8));
            out[0] = EngineRuns.run(lab, fixture);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new String[] {captured.toString(StandardCharsets.UTF_8)};
    }

    private static OutputStream tee(OutputStream a, OutputStream b) {
        return new OutputStream() {
            @Override
            public void write(int c) throws java.io.IOException {
                a.write(c);
                synchronized (b) {
                    b.write(c);
                }
            }

            @Override
            public void write(byte[] buf, int off, int len) throws java.io.IOException {
                a.write(buf, off, len);
                synchronized (b) {
                    b.write(buf, off, len);
                }
            }
        };
    }

    @Test
    void anUnauthorizedKeyFailsBeforeAnythingIsCreatedNamingTheVariableNeverTheValue() {
        lab.faults().set("castai.unauthorized");
        Instant before = lab.clock().now();
        EngineExecutionResults[] results = new EngineExecutionResults[1];
        String output = runCapturing(NightlyCheck.class, results)[0];

        results[0].testEvents().assertStatistics(s -> s.started(1).failed(1));
        Throwable failure = EngineRuns.failure(results[0], "check").orElseThrow();
        assertThat(failure)
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("@ExpectBlacklistMatchesAdvisor(os=\"Linux\", threshold=10): CAST AI refused the API key"
                        + " for ListBlacklist for organization " + lab.castAi().organizationId() + ", cluster "
                        + lab.castAi().clusterId() + " at " + lab.castAi().url() + " (401 Unauthorized: unauthorized:"
                        + " the API key is invalid or has been revoked); the key came from world lab"
                        + " (SPOTDRILL_CASTAI_API_KEY is not set): set the environment variable"
                        + " SPOTDRILL_CASTAI_API_KEY to a CAST AI API key that can read organization "
                        + lab.castAi().organizationId() + "'s blacklist (CAST AI console: API > API access keys)");
        // nothing was created: no Job, no blacklist change, no AWS call; CAST AI was only asked for the list
        assertThat(BlacklistTests.jobs(lab)).isEmpty();
        assertThat(lab.callLog().since(before))
                .allMatch(c -> c.service().equals("castai") && c.operation().equals("ListBlacklist"))
                .extracting(ApiCall::status)
                .containsOnly(401);
        // the scan reads what was printed (the drill's progress lines) and finds no key in it
        assertThat(output).contains("[spotdrill] NightlyCheck.check", "RESOLVE failed: @ExpectBlacklistMatchesAdvisor");
        assertThat(output).doesNotContain(key());
        assertThat(stackTrace(failure)).doesNotContain(key());
    }

    @Test
    void aKeyRevokedDuringTheDrillIsAReadingOnTheTimelineAndTheMissNamesTheVariable() {
        EngineExecutionResults[] results = new EngineExecutionResults[1];
        String output = runCapturing(KeyRevokedDuringTheDrill.class, results)[0];

        results[0].testEvents().assertStatistics(s -> s.started(1).failed(1));
        Throwable failure = EngineRuns.failure(results[0], "check").orElseThrow();
        assertThat(failure.getMessage())
                .startsWith("@ExpectBlacklisted(instanceTypes={\"c5.large\"}, lifecycle=\"spot\", minExpiry=\"PT4H\")"
                        + " missed for the drill\n  window: START+PT1M")
                .contains("last seen: c5.large is not blacklisted; entries seen: none; last read: GET"
                        + " /v1/inventory/blacklist failed: CAST AI refused the API key for ListBlacklist for"
                        + " organization " + lab.castAi().organizationId())
                .contains("set the environment variable SPOTDRILL_CASTAI_API_KEY")
                .contains("castai BLACKLIST_UNREADABLE  could not read the blacklist: CAST AI refused the API key");
        Timeline tl = TIMELINES.get(0);
        assertThat(tl.observations())
                .extracting(o -> o.kind())
                .containsSubsequence(BlacklistObservations.READ, BlacklistObservations.UNREADABLE);
        String timeline = tl.render()
                + tl.status("", BlacklistObservations.STATUS).orElseThrow()
                + tl.observations().toString();
        assertThat(timeline).contains(lab.castAi().clusterId()).doesNotContain(key());
        assertThat(output)
                .contains("[spotdrill] KeyRevokedDuringTheDrill.check")
                .doesNotContain(key());
        assertThat(stackTrace(failure)).doesNotContain(key());
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }
}
