package dev.rootlessjkit.port;

/**
 * The host refused to let us listen on a parent address, worded as Go's net.Listen does
 * ({@code listen tcp 127.0.0.1:8080: bind: address already in use}) because users and scripts know that text.
 */
public class ListenException extends PortDriverException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ListenException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The kernel's errno, 0 when the address was rejected before any system call. */
    public int errno() {
        return errno;
    }
}
