package dev.spotdrill.lab;

import java.time.Instant;
import java.util.Objects;

/**
 * One request the lab served.
 *
 * @param worldTime when it was served, in world time
 * @param service {@code fis}, {@code ec2}, {@code sts}, {@code iam}, {@code events}, {@code sqs}, {@code imds},
 *     {@code spotadvisor} or {@code castai}
 * @param operation the AWS operation name, such as {@code CreateExperimentTemplate}; for IMDS
 *     {@code GET <path>} or {@code PUT token}
 * @param caller the principal ARN of the signing credentials, empty when unsigned or unknown (never a key)
 * @param status the HTTP status answered
 * @param errorCode the AWS error code answered, empty on success
 * @param resource the main resource involved: a template id, experiment id or instance ids; may be empty
 */
public record ApiCall(
        Instant worldTime,
        String service,
        String operation,
        String caller,
        int status,
        String errorCode,
        String resource) {

    public ApiCall {
        Objects.requireNonNull(worldTime, "worldTime");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(operation, "operation");
        caller = caller == null ? "" : caller;
        errorCode = errorCode == null ? "" : errorCode;
        resource = resource == null ? "" : resource;
    }

    /** Whether the call succeeded (a 2xx status). */
    public boolean succeeded() {
        return status >= 200 && status < 300;
    }

    /** Whether the operation changes something: anything but Get*, List*, Describe*, Simulate* and IMDS reads. */
    public boolean mutating() {
        if (service.equals("imds")) {
            return false;
        }
        return !(operation.startsWith("Get")
                || operation.startsWith("List")
                || operation.startsWith("Describe")
                || operation.startsWith("Simulate"));
    }
}
