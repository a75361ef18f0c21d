package dev.spotdrill.lab;

/** An AWS error answer: HTTP status, error code and message. Thrown by handlers, turned into the wire shape. */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;

    ApiError(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }
}
