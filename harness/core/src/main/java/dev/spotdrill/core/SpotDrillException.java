package dev.spotdrill.core;

/** The base of every exception spotdrill throws on purpose. */
public class SpotDrillException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SpotDrillException(String message) {
        super(Redactor.redact(message));
    }

    public SpotDrillException(String message, Throwable cause) {
        super(Redactor.redact(message), cause);
    }
}
