package dev.spotdrill.cli;

/**
 * A command that could not do its work for a reason outside the command line (a lab that does not answer, a file
 * that cannot be written): it exits with {@link ExitCodes#FINDINGS}, printing the message and no stack trace.
 */
public final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandFailedException(String message) {
        super(message);
    }

    public CommandFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
