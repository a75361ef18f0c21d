package dev.spotdrill.lab.kube;

import java.net.URI;

/**
 * Where the instance metadata service of an instance is served, for the lab's termination handler. The lab
 * serves one IMDS endpoint per instance; a handler asks for its node's endpoint on every poll, so an endpoint
 * may appear or move while the cluster runs.
 */
@FunctionalInterface
public interface ImdsLocator {

    /**
     * The base URI of the instance's IMDS, for example {@code http://127.0.0.1:40123}, to which the handler
     * appends {@code /latest/...}; {@code null} when the instance has no endpoint (yet), which the handler
     * treats like an unreachable IMDS.
     */
    URI endpointFor(String instanceId);
}
