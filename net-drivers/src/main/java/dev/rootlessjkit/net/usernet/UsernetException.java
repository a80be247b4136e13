package dev.rootlessjkit.net.usernet;

/** The user-mode network could not be started or queried; the message says which step failed. */
public final class UsernetException extends Exception {
    public UsernetException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
