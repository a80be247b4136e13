package dev.rootlessjkit.port;

/** bind(2) failed with EADDRINUSE: something else on the host already listens there. */
public final class AddressInUseException extends ListenException {
    private static final long serialVersionUID = 1L;

    public AddressInUseException(String message, int errno) {
        super(message, errno);
    }
}
