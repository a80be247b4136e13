package dev.rootlessjkit.parent;

/** The parent cannot go on; the message is a complete one-line explanation for the user. */
public final class ParentException extends Exception {
    private static final long serialVersionUID = 1L;

    public ParentException(String message) {
        super(message);
    }

    public ParentException(String message, Throwable cause) {
        super(message, cause);
    }
}
