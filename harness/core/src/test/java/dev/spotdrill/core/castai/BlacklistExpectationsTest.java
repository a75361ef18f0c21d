package dev.spotdrill.core.castai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.advisor.SpotAdvisorSource;
import dev.spotdrill.core.drill.Evaluation;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Window;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The blacklist expectations judge the CAST AI source's observations: a family or a whole type, the expiry measured
 * from when the entry was seen, the initial state, renewals, continuous evidence, and the exact match with the feed.
 */
class BlacklistExpectationsTest {
    private static final Instant T0 = Instant.parse("2026-01-15T10:00:00Z");
    private static final Window PT2M = Window.of(Moment.START, Duration.ofMinutes(2));
    private static final Instant DEADLINE = T0.plusSeconds(120);

    private final Timeline tl = new Timeline();

    BlacklistExpectationsTest() {
        tl.start(T0, null);
    }

    private static Instant at(double seconds) {
        return T0.plusMillis(Math.round(seconds * 1000));
    }

    private void read(double s, int entries) {
        tl.add(new Observation(
                at(s), "castai", "", BlacklistObservations.READ, "read", Map.of("entries", "" + entries)));
    }

    private void unreadable(double s) {
        tl.add(new Observation(
                at(s), "castai", "", BlacklistObservations.UNREADABLE, "401", Map.of("status", "401", "error", "x")));
    }

    private void blacklisted(double s, String family, String lifecycle, Duration expiresIn, String change) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("instanceFamily", family);
        d.put("lifecycle", lifecycle);
        d.put("expiresAt", expiresIn == null ? "" : at(s).plus(expiresIn).toString());
        d.put("change", change);
        tl.add(new Observation(at(s), "castai", "", BlacklistObservations.BLACKLISTED, family, d));
    }

    private void unblacklisted(double s, String family, String lifecycle) {
        tl.add(new Observation(
                at(s),
                "castai",
                "",
                BlacklistObservations.UNBLACKLISTED,
                family,
                Map.of("instanceFamily", family, "lifecycle", lifecycle, "expiresAt", "", "reason", "removed")));
    }

    private void advisor(String above, String safe) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("region", "us-east-1");
        d.put("os", "Linux");
        d.put("threshold", "10");
        d.put("above", above);
        d.put("safe", safe);
        d.put("ranges", "c5.large=10-15%, m5a.large=5-10%");
        tl.add(new Observation(T0, SpotAdvisorSource.SOURCE, "", SpotAdvisorSource.ABOVE_THRESHOLD, "advisor", d));
    }

    private Evaluation eval(Expectation e) {
        return e.evaluate(tl, Target.drill(), T0, DEADLINE);
    }

    private static Expectation blacklisted(String... types) {
        return BlacklistExpectations.blacklisted(List.of(types), "spot", Duration.ofHours(4), PT2M);
    }

    @Test
    void aTypeIsBlacklistedByItsFamilyOrItselfAndTheVerdictSaysWhich() {
        read(0, 0);
        blacklisted(5, "c5", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        blacklisted(15, "m5a.large", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);

        Evaluation ev = eval(blacklisted("c5.large", "m5a.large"));
        assertThat(ev.metAt()).contains(at(15));
        assertThat(ev.lastSeen())
                .isEqualTo("c5.large by family entry c5 (spot, until " + at(5).plus(Duration.ofHours(5))
                        + ") at +5.0s; m5a.large by type entry m5a.large (spot, until "
                        + at(15).plus(Duration.ofHours(5)) + ") at +15.0s");
    }

    @Test
    void anEntryPresentAtTheFirstReadCountsFromTheWindowsStartAndItsExpiryFromWhenItWasSeen() {
        blacklisted(-30, "c5.large", "spot", Duration.ofHours(5), BlacklistObservations.INITIAL);
        blacklisted(-30, "m5a.large", "spot", Duration.ofHours(3), BlacklistObservations.INITIAL);
        read(-30, 2);

        assertThat(eval(blacklisted("c5.large")).metAt()).contains(T0);
        Evaluation shortOne = eval(blacklisted("m5a.large"));
        assertThat(shortOne.metAt()).isEmpty();
        assertThat(shortOne.lastSeen())
                .startsWith("m5a.large is blacklisted for only PT3H from when it was seen, less than minExpiry PT4H:"
                        + " m5a.large by type entry m5a.large (spot, until ")
                .contains("(present at the first read, -30.0s)");
    }

    @Test
    void aRenewalWithALaterExpiryMeetsIt() {
        read(-30, 1);
        blacklisted(-30, "m5a.large", "spot", Duration.ofHours(1), BlacklistObservations.INITIAL);
        blacklisted(40, "m5a.large", "spot", Duration.ofHours(5), BlacklistObservations.RENEWED);

        Evaluation ev = eval(blacklisted("m5a.large"));
        assertThat(ev.metAt()).contains(at(40));
        assertThat(ev.lastSeen()).endsWith("renewed at +40.0s");
    }

    @Test
    void anEntryWithoutExpiresAtOrForAnotherLifecycleDoesNotCount() {
        read(0, 0);
        blacklisted(5, "c5.large", "spot", null, BlacklistObservations.ADDED);
        blacklisted(5, "m5a.large", "on-demand", Duration.ofHours(5), BlacklistObservations.ADDED);

        Evaluation ev = eval(blacklisted("c5.large", "m5a.large"));
        assertThat(ev.metAt()).isEmpty();
        assertThat(ev.lastSeen())
                .startsWith("c5.large is blacklisted without expiresAt, so the entry never expires: c5.large by type"
                        + " entry c5.large (spot, no expiresAt) at +5.0s; a blacklister should set expiresAt"
                        + " (minExpiry PT4H); m5a.large is not blacklisted for spot, only m5a.large by type entry"
                        + " m5a.large (on-demand, until ")
                .contains("; entries seen: c5.large (spot, no expiresAt) at +5.0s, m5a.large (on-demand, until ");
    }

    @Test
    void anEntryRemovedBeforeTheWindowOpensDoesNotCount() {
        read(-60, 0);
        blacklisted(-50, "c5.large", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        unblacklisted(-10, "c5.large", "spot");

        assertThat(eval(blacklisted("c5.large")).metAt()).isEmpty();
    }

    @Test
    void withNoTypeNamedItIsJudgedPerTargetWithTheTargetsType() {
        read(0, 0);
        blacklisted(5, "c5.large", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        Expectation e = BlacklistExpectations.blacklisted(List.of(), "spot", Duration.ofHours(4), PT2M);

        assertThat(e.perTarget()).isTrue();
        assertThat(blacklisted("c5.large").perTarget()).isFalse();
        Target c5 = new Target("i-0abc", "c5.large", "us-east-1a", null, Map.of());
        Target m5 = new Target("i-0def", "m5.large", "us-east-1a", null, Map.of());
        assertThat(e.evaluate(tl, c5, T0, DEADLINE).metAt()).contains(at(5));
        assertThat(e.evaluate(tl, m5, T0, DEADLINE).lastSeen())
                .startsWith("m5.large is not blacklisted; entries seen:");
    }

    @Test
    void notBlacklistedBreaksAtTheFirstCoveringEntryEvenAFamilyOne() {
        Expectation e = BlacklistExpectations.notBlacklisted(List.of("m5.large", "t3.large"), "spot", PT2M);
        read(0, 0);
        blacklisted(10, "c5.large", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        assertThat(e.continuous()).isTrue();
        assertThat(eval(e).metAt()).contains(T0);
        assertThat(eval(e).violatedAt()).isEmpty();

        blacklisted(20, "m5", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        blacklisted(30, "t3.large", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        Evaluation ev = eval(e);
        assertThat(ev.violatedAt()).contains(at(20));
        assertThat(ev.lastSeen())
                .isEqualTo("m5.large was blacklisted: m5.large by family entry m5 (spot, until "
                        + at(20).plus(Duration.ofHours(5)) + ") at +20.0s");
    }

    @Test
    void notBlacklistedBreaksAtTheWindowsStartWhenTheTypeIsAlreadyThere() {
        Expectation e = BlacklistExpectations.notBlacklisted(List.of("m5.large"), "spot", PT2M);
        read(-5, 1);
        blacklisted(-5, "m5.large", "all", Duration.ofHours(5), BlacklistObservations.INITIAL);

        Evaluation ev = eval(e);
        assertThat(ev.violatedAt()).contains(T0);
        assertThat(ev.lastSeen()).startsWith("m5.large was already blacklisted when the window opened:");
    }

    @Test
    void notBlacklistedNeedsASuccessfulReadInItsWindow() {
        Expectation e = BlacklistExpectations.notBlacklisted(List.of("m5.large"), "spot", PT2M);
        unreadable(-5);
        tl.status("", BlacklistObservations.STATUS, at(119), "GET /v1/inventory/blacklist failed: 503");

        Evaluation ev = eval(e);
        assertThat(ev.metAt()).isEmpty();
        assertThat(ev.violatedAt()).isEmpty();
        assertThat(ev.lastSeen())
                .isEqualTo("no successful read of the blacklist in the window, so nothing proves m5.large stayed off"
                        + " it; last read: GET /v1/inventory/blacklist failed: 503 at +119.0s");

        read(60, 0);
        assertThat(eval(e).metAt()).contains(T0);
    }

    @Test
    void matchesAdvisorIsMetWhenTheListHoldsExactlyTheTypesAbove() {
        Expectation e = BlacklistExpectations.matchesAdvisor("Linux", 10, PT2M);
        advisor("c5.large,m5a.large", "m5.large,t3.large");
        read(0, 0);
        blacklisted(10, "c5.large", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        assertThat(eval(e).metAt()).isEmpty();
        blacklisted(20, "m5a.large", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);

        Evaluation ev = eval(e);
        assertThat(ev.metAt()).contains(at(20));
        assertThat(ev.lastSeen()).isEqualTo("the blacklist holds exactly the 2 types above 10% (c5.large, m5a.large)");
    }

    @Test
    void aFamilyEntryThatAlsoCoversASafeTypeIsExtra() {
        Expectation e = BlacklistExpectations.matchesAdvisor("Linux", 10, PT2M);
        advisor("c5.large,m5a.large", "c5.2xlarge,m5.large");
        read(0, 0);
        blacklisted(10, "c5", "spot", Duration.ofHours(5), BlacklistObservations.ADDED);
        blacklisted(10, "r6g.large", "on-demand", Duration.ofHours(5), BlacklistObservations.ADDED);

        Evaluation ev = eval(e);
        assertThat(ev.metAt()).isEmpty();
        assertThat(ev.lastSeen())
                .startsWith("at the deadline the blacklist had missing m5a.large (5-10%); extra c5 (family entry; it"
                        + " also covers c5.2xlarge); the Spot Advisor feed rates 2 types above 10% in us-east-1 for"
                        + " Linux: c5.large, m5a.large; entries seen: c5 (spot, until ");
    }

    @Test
    void anEmptyListMatchesNothingAboveOnlyOnceItWasRead() {
        Expectation e = BlacklistExpectations.matchesAdvisor("Linux", 10, PT2M);
        advisor("", "m5.large");
        assertThat(eval(e).metAt()).isEmpty();
        assertThat(eval(e).lastSeen()).startsWith("the blacklist was never read;");
        read(30, 0);
        assertThat(eval(e).metAt()).contains(at(30));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> BlacklistExpectations.matchesAdvisor("Linux", 101, PT2M))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("threshold=101: an interruption threshold is a percentage from 0 to 100");
        assertThatThrownBy(() -> BlacklistExpectations.notBlacklisted(List.of(), "spot", PT2M))
                .hasMessage("name at least one instance type");
        assertThatThrownBy(() -> BlacklistExpectations.blacklisted(List.of("c5.large"), "Spot", Duration.ZERO, PT2M))
                .hasMessage("lifecycle must be one of [spot, on-demand, all], was Spot");
        assertThatThrownBy(() ->
                        BlacklistExpectations.blacklisted(List.of("c5.large"), "spot", Duration.ofHours(-1), PT2M))
                .hasMessage("minExpiry must be zero or more, was PT-1H");
    }
}
