package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;

/**
 * The builtin driver's UDP forwarding threads: a few {@link UdpLoop}s, started with the first published UDP port
 * (a run that publishes none never pays for them), over which the ports are spread.
 */
final class UdpLoops implements AutoCloseable {
    /**
     * Datagrams one system call receives or sends: enough that a flood costs a fraction of a call per datagram;
     * each slot reserves 64 KiB of address space but only the pages datagrams fill become resident.
     */
    static final int BATCH = 64;
    private static final long STOP_MILLIS = 2000;

    private final int threads;
    private final Log log;
    /** Guarded by {@code this}; null until the first port. */
    private UdpLoop[] loops;
    private int next;
    private boolean closed;

    UdpLoops(int threads, Log log) {
        this.threads = threads;
        this.log = log;
    }

    /** The loop the next published port goes to. */
    synchronized UdpLoop next() throws ErrnoException {
        if (closed) {
            throw new IllegalStateException("the UDP forwarding loops are closed");
        }
        if (loops == null) {
            final Splice calls = Splice.load();
            loops = EpollLoop.makeAll(new UdpLoop[threads], i -> new UdpLoop(calls, BATCH, "builtin-port-udp-" + i, log),
                    STOP_MILLIS);
        }
        final UdpLoop loop = loops[next];
        next = (next + 1) % loops.length;
        return loop;
    }

    /** Stops the loops; the forwarders on them are closed first. */
    @Override
    public void close() {
        final UdpLoop[] all;
        synchronized (this) {
            closed = true;
            all = loops;
        }
        EpollLoop.stopAll(all, STOP_MILLIS);
    }
}
