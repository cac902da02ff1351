package org.attention4j;

/**
 * The one unchecked exception for engine failures that are not the caller's bad input: a backend that cannot be
 * started, device out-of-memory, a driver error. Bad input raises {@link IllegalArgumentException} instead.
 */
public class AttentionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An engine failure. */
    public AttentionException(String message) {
        super(message);
    }

    /** An engine failure with its cause. */
    public AttentionException(String message, Throwable cause) {
        super(message, cause);
    }
}
