package dev.spotdrill.core.castai;

/**
 * The observation kinds and status key of the CAST AI source ({@code source = "castai"}), like
 * {@link dev.spotdrill.core.drill.Observation.Kinds}. Every one is about the drill (empty target id): a blacklist
 * belongs to the cluster, not to one instance.
 *
 * <p>CAST AI has no watch, so the source polls the list; an observation is a change between two reads (or the
 * first read), made at the time of the read that saw it.
 */
public final class BlacklistObservations {
    /** The source of every observation here. */
    public static final String SOURCE = "castai";

    /**
     * An entry appeared, or its {@code expiresAt} changed; data {@code instanceFamily}, {@code lifecycle},
     * {@code expiresAt} (ISO-8601, empty when it has none), {@code match} ({@code type} or {@code family}: what
     * {@code instanceFamily} holds), {@code change} ({@code initial} for an entry present at the first read,
     * {@code added} or {@code renewed}) and {@code raw} (the entry's JSON).
     */
    public static final String BLACKLISTED = "BLACKLISTED";
    /**
     * An entry left the list; data as {@link #BLACKLISTED} but {@code change}, and {@code reason} ({@code expired}
     * when its {@code expiresAt} had passed, else {@code removed}).
     */
    public static final String UNBLACKLISTED = "UNBLACKLISTED";
    /** The list was read after it was not (or for the first time); data {@code entries} (the count). */
    public static final String READ = "BLACKLIST_READ";
    /** A read failed after the previous one succeeded (or the first read failed); data {@code status}, {@code error}. */
    public static final String UNREADABLE = "BLACKLIST_UNREADABLE";

    /** Status key (drill-level): the last read, e.g. {@code GET /v1/inventory/blacklist -> 2 entries: ...}. */
    public static final String STATUS = "castai:blacklist";

    /** Data values of {@code change}. */
    public static final String INITIAL = "initial";

    public static final String ADDED = "added";
    public static final String RENEWED = "renewed";

    private BlacklistObservations() {}
}
