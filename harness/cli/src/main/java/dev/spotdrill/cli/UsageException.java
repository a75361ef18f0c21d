package dev.spotdrill.cli;

/**
 * A command line that cannot work, found while the command runs (after parsing): it exits with
 * {@link ExitCodes#USAGE}. The message names the option, the value and the fix.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
