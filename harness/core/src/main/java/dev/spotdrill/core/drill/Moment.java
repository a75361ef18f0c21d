package dev.spotdrill.core.drill;

/** A named point on a drill's timeline, from which expectation windows are measured. */
public enum Moment {
    /** The experiment's Spot action is running. */
    START,
    /** The target's rebalance recommendation was seen. */
    REBALANCE,
    /** The target's instance-action notice was seen. */
    NOTICE,
    /** START plus the lead time: when FIS interrupts the instance. */
    INTERRUPTION
}
