package dev.spotdrill.junit;

/** A named point on a drill's timeline, from which an expectation's window is measured. */
public enum Moment {
    /** The experiment's Spot action is running. */
    START,
    /** The target's rebalance recommendation was seen in IMDS. */
    REBALANCE,
    /** The target's instance-action notice was seen in IMDS. */
    NOTICE,
    /** START plus the lead time: when FIS interrupts the instance. */
    INTERRUPTION;

    /** The core moment of the same name. */
    public dev.spotdrill.core.drill.Moment toCore() {
        return dev.spotdrill.core.drill.Moment.valueOf(name());
    }
}
