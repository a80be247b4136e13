package dev.rootlessjkit.parent.ctl;

/** A failure rootlessjctl reports as {@code error: <message>} with exit status 1. */
final class CtlException extends Exception {
    private static final long serialVersionUID = 1L;

    CtlException(String message) {
        super(message);
    }
}
