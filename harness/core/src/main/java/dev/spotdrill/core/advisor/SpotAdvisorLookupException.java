package dev.spotdrill.core.advisor;

import dev.spotdrill.core.SpotDrillConfigurationException;

/** A region or operating system the Spot Advisor feed does not rate; the message lists what it has. */
public class SpotAdvisorLookupException extends SpotDrillConfigurationException {
    private static final long serialVersionUID = 1L;

    public SpotAdvisorLookupException(String message) {
        super(message);
    }
}
