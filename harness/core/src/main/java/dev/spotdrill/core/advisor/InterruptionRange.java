package dev.spotdrill.core.advisor;

import java.util.Objects;

/**
 * One row of the feed's {@code ranges} table: the frequency of interruption bucket an instance type is rated in.
 *
 * <p>The feed's maxima are 5, 11, 16, 22 and 100, not the 5/10/15/20 its labels suggest: a type labelled
 * {@code "5-10%"} may be interrupted up to 11% of the time. Compare thresholds against {@link #max()}.
 *
 * @param index the index that {@code spot_advisor} entries refer to as {@code r}
 * @param label the label AWS shows, for example {@code "5-10%"}
 * @param dots the number of dots the Spot Advisor page draws
 * @param max the upper bound of the bucket, in percent
 */
public record InterruptionRange(int index, String label, int dots, int max) {
    public InterruptionRange {
        Objects.requireNonNull(label, "label");
    }

    /** Whether this range's maximum is above the threshold (a percentage): {@code max > threshold}. */
    public boolean above(int threshold) {
        return max > threshold;
    }
}
