/**
 * How to add an expectation annotation to spotdrill without touching the extension: an
 * {@link dev.spotdrill.junit.spi.ExpectationAnnotations} provider maps the annotation to a core expectation.
 */
package dev.spotdrill.junit.spi;
