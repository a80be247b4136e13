package dev.rootlessjkit.linux;

import java.io.IOException;

/**
 * A system call that failed, with the call, what it was applied to and the kernel's errno. Socket calls throw the
 * {@link SocketCallException} kind, which also keeps the call's name apart for Go-worded messages.
 */
public sealed class ErrnoException extends IOException permits SocketCallException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ErrnoException(String call, String subject, int errno, String description) {
        super(call + (subject.isEmpty() ? "" : " " + subject) + ": " + description);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
