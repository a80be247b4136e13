package dev.rootlessjkit.linux;

import java.io.IOException;

/** A system call that failed, with the call, what it was applied to and the kernel's errno. */
public final class ErrnoException extends IOException {
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
