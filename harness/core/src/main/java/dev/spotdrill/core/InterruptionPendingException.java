package dev.spotdrill.core;

import java.util.List;

/**
 * A drill was aborted and its experiment stopped, but some targets may still be interrupted: their instance-action
 * notice had already been sent, and FIS is not documented to take an interruption back once its notice is out. It goes
 * with the test's own failure, naming those targets.
 */
public class InterruptionPendingException extends SpotDrillException {
    private static final long serialVersionUID = 1L;
    private final List<String> instanceIds;

    public InterruptionPendingException(String message, List<String> instanceIds) {
        super(message);
        this.instanceIds = List.copyOf(instanceIds);
    }

    /** The targets that may still be interrupted. */
    public List<String> instanceIds() {
        return instanceIds;
    }
}
