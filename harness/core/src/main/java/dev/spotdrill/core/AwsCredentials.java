package dev.spotdrill.core;

import java.util.Objects;
import java.util.Optional;

/**
 * Static AWS credentials, as the lab hands them out. The secret key and session token are {@link Secret}s,
 * so this type's {@code toString} shows only the access key id.
 */
public final class AwsCredentials {
    private final String accessKeyId;
    private final Secret secretAccessKey;
    private final Secret sessionToken;

    private AwsCredentials(String accessKeyId, Secret secretAccessKey, Secret sessionToken) {
        if (accessKeyId == null || accessKeyId.isBlank()) {
            throw new IllegalArgumentException("accessKeyId must not be blank");
        }
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        this.sessionToken = sessionToken;
        Secret.of(accessKeyId); // the key id is not secret to AWS, but it must not reach a report either
    }

    /** Static credentials without a session token. */
    public static AwsCredentials of(String accessKeyId, String secretAccessKey) {
        return new AwsCredentials(accessKeyId, Secret.of(secretAccessKey), null);
    }

    /** Static session credentials. */
    public static AwsCredentials of(String accessKeyId, String secretAccessKey, String sessionToken) {
        return new AwsCredentials(accessKeyId, Secret.of(secretAccessKey), Secret.of(sessionToken));
    }

    public String accessKeyId() {
        return accessKeyId;
    }

    public Secret secretAccessKey() {
        return secretAccessKey;
    }

    public Optional<Secret> sessionToken() {
        return Optional.ofNullable(sessionToken);
    }

    @Override
    public String toString() {
        return "AwsCredentials[accessKeyId=****]";
    }
}
