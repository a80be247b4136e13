package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.DatagramBatch;
import dev.rootlessjkit.linux.Epoll;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One thread that forwards UDP for the {@link UdpForwarder}s placed on it: it waits on its own epoll instance
 * (level-triggered input: each wake-up reads one batch per socket, so one busy flow cannot starve the others) and
 * lends every handler the loop's one {@link DatagramBatch}. A forwarder and all its flows stay on one loop, so they
 * need no locking; other threads hand work over with {@link #execute}. Idle flows are expired by the forwarders'
 * sweeps, which run when the earliest deadline any of them asked for has passed.
 */
final class UdpLoop extends EpollLoop {
    /** What a watched socket does when it is readable (or has a pending error to report). */
    interface Handler {
        void readable();
    }

    /** Expires what has been idle at {@code now}; returns the next deadline, or Long.MAX_VALUE for none. */
    interface Sweeper {
        long sweep(long now);
    }

    /**
     * How far the UDP forwarding threads' nice value is raised above the process's (to nice 5, normally). UDP has no
     * back-pressure: a datagram forwarded into the namespace faster than its receiver reads is dropped at the
     * receiver's full socket buffer, after all the forwarding's work was done, and nothing tells the forwarder. Under
     * iperf3's flood on 2 cores, 61% of the datagrams forwarded were dropped inside (hack/benchmark-port.sh's "UDP
     * lost" row): the forwarding thread spent the core its receiver needed. One step below the receiver's priority, the
     * receiver (every process of the host, in fact) runs first and the forwarder moves datagrams while it waits, which
     * is the pacing UDP lacks: the flood's received rate rose from 6.7 to 9.4 Gbit/s (three alternations within one
     * instance; 10.2 at nice 10). The price is latency while the host's cores are all busy: a UDP ping-pong beside two
     * busy loops kept a p99 of 5-6 ms at nice 5 (5.9-8.1 ms at nice 0), where nice 10 tripled its p90. A thread cannot
     * take the step back (RLIMIT_NICE), so it is fixed for the thread's life. TCP's relays keep the default: TCP's
     * window paces them.
     */
    static final int NICE_INCREMENT = 5;

    private final Splice calls;
    private final DatagramBatch batch;
    /** By token; a freed token is reused only after the events of the current wake-up are handled. */
    private Handler[] handlers = new Handler[64];
    private int[] free = new int[64];
    private int freeCount;
    private int[] freedNow = new int[64];
    private int freedNowCount;
    private int used;
    private final List<Sweeper> sweepers = new ArrayList<>();
    private long nextSweep = Long.MAX_VALUE;

    /** @param batchSlots how many datagrams the loop's batch moves per system call */
    UdpLoop(Splice calls, int batchSlots, String name, Log log) throws ErrnoException {
        super(calls, name, "UDP forwarding", "the UDP forwarding loops are closed", log);
        this.calls = calls;
        this.batch = DatagramBatch.allocate(batchSlots);
        startThread();
    }

    @Override
    void onThread() {
        final int errno = -calls.niceThisThread(NICE_INCREMENT);
        if (errno != 0) {
            // Forwarding works as well; only a flood takes more of the core its receiver needs.
            log.debug("builtin port driver: udp: setpriority: " + batch.describe(errno));
        }
    }

    /** The batch handlers receive into and send from. Loop thread only. */
    DatagramBatch batch() {
        return batch;
    }

    /** Calls {@code handler} whenever {@code fd} is readable; returns the token to {@link #unwatch} it with. */
    int watch(int fd, Handler handler) throws ErrnoException {
        final int token;
        if (freeCount > 0) {
            token = free[--freeCount];
        } else {
            if (used == handlers.length) {
                handlers = Arrays.copyOf(handlers, used * 2);
            }
            token = used++;
        }
        try {
            epoll.add(fd, Epoll.IN, token);
        } catch (ErrnoException e) {
            release(token);
            throw e;
        }
        handlers[token] = handler;
        return token;
    }

    /** Stops watching {@code fd}, which stays open; its events still due in this wake-up are dropped. */
    void unwatch(int fd, int token) {
        epoll.remove(fd);
        handlers[token] = null;
        release(token);
    }

    private void release(int token) {
        if (freedNowCount == freedNow.length) {
            freedNow = Arrays.copyOf(freedNow, freedNowCount * 2);
        }
        freedNow[freedNowCount++] = token;
    }

    void close(int fd) {
        calls.close(fd);
    }

    /** SO_RCVBUF of {@code bytes} on {@code fd}: 0 or -errno. */
    int receiveBuffer(int fd, int bytes) {
        return calls.receiveBuffer(fd, bytes);
    }

    /** The forwarders are closed by now and nothing runs on the loop any more: the batch's memory can go. */
    @Override
    void closing() {
        batch.close();
    }

    void addSweeper(Sweeper sweeper) {
        sweepers.add(sweeper);
    }

    void removeSweeper(Sweeper sweeper) {
        sweepers.remove(sweeper);
    }

    /** Makes the sweeps run at {@code deadline} (System.nanoTime) at the latest. Loop thread only. */
    void sweepBy(long deadline) {
        if (deadline - nextSweep < 0 || nextSweep == Long.MAX_VALUE) {
            nextSweep = deadline;
        }
    }

    @Override
    int awaitMillis() {
        final long wait = nextSweep == Long.MAX_VALUE ? -1
                : Math.max(0, (nextSweep - System.nanoTime()) / 1_000_000L + 1);
        return (int) Math.min(Integer.MAX_VALUE, wait);
    }

    @Override
    void onEvent(long token, int events) {
        if (handlers[(int) token] != null) {
            handlers[(int) token].readable();
        }
    }

    @Override
    void afterEvents() {
        recycleTokens();
    }

    @Override
    void afterTasks() {
        sweepIfDue();
    }

    private void recycleTokens() {
        while (freedNowCount > 0) {
            if (freeCount == free.length) {
                free = Arrays.copyOf(free, freeCount * 2);
            }
            free[freeCount++] = freedNow[--freedNowCount];
        }
    }

    private void sweepIfDue() {
        final long now = System.nanoTime();
        if (nextSweep == Long.MAX_VALUE || now - nextSweep < 0) {
            return;
        }
        nextSweep = Long.MAX_VALUE;
        for (Sweeper s : sweepers) {
            final long next = s.sweep(now);
            if (next != Long.MAX_VALUE) {
                sweepBy(next);
            }
        }
    }
}
