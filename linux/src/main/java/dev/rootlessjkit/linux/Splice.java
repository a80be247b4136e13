package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.Libc.CLOSE;
import static dev.rootlessjkit.linux.Libc.FCNTL;
import static dev.rootlessjkit.linux.Libc.READ;
import static dev.rootlessjkit.linux.Libc.SETSOCKOPT;
import static dev.rootlessjkit.linux.Libc.SHUTDOWN;
import static dev.rootlessjkit.linux.Libc.WRITE;
import static dev.rootlessjkit.linux.NativeCalls.INT;
import static dev.rootlessjkit.linux.NativeCalls.LONG;
import static dev.rootlessjkit.linux.NativeCalls.POINTER;

import com.kenai.jffi.MemoryIO;
import dev.rootlessjkit.linux.NativeCalls.Function;

/**
 * splice(2) between sockets through pipes: the bytes move from one socket's receive queue to the other's send
 * queue as page references and never enter user space. Every call is non-blocking and reports failure as a
 * negative errno rather than an exception, because EAGAIN is the normal outcome of a relay's every other call.
 * Thread-safe.
 *
 * <p>Through {@link NativeCalls} (jffi): a call costs one JNI transition and allocates nothing, as jnr-ffi's generated
 * stubs did, without the 50-150 ms of generating them (which the relay's first connection used to wait for, or
 * went through reflection meanwhile).
 */
public final class Splice {
    /** What a pipe holds unless resized (16 pages). */
    public static final int DEFAULT_PIPE_BYTES = 65536;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int SPLICE_F_MOVE = 1;
    private static final int SPLICE_F_NONBLOCK = 2;
    private static final int SHUT_WR = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_NODELAY = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SO_LINGER = 13;
    private static final int SO_RCVBUF = 8;
    private static final int PRIO_PROCESS = 0;

    private static final Function SPLICE = Function.ofLong("splice", INT, POINTER, INT, POINTER, LONG, INT);
    private static final Function GETPRIORITY = Function.ofInt("getpriority", INT, INT);
    private static final Function SETPRIORITY = Function.ofInt("setpriority", INT, INT, INT);

    final NativeCalls c;
    private final MemoryIO memory;
    /** The int 1, for TCP_NODELAY: allocated once, never freed (one per Splice, which lives as long as its relays). */
    private final long one;
    /** struct linger {1, 0}, for SO_LINGER: allocated once, never freed, as {@link #one}. */
    private final long lingerZero;

    private Splice(NativeCalls calls) {
        this.c = calls;
        this.memory = calls.memory();
        this.one = memory.allocateMemory(Integer.BYTES, true);
        memory.putInt(one, 1);
        this.lingerZero = memory.allocateMemory(2L * Integer.BYTES, true);
        memory.putInt(lingerZero, 1);
    }

    public static Splice load() {
        return new Splice(NativeCalls.load());
    }

    /** A non-blocking, close-on-exec pipe: {read end, write end}. Fails with EMFILE/ENFILE when out of fds. */
    public int[] pipe() throws ErrnoException {
        return Libc.pipe(c, O_NONBLOCK | O_CLOEXEC);
    }

    /**
     * F_SETPIPE_SZ: the capacity the kernel gave (at least {@code bytes}, rounded up to a power of two pages), or
     * -errno: EPERM above /proc/sys/fs/pipe-max-size or when the user's pipes already hold
     * /proc/sys/fs/pipe-user-pages-soft pages, EBUSY when the pipe holds more than {@code bytes}.
     */
    public int resizePipe(int fd, int bytes) {
        final int size = c.callInt(FCNTL, fd, F_SETPIPE_SZ, bytes);
        return size >= 0 ? size : -c.errno();
    }

    /**
     * Moves up to {@code len} bytes from {@code in} to {@code out}, one of which is a pipe, without blocking: the
     * bytes moved, 0 at end of input, or -errno (-EAGAIN when {@code in} is empty or {@code out} full).
     */
    public long move(int in, int out, long len) {
        long n;
        while ((n = c.call(SPLICE, in, 0, out, 0, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK)) < 0
                && c.errno() == Errno.EINTR) {
            // Interrupted before anything moved: again.
        }
        return n >= 0 ? n : -c.errno();
    }

    /**
     * read(2) of up to {@code len} bytes into native memory at {@code address}, for sockets splice cannot carry:
     * the bytes read, 0 at end of input, or -errno (-EAGAIN when nothing is queued).
     */
    public long read(int fd, long address, long len) {
        long n;
        while ((n = c.call(READ, fd, address, len)) < 0 && c.errno() == Errno.EINTR) {
            // Interrupted before anything moved: again.
        }
        return n >= 0 ? n : -c.errno();
    }

    /** write(2) of up to {@code len} bytes from native memory at {@code address}: the bytes written or -errno. */
    public long write(int fd, long address, long len) {
        long n;
        while ((n = c.call(WRITE, fd, address, len)) < 0 && c.errno() == Errno.EINTR) {
            // Interrupted before anything moved: again.
        }
        return n >= 0 ? n : -c.errno();
    }

    /** Native memory for {@link #read} and {@link #write}, not cleared; {@link #free} gives it back. */
    public long allocate(int bytes) {
        return memory.allocateMemory(bytes, false);
    }

    public void free(long address) {
        memory.freeMemory(address);
    }

    /**
     * Closes a TCP socket with a reset (SO_LINGER of zero): the peer learns at once that the connection is refused,
     * where a plain close would look like an empty answer.
     */
    public void resetAndClose(int fd) {
        c.callInt(SETSOCKOPT, fd, SOL_SOCKET, SO_LINGER, lingerZero, 2L * Integer.BYTES);
        close(fd);
    }

    /** shutdown(SHUT_WR): the peer reads end of stream after what was sent. 0 or -errno. */
    public int shutdownOutput(int fd) {
        return c.callInt(SHUTDOWN, fd, SHUT_WR) == 0 ? 0 : -c.errno();
    }

    /**
     * TCP_NODELAY: what splice writes goes out at once, without Nagle holding back the short segment at the end of
     * each write until the previous ones are acknowledged. 0 or -errno.
     */
    public int noDelay(int fd) {
        return c.callInt(SETSOCKOPT, fd, IPPROTO_TCP, TCP_NODELAY, one, Integer.BYTES) == 0 ? 0 : -c.errno();
    }

    /**
     * SO_RCVBUF: asks for a receive buffer of {@code bytes}, which the kernel caps at net.core.rmem_max (and then
     * doubles for its bookkeeping). 0 or -errno.
     */
    public int receiveBuffer(int fd, int bytes) {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long value = scratch.allocate(Integer.BYTES);
            memory.putInt(value, bytes);
            return c.callInt(SETSOCKOPT, fd, SOL_SOCKET, SO_RCVBUF, value, Integer.BYTES) == 0 ? 0 : -c.errno();
        }
    }

    public void close(int fd) {
        c.call(CLOSE, fd);
    }

    /**
     * Raises the calling thread's nice value by {@code increment}, up to 19 (getpriority and setpriority with
     * PRIO_PROCESS and 0: on Linux the calling thread, not its process): 0 or -errno. Relative, so that the thread
     * stays that far below the rest of a process started with nice(1). One way only: a thread without CAP_SYS_NICE
     * cannot lower its nice value again (RLIMIT_NICE is 0 by default).
     */
    public int niceThisThread(int increment) {
        // getpriority returns the nice value, -1 included: only errno tells a failure apart.
        c.clearErrno();
        final int nice = c.callInt(GETPRIORITY, PRIO_PROCESS, 0);
        if (nice == -1 && c.errno() != 0) {
            return -c.errno();
        }
        return c.callInt(SETPRIORITY, PRIO_PROCESS, 0, Math.min(19, nice + increment)) == 0 ? 0 : -c.errno();
    }

    /** The failure of {@code call} as an exception, for callers that report a negative result. */
    public ErrnoException error(String call, int errno) {
        return new ErrnoException(call, "", errno, c.describe(errno));
    }
}
