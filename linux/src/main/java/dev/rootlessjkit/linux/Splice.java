package dev.rootlessjkit.linux;

import java.util.concurrent.atomic.AtomicBoolean;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * splice(2) between sockets through pipes: the bytes move from one socket's receive queue to the other's send
 * queue as page references and never enter user space. Every call is non-blocking and reports failure as a
 * negative errno rather than an exception, because EAGAIN is the normal outcome of a relay's every other call.
 * Thread-safe.
 */
public final class Splice {
    public static final int EAGAIN = 11;
    public static final int EBADF = 9;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EINVAL = 22;
    public static final int EPIPE = 32;
    public static final int ECONNRESET = 104;
    /** What a pipe holds unless resized (16 pages). */
    public static final int DEFAULT_PIPE_BYTES = 65536;

    private static final int EINTR = 4;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int SPLICE_F_MOVE = 1;
    private static final int SPLICE_F_NONBLOCK = 2;
    private static final int SHUT_WR = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_NODELAY = 1;
    private static final int[] ON = {1};

    /** Reflective calls at first; the generated ones once {@link #compileInBackground} has them. */
    volatile RelayLib lib;
    private final Runtime runtime;
    private final AtomicBoolean compiling = new AtomicBoolean();

    private Splice(RelayLib lib) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
    }

    public static Splice load() {
        return new Splice(LibraryLoader.create(RelayLib.class).load("c"));
    }

    /**
     * Generates call stubs for these calls on a background thread and switches to them when ready, whatever
     * {@code -Djnr.ffi.asm.enabled} says (see {@link CompiledBindings}). Until then, and where jnr-ffi cannot
     * generate them, the calls go through reflection. Only the first call does anything.
     */
    public void compileInBackground() {
        if (compiling.compareAndSet(false, true)) {
            CompiledBindings.inBackground(RelayLib.class, compiled -> lib = compiled);
        }
    }

    /** A non-blocking, close-on-exec pipe: {read end, write end}. Fails with EMFILE/ENFILE when out of fds. */
    public int[] pipe() throws ErrnoException {
        final int[] fds = new int[2];
        if (lib.pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
            final int errno = runtime.getLastError();
            throw new ErrnoException("pipe2", "", errno, lib.strerror(errno));
        }
        return fds;
    }

    /**
     * F_SETPIPE_SZ: the capacity the kernel gave (at least {@code bytes}, rounded up to a power of two pages), or
     * -errno: EPERM above /proc/sys/fs/pipe-max-size or when the user's pipes already hold
     * /proc/sys/fs/pipe-user-pages-soft pages, EBUSY when the pipe holds more than {@code bytes}.
     */
    public int resizePipe(int fd, int bytes) {
        final int size = lib.fcntl(fd, F_SETPIPE_SZ, bytes);
        return size >= 0 ? size : -runtime.getLastError();
    }

    /**
     * Moves up to {@code len} bytes from {@code in} to {@code out}, one of which is a pipe, without blocking: the
     * bytes moved, 0 at end of input, or -errno (-EAGAIN when {@code in} is empty or {@code out} full).
     */
    public long move(int in, int out, long len) {
        while (true) {
            final long n = lib.splice(in, null, out, null, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n >= 0) {
                return n;
            }
            final int errno = runtime.getLastError();
            if (errno != EINTR) {
                return -errno;
            }
        }
    }

    /** shutdown(SHUT_WR): the peer reads end of stream after what was sent. 0 or -errno. */
    public int shutdownOutput(int fd) {
        return lib.shutdown(fd, SHUT_WR) == 0 ? 0 : -runtime.getLastError();
    }

    /**
     * TCP_NODELAY: what splice writes goes out at once, without Nagle holding back the short segment at the end of
     * each write until the previous ones are acknowledged. 0 or -errno.
     */
    public int noDelay(int fd) {
        return lib.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, ON, 4) == 0 ? 0 : -runtime.getLastError();
    }

    public void close(int fd) {
        lib.close(fd);
    }

    /** The failure of {@code call} as an exception, for callers that report a negative result. */
    public ErrnoException error(String call, int errno) {
        return new ErrnoException(call, "", errno, lib.strerror(errno));
    }
}
