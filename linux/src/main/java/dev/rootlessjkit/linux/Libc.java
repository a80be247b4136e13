package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.NativeCalls.INT;
import static dev.rootlessjkit.linux.NativeCalls.LONG;
import static dev.rootlessjkit.linux.NativeCalls.POINTER;

import dev.rootlessjkit.linux.NativeCalls.Function;

/**
 * The libc functions that more than one class of this package calls through {@link NativeCalls}. A function's
 * address and call interface are cached per {@code NativeCalls} instance, keyed by these constants, so declaring
 * each one once also keeps one binding of it per instance.
 */
final class Libc {
    private Libc() {
    }

    static final Function CLOSE = Function.ofInt("close", INT);
    static final Function READ = Function.ofLong("read", INT, POINTER, LONG);
    static final Function WRITE = Function.ofLong("write", INT, POINTER, LONG);
    static final Function OPEN = Function.ofInt("open", POINTER, INT, INT);
    static final Function FCNTL = Function.ofInt("fcntl", INT, INT, INT);
    static final Function IOCTL = Function.ofInt("ioctl", INT, LONG, POINTER);
    static final Function POLL = Function.ofInt("poll", POINTER, LONG, INT);
    static final Function CHMOD = Function.ofInt("chmod", POINTER, INT);
    static final Function SOCKET = Function.ofInt("socket", INT, INT, INT);
    static final Function SOCKETPAIR = Function.ofInt("socketpair", INT, INT, INT, POINTER);
    static final Function BIND = Function.ofInt("bind", INT, POINTER, INT);
    static final Function LISTEN = Function.ofInt("listen", INT, INT);
    static final Function CONNECT = Function.ofInt("connect", INT, POINTER, INT);
    static final Function ACCEPT4 = Function.ofInt("accept4", INT, POINTER, POINTER, INT);
    static final Function SETSOCKOPT = Function.ofInt("setsockopt", INT, INT, INT, POINTER, INT);
    static final Function GETSOCKOPT = Function.ofInt("getsockopt", INT, INT, INT, POINTER, POINTER);
    static final Function GETSOCKNAME = Function.ofInt("getsockname", INT, POINTER, POINTER);
    static final Function SENDMSG = Function.ofLong("sendmsg", INT, POINTER, INT);
    static final Function RECVMSG = Function.ofLong("recvmsg", INT, POINTER, INT);
    static final Function SHUTDOWN = Function.ofInt("shutdown", INT, INT);
    static final Function PIPE2 = Function.ofInt("pipe2", POINTER, INT);

    static final int F_DUPFD_CLOEXEC = 1030;

    /** fcntl(F_DUPFD_CLOEXEC): a close-on-exec copy of {@code fd} with the lowest free number from {@code lowest}. */
    static int duplicateAbove(NativeCalls c, int fd, int lowest) throws ErrnoException {
        final int copy = c.callInt(FCNTL, fd, F_DUPFD_CLOEXEC, lowest);
        if (copy < 0) {
            throw c.failure("fcntl F_DUPFD_CLOEXEC", "fd " + fd);
        }
        return copy;
    }

    /** pipe2(2) with {@code flags}: {read end, write end}. */
    static int[] pipe(NativeCalls c, int flags) throws ErrnoException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long fds = scratch.allocate(2L * Integer.BYTES);
            if (c.callInt(PIPE2, fds, flags) != 0) {
                throw c.failure("pipe2", "");
            }
            return new int[] {c.memory().getInt(fds), c.memory().getInt(fds + Integer.BYTES)};
        }
    }
}
