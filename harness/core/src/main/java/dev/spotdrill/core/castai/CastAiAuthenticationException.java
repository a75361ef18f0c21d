package dev.spotdrill.core.castai;

/**
 * CAST AI refused the API key (401 or 403). The message names {@code SPOTDRILL_CASTAI_API_KEY}, never its value.
 */
public class CastAiAuthenticationException extends CastAiException {
    private static final long serialVersionUID = 1L;

    public CastAiAuthenticationException(String message, int status) {
        super(message, status);
    }
}
