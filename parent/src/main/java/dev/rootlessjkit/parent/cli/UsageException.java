package dev.rootlessjkit.parent.cli;

/**
 * A mistake on the command line. The message is one line meant for the user as it is; there is no stack trace to
 * show (none is even recorded), and the process exits with status 1.
 */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message, null, false, false);
    }
}
