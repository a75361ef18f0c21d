package dev.spotdrill.core.advisor;

import dev.spotdrill.core.SpotDrillException;

/** The Spot Advisor feed could not be fetched: the message names the URL, what happened and the fix. */
public class SpotAdvisorUnavailableException extends SpotDrillException {
    private static final long serialVersionUID = 1L;

    public SpotAdvisorUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
