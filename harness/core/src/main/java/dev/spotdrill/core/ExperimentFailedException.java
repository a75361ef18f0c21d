package dev.spotdrill.core;

/** The FIS experiment ended {@code failed} or {@code cancelled}, or could not be started. */
public class ExperimentFailedException extends SpotDrillException {
    private static final long serialVersionUID = 1L;

    public ExperimentFailedException(String message) {
        super(message);
    }

    public ExperimentFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
