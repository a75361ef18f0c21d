package dev.spotdrill.junit.spi;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.Window;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.junit.Moment;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Turns an annotation's {@code from} and {@code within} attributes into a core {@link Window}, checking them. */
public final class Windows {
    private Windows() {}

    /**
     * The window {@code from} a moment, {@code within} an ISO-8601 duration (blank: until INTERRUPTION).
     *
     * @param annotation the annotation's simple name, for the message, e.g. {@code ExpectTaint}
     * @throws SpotDrillConfigurationException when {@code within} is not a positive ISO-8601 duration
     */
    public static Window of(String annotation, Moment from, String within) {
        if (within == null || within.isBlank()) {
            return new Window(from.toCore(), Optional.empty());
        }
        try {
            Duration d = Duration.parse(within.trim());
            if (d.isNegative() || d.isZero()) {
                throw new SpotDrillConfigurationException(Messages.badWithin(annotation, within));
            }
            return new Window(from.toCore(), Optional.of(d));
        } catch (DateTimeParseException e) {
            throw new SpotDrillConfigurationException(Messages.badWithin(annotation, within));
        }
    }
}
