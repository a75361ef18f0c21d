package dev.spotdrill.core;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removes known secret values from text before it reaches a log, a report or the console.
 *
 * <p>Secrets are registered by {@link Secret}; values shorter than 6 characters are not registered, as they
 * would match ordinary text.
 */
public final class Redactor {
    private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();
    private static final String MASK = "****";

    /** Secrets that come from the environment, registered before any text is redacted. */
    static final String CASTAI_API_KEY_ENV = "SPOTDRILL_CASTAI_API_KEY";

    static {
        register(System.getenv(CASTAI_API_KEY_ENV));
        // what the SDK's default credential chain reads from the environment (CI exports these)
        register(System.getenv("AWS_SECRET_ACCESS_KEY"));
        register(System.getenv("AWS_SESSION_TOKEN"));
    }

    private Redactor() {}

    static void register(String value) {
        if (value != null && value.length() >= 6) {
            SECRETS.add(value);
        }
    }

    /** The text with every registered secret replaced by {@code ****}. */
    public static String redact(String text) {
        if (text == null || SECRETS.isEmpty()) {
            return text;
        }
        String out = text;
        for (String s : SECRETS) {
            if (out.contains(s)) {
                out = out.replace(s, MASK);
            }
        }
        return out;
    }
}
