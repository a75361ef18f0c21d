package dev.spotdrill.core;

/**
 * Bad input: an annotation attribute or configuration value that cannot be used. Always thrown before any
 * mutating AWS call. The message quotes the attribute and the value, the rule and the fix.
 */
public class SpotDrillConfigurationException extends SpotDrillException {
    private static final long serialVersionUID = 1L;

    public SpotDrillConfigurationException(String message) {
        super(message);
    }

    public SpotDrillConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
