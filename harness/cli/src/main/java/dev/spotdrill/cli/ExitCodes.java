package dev.spotdrill.cli;

/**
 * The exit codes of every {@code spotdrill} command: {@value #OK} ok, {@value #FINDINGS} findings (or a failure the
 * command met while running, such as a lab that does not answer), {@value #USAGE} usage (a bad option or value).
 */
public final class ExitCodes {
    /** The command did what was asked and found nothing wrong. */
    public static final int OK = 0;
    /** The command found something wrong (a check failed, leftovers were found), or could not do its work. */
    public static final int FINDINGS = 1;
    /** The command line was wrong: an unknown option, a bad value, a missing argument. */
    public static final int USAGE = 2;

    private ExitCodes() {}
}
