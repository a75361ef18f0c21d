package dev.spotdrill.core.drill;

/** The phases of a drill, in order. */
public enum Phase {
    /** Resolving targets from ids, tags or a node selector. */
    RESOLVE,
    /** Checking guardrails before any mutating call. */
    GUARDRAILS,
    /** Creating the one-off FIS experiment template (and the FIS role, when auto-provisioned). */
    TEMPLATE,
    /** Starting the experiment and waiting for it to run. */
    START,
    /** Observing: the probes run and the test body runs. */
    OBSERVE,
    /** Deciding every expectation's verdict. */
    VERDICTS,
    /** Stopping what still runs and deleting the template. */
    CLEANUP
}
