package dev.spotdrill.junit;

import dev.spotdrill.junit.internal.SpotDrillExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method as a Spot interruption drill suite: registers the spotdrill extension and tags
 * the tests {@code spotdrill}, so that a build can include or exclude them.
 *
 * <p>The other spotdrill annotations register the extension too; {@code @SpotDrill} adds the tag.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag("spotdrill")
@ExtendWith(SpotDrillExtension.class)
public @interface SpotDrill {}
