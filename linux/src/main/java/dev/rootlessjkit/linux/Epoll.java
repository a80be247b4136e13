package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.Libc.CLOSE;
import static dev.rootlessjkit.linux.Libc.READ;
import static dev.rootlessjkit.linux.Libc.WRITE;
import static dev.rootlessjkit.linux.NativeCalls.INT;
import static dev.rootlessjkit.linux.NativeCalls.POINTER;

import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Platform;
import dev.rootlessjkit.linux.NativeCalls.Function;

/**
 * An epoll instance with its own eventfd, so that other threads can wake a thread blocked in {@link #await}.
 * One thread waits and reads the events; {@link #wakeUp} may be called from any thread. Its native memory is freed
 * by {@link #close}.
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
    private static final int EFD_NONBLOCK = 04000;
    private static final int EFD_CLOEXEC = 02000000;
    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    // struct epoll_event is packed on x86-64 (12 bytes, data at 4) and naturally aligned elsewhere (16, at 8).
    private static final boolean PACKED = Platform.getPlatform().getCPU() == Platform.CPU.X86_64;
    private static final int EVENT_BYTES = PACKED ? 12 : 16;
    private static final int EVENT_DATA = PACKED ? 4 : 8;

    private static final Function EPOLL_CREATE1 = Function.ofInt("epoll_create1", INT);
    private static final Function EPOLL_CTL = Function.ofInt("epoll_ctl", INT, INT, INT, POINTER);
    private static final Function EPOLL_WAIT = Function.ofInt("epoll_wait", INT, POINTER, INT, INT);
    private static final Function EVENTFD = Function.ofInt("eventfd", INT, INT);

    private final NativeCalls c;
    private final MemoryIO memory;
    private final int epfd;
    private final int wakeFd;
    private final int maxEvents;
    /** One block: the events of {@link #await}, then the event for epoll_ctl, the 1 that wakes, the 8 it drains. */
    private final long block;
    private final long events;
    private final long control;
    private final long one;
    private final long drain;

    private Epoll(NativeCalls calls, int epfd, int wakeFd, int maxEvents) {
        this.c = calls;
        this.memory = calls.memory();
        this.epfd = epfd;
        this.wakeFd = wakeFd;
        this.maxEvents = maxEvents;
        final long eventsBytes = (long) maxEvents * EVENT_BYTES;
        this.block = memory.allocateMemory(eventsBytes + EVENT_BYTES + 2 * Long.BYTES, true);
        if (block == 0) {
            throw new OutOfMemoryError("native memory for " + maxEvents + " epoll events");
        }
        this.events = block;
        this.control = block + eventsBytes;
        this.one = control + EVENT_BYTES;
        this.drain = one + Long.BYTES;
        memory.putLong(one, 1);
    }

    /**
     * @param calls     the relay's calls, whose native binding this shares
     * @param maxEvents how many events one {@link #await} returns at most
     */
    public static Epoll open(Splice calls, int maxEvents) throws ErrnoException {
        final NativeCalls c = calls.c;
        final int epfd = c.callInt(EPOLL_CREATE1, EPOLL_CLOEXEC);
        if (epfd < 0) {
            throw c.failure("epoll_create1", "");
        }
        final int wakeFd = c.callInt(EVENTFD, 0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wakeFd < 0) {
            final ErrnoException e = c.failure("eventfd", "");
            c.call(CLOSE, epfd);
            throw e;
        }
        final Epoll epoll = new Epoll(c, epfd, wakeFd, maxEvents);
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
        memory.putInt(control, events);
        memory.putLong(control + EVENT_DATA, token);
        if (c.callInt(EPOLL_CTL, epfd, EPOLL_CTL_ADD, fd, control) != 0) {
            throw c.failure("epoll_ctl", "EPOLL_CTL_ADD");
        }
    }

    /** Stops watching {@code fd}, which stays open. */
    public void remove(int fd) {
        c.call(EPOLL_CTL, epfd, EPOLL_CTL_DEL, fd, control);
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: for ever) for events; returns how many, readable with {@link #events}
     * and {@link #token}. 0 when interrupted by a signal.
     */
    public int await(int timeoutMillis) throws ErrnoException {
        final int n = c.callInt(EPOLL_WAIT, epfd, events, maxEvents, timeoutMillis);
        if (n < 0) {
            final int errno = c.errno();
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw new ErrnoException("epoll_wait", "", errno, c.describe(errno));
        }
        for (int i = 0; i < n; i++) {
            if (token(i) == WAKE_UP) {
                c.call(READ, wakeFd, drain, Long.BYTES);
            }
        }
        return n;
    }

    /** The event mask of the {@code i}-th event of the last {@link #await}. */
    public int events(int i) {
        return memory.getInt(events + (long) i * EVENT_BYTES);
    }

    /** The token of the {@code i}-th event of the last {@link #await}. */
    public long token(int i) {
        return memory.getLong(events + (long) i * EVENT_BYTES + EVENT_DATA);
    }

    /** Makes the thread in {@link #await} (or its next call) return. Any thread. */
    public void wakeUp() {
        c.call(WRITE, wakeFd, one, Long.BYTES);
    }

    /** Closes the epoll instance and its eventfd and frees its memory; the thread that awaits must have left. */
    @Override
    public void close() {
        c.call(CLOSE, wakeFd);
        c.call(CLOSE, epfd);
        memory.freeMemory(block);
    }
}
