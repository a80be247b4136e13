package dev.rootlessjkit.messages;

/** The parent/child handshake failed at a named step. */
public final class HandshakeException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean peerGone;

    public HandshakeException(String message) {
        super(message);
        this.peerGone = false;
    }

    public HandshakeException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public HandshakeException(String message, Throwable cause, boolean peerGone) {
        super(message, cause);
        this.peerGone = peerGone;
    }

    /** Whether the other side closed its pipe: it exited, and has usually said why itself. */
    public boolean peerGone() {
        return peerGone;
    }
}
