package dev.rootlessjkit.port;

/** The port driver's half inside the namespace did not come up, or stopped answering. */
public final class ChildHalfException extends PortDriverException {
    private static final long serialVersionUID = 1L;

    public ChildHalfException(String message) {
        super(message);
    }

    public ChildHalfException(String message, Throwable cause) {
        super(message, cause);
    }
}
