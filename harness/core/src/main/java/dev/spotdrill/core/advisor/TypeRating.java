package dev.spotdrill.core.advisor;

import java.util.Objects;

/**
 * What the feed says of one instance type in one region and operating system: {@code {"s": savings, "r": range}}.
 *
 * @param instanceType the instance type, for example {@code m5.large}
 * @param savingsPercent the savings over on-demand, in percent ({@code s})
 * @param range the interruption range ({@code r}, resolved against {@code ranges})
 */
public record TypeRating(String instanceType, int savingsPercent, InterruptionRange range) {
    public TypeRating {
        Objects.requireNonNull(instanceType, "instanceType");
        Objects.requireNonNull(range, "range");
    }
}
