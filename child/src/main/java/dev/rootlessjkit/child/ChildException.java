package dev.rootlessjkit.child;

/** The child cannot set up its namespaces or start CMD; the message is the whole explanation for the user. */
public final class ChildException extends Exception {
    private static final long serialVersionUID = 1L;

    public ChildException(String message) {
        super(message);
    }

    public ChildException(String message, Throwable cause) {
        super(message, cause);
    }
}
