package dev.spotdrill.core.drill;

/** The signal sources a drill can watch; an expectation names the ones it needs. */
public enum ProbeKind {
    /** The instance metadata service of each target. */
    IMDS,
    /** EC2 instance state, through DescribeInstances. */
    EC2,
    /** Kubernetes nodes and pods, through informers. */
    KUBE,
    /** EventBridge events on a queue owned by the harness. */
    EVENTS,
    /** The CAST AI blacklist. */
    CASTAI
}
