package dev.spotdrill.core;

/** A guardrail refused a target before any mutating AWS call: wrong lifecycle, state, region, tag or count. */
public class GuardrailException extends SpotDrillException {
    private static final long serialVersionUID = 1L;

    public GuardrailException(String message) {
        super(message);
    }
}
