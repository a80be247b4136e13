package dev.rootlessjkit.net.api;

/** A network driver could not start or configure its half; the message is complete for the user. */
public final class NetworkDriverException extends Exception {
    private static final long serialVersionUID = 1L;

    public NetworkDriverException(String message) {
        super(message);
    }

    public NetworkDriverException(String message, Throwable cause) {
        super(message, cause);
    }
}
