package dev.spotdrill.lab;

import java.util.List;

/**
 * A service-provider interface through which lab components declare the faults they understand.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.spotdrill.lab.FaultCatalog}. The lab's AWS components register theirs this way;
 * other components (the Kubernetes termination handler, for example) add their own without editing the lab.
 */
public interface FaultCatalog {

    /** The faults this catalog declares. */
    List<FaultDefinition> faults();
}
