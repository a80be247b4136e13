package dev.rootlessjkit.linux;

import jnr.ffi.Memory;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * An epoll instance with its own eventfd, so that other threads can wake a thread blocked in {@link #await}.
 * One thread waits and reads the events; {@link #wakeUp} may be called from any thread.
 */
public final class Epoll implements AutoCloseable {
    public static final int IN = 0x001;
    public static final int OUT = 0x004;
    public static final int ERR = 0x008;
    public static final int HUP = 0x010;
    public static final int RDHUP = 0x2000;
    public static final int EDGE_TRIGGERED = 1 << 31;
    /** The token of the event {@link #wakeUp} causes; {@link #await} has already consumed it. */
    public static final long WAKE_UP = -1;

    private static final int EINTR = 4;
    private static final int EFD_NONBLOCK = 04000;
    private static final int EFD_CLOEXEC = 02000000;
    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    // struct epoll_event is packed on x86-64 (12 bytes, data at 4) and naturally aligned elsewhere (16, at 8).
    private static final boolean PACKED = Platform.getNativePlatform().getCPU() == Platform.CPU.X86_64;
    private static final int EVENT_BYTES = PACKED ? 12 : 16;
    private static final int EVENT_DATA = PACKED ? 4 : 8;

    private final Splice calls;
    private final Runtime runtime;
    private final int epfd;
    private final int wakeFd;
    private final int maxEvents;
    private final Pointer events;
    private final Pointer control;
    private final Pointer one;
    private final Pointer drain;

    private Epoll(Splice calls, int epfd, int wakeFd, int maxEvents) {
        this.calls = calls;
        this.runtime = Runtime.getRuntime(calls.lib);
        this.epfd = epfd;
        this.wakeFd = wakeFd;
        this.maxEvents = maxEvents;
        this.events = Memory.allocateDirect(runtime, (long) maxEvents * EVENT_BYTES, true);
        this.control = Memory.allocateDirect(runtime, EVENT_BYTES, true);
        this.one = Memory.allocateDirect(runtime, 8, true);
        one.putLong(0, 1);
        this.drain = Memory.allocateDirect(runtime, 8, true);
    }

    /**
     * @param calls     whose binding of the libc calls to use
     * @param maxEvents how many events one {@link #await} returns at most
     */
    public static Epoll open(Splice calls, int maxEvents) throws ErrnoException {
        final RelayLib lib = calls.lib;
        final Runtime runtime = Runtime.getRuntime(lib);
        final int epfd = lib.epoll_create1(EPOLL_CLOEXEC);
        if (epfd < 0) {
            final int errno = runtime.getLastError();
            throw new ErrnoException("epoll_create1", "", errno, lib.strerror(errno));
        }
        final int wakeFd = lib.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wakeFd < 0) {
            final int errno = runtime.getLastError();
            lib.close(epfd);
            throw new ErrnoException("eventfd", "", errno, lib.strerror(errno));
        }
        final Epoll epoll = new Epoll(calls, epfd, wakeFd, maxEvents);
        try {
            epoll.add(wakeFd, IN, WAKE_UP);
        } catch (ErrnoException e) {
            epoll.close();
            throw e;
        }
        return epoll;
    }

    /** Watches {@code fd} for {@code events}; each event names it by {@code token}. */
    public void add(int fd, int events, long token) throws ErrnoException {
        control.putInt(0, events);
        control.putLong(EVENT_DATA, token);
        if (calls.lib.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, control) != 0) {
            final int errno = runtime.getLastError();
            throw new ErrnoException("epoll_ctl", "EPOLL_CTL_ADD", errno, calls.lib.strerror(errno));
        }
    }

    /** Stops watching {@code fd}, which stays open. */
    public void remove(int fd) {
        calls.lib.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, control);
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: for ever) for events; returns how many, readable with {@link #events}
     * and {@link #token}. 0 when interrupted by a signal.
     */
    public int await(int timeoutMillis) throws ErrnoException {
        final int n = calls.lib.epoll_wait(epfd, events, maxEvents, timeoutMillis);
        if (n < 0) {
            final int errno = runtime.getLastError();
            if (errno == EINTR) {
                return 0;
            }
            throw new ErrnoException("epoll_wait", "", errno, calls.lib.strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            if (token(i) == WAKE_UP) {
                calls.lib.read(wakeFd, drain, 8);
            }
        }
        return n;
    }

    /** The event mask of the {@code i}-th event of the last {@link #await}. */
    public int events(int i) {
        return events.getInt((long) i * EVENT_BYTES);
    }

    /** The token of the {@code i}-th event of the last {@link #await}. */
    public long token(int i) {
        return events.getLong((long) i * EVENT_BYTES + EVENT_DATA);
    }

    /** Makes the thread in {@link #await} (or its next call) return. Any thread. */
    public void wakeUp() {
        calls.lib.write(wakeFd, one, 8);
    }

    @Override
    public void close() {
        calls.lib.close(wakeFd);
        calls.lib.close(epfd);
    }
}
