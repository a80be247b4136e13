package dev.rootlessjkit.net;

/** A network driver's flag has a value the driver cannot take; the message is one complete line for the user. */
public final class InvalidOptionsException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidOptionsException(String message) {
        super(message);
    }
}
