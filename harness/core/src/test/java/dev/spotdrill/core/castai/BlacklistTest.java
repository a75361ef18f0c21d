package dev.spotdrill.core.castai;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BlacklistTest {
    private static final Instant T = Instant.parse("2026-01-15T10:00:00Z");

    private static BlacklistEntry entry(String family, String lifecycle) {
        return new BlacklistEntry(family, lifecycle, Optional.of(T), "{}");
    }

    @Test
    void aWholeTypeMatchesOnlyThatType() {
        BlacklistEntry e = entry("m5.large", "spot");
        assertThat(e.isInstanceType()).isTrue();
        assertThat(e.match("m5.large")).contains(BlacklistMatch.Kind.INSTANCE_TYPE);
        assertThat(e.match("M5.Large")).contains(BlacklistMatch.Kind.INSTANCE_TYPE);
        assertThat(e.match("m5.xlarge")).isEmpty();
        assertThat(e.match("m5")).isEmpty();
    }

    @Test
    void aFamilyMatchesEverySizeOfItAndNoOtherFamily() {
        BlacklistEntry e = entry("m5", "spot");
        assertThat(e.isInstanceType()).isFalse();
        assertThat(e.match("m5.large")).contains(BlacklistMatch.Kind.FAMILY);
        assertThat(e.match("m5.24xlarge")).contains(BlacklistMatch.Kind.FAMILY);
        assertThat(e.match("m5a.large")).isEmpty();
        assertThat(e.match("m5d.large")).isEmpty();
    }

    @Test
    void theBlacklistPrefersTheTypeEntryAndSaysWhichMatched() {
        Blacklist b = new Blacklist(List.of(entry("c5", "spot"), entry("c5.large", "spot")));
        BlacklistMatch m = b.match("c5.large").orElseThrow();
        assertThat(m.kind()).isEqualTo(BlacklistMatch.Kind.INSTANCE_TYPE);
        assertThat(m.entry().instanceFamily()).isEqualTo("c5.large");
        BlacklistMatch f = b.match("c5.xlarge").orElseThrow();
        assertThat(f.kind()).isEqualTo(BlacklistMatch.Kind.FAMILY);
        assertThat(f.describe()).isEqualTo("c5.xlarge by family entry c5 (spot, until 2026-01-15T10:00:00Z)");
        assertThat(b.match("r5.large")).isEmpty();
    }

    @Test
    void lifecyclesFilterEntries() {
        Blacklist b = new Blacklist(List.of(entry("m5.large", "on-demand"), entry("r5", "")));
        assertThat(b.match("m5.large", "spot")).isEmpty();
        assertThat(b.match("m5.large", "on-demand")).isPresent();
        assertThat(b.match("m5.large")).isPresent();
        assertThat(b.match("r5.large", "spot")).isPresent();
    }

    @Test
    void expiredEntriesDropOut() {
        Blacklist b = new Blacklist(
                List.of(entry("m5.large", "spot"), new BlacklistEntry("c5.large", "spot", Optional.empty(), "{}")));
        assertThat(b.activeAt(T.minusSeconds(1)).entries()).hasSize(2);
        assertThat(b.activeAt(T).entries())
                .extracting(BlacklistEntry::instanceFamily)
                .containsExactly("c5.large");
        assertThat(b.entries().get(1).describe()).isEqualTo("c5.large (spot, no expiresAt)");
    }
}
