/**
 * The CAST AI adapter: the legacy inventory blacklist API ({@code /v1/inventory/blacklist}) over
 * {@code java.net.http}, its settings and the blacklist's entries.
 *
 * <p>The API key comes from the environment variable {@code SPOTDRILL_CASTAI_API_KEY} only (in the lab, from the
 * lab world), and never shows in a log, a message or a {@code toString}.
 */
package dev.spotdrill.core.castai;
