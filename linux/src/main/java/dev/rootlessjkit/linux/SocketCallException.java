package dev.rootlessjkit.linux;

/**
 * A socket call that failed. Keeps the call name and errno apart from the message, so callers can word the error
 * the way RootlessKit's users know it ({@code listen tcp 127.0.0.1:80: bind: permission denied}).
 */
public final class SocketCallException extends ErrnoException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final String description;

    SocketCallException(String call, String subject, int errno, String description) {
        super(call, subject, errno, description);
        this.call = call;
        this.description = description;
    }

    /** The failed call: socket, bind, listen, connect, ... */
    public String call() {
        return call;
    }

    /** strerror's text with a lower-case first letter, as Go prints errnos ("address already in use"). */
    public String description() {
        return description.isEmpty() ? description
                : Character.toLowerCase(description.charAt(0)) + description.substring(1);
    }
}
