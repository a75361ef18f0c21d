/**
 * The AWS Spot Instance Advisor data feed: its interruption ranges and, per region and operating system, each
 * instance type's savings and interruption range.
 *
 * <p>A package of its own, not part of {@code core.castai}: the feed is AWS's public data, and a blacklister may
 * push what it reads to CAST AI, Karpenter or anything else. {@link dev.spotdrill.core.advisor.SpotAdvisorReader}
 * fetches it; {@link dev.spotdrill.core.advisor.SpotAdvisorFeed} answers which types are above a threshold.
 */
package dev.spotdrill.core.advisor;
