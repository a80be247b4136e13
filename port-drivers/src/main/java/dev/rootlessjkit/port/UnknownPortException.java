package dev.rootlessjkit.port;

/** No published port has this ID (it never existed or was removed). */
public final class UnknownPortException extends PortDriverException {
    private static final long serialVersionUID = 1L;

    public UnknownPortException(long id) {
        super("unknown id: " + id);
    }
}
