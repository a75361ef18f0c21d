package dev.spotdrill.core.castai;

import dev.spotdrill.core.SpotDrillException;

/**
 * CAST AI refused or failed a call: the message names the call, the organization and cluster, the status and the
 * fix, and never the API key.
 */
public class CastAiException extends SpotDrillException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public CastAiException(String message, int status) {
        super(message);
        this.status = status;
    }

    public CastAiException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status CAST AI answered last, 0 when no answer came. */
    public int status() {
        return status;
    }
}
