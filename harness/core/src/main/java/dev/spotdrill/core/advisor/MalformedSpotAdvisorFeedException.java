package dev.spotdrill.core.advisor;

import dev.spotdrill.core.SpotDrillException;

/** The Spot Advisor feed is not what its schema says: the message names the URL, the path and the value. */
public class MalformedSpotAdvisorFeedException extends SpotDrillException {
    private static final long serialVersionUID = 1L;

    public MalformedSpotAdvisorFeedException(String message) {
        super(message);
    }
}
