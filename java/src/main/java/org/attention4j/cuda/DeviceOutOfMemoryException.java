package org.attention4j.cuda;

/** Raised by a {@link DeviceMemory} when the device cannot satisfy an allocation; the cache then retries. */
final class DeviceOutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DeviceOutOfMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
