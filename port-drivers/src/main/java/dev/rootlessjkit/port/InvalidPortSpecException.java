package dev.rootlessjkit.port;

/** A port spec string that does not parse, or a spec with a bad proto, IP or port. */
public final class InvalidPortSpecException extends PortDriverException {
    private static final long serialVersionUID = 1L;

    public InvalidPortSpecException(String message) {
        super(message);
    }
}
