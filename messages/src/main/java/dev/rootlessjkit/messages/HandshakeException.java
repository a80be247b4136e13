package dev.rootlessjkit.messages;

/** The parent/child handshake failed at a named step. */
public final class HandshakeException extends Exception {
    private static final long serialVersionUID = 1L;

    public HandshakeException(String message) {
        super(message);
    }

    public HandshakeException(String message, Throwable cause) {
        super(message, cause);
    }
}
