package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The builtin driver's zero-copy TCP relays: a few {@link SpliceLoop} threads, started with the first relay (a
 * run that publishes no TCP port never pays for them), and the budget of fds their pipes may take.
 *
 * <p>Each relay holds two pipes, four fds on top of its two sockets. The {@link ConnectionBudget} gives the sockets
 * of relayed connections half of what the open-file limit leaves after its reserve; the pipes get the other half.
 * Past that, and whenever the kernel refuses a pipe, a connection goes through the buffer relay instead, which
 * costs no fds of its own.
 */
final class SpliceRelays implements AutoCloseable {
    static final int FDS_PER_RELAY = 4;
    /**
     * A pipe that fills is grown from the default 64 KiB to this (/proc/sys/fs/pipe-max-size, the most an
     * unprivileged process may ask for) where the kernel allows: an unprivileged user's pipes together hold at
     * most /proc/sys/fs/pipe-user-pages-soft, 64 MiB by default, and beyond it stay small.
     */
    static final int PIPE_BYTES = 1 << 20;
    private static final long STOP_MILLIS = 2000;

    private final int threads;
    private final long pipeFdBudget;
    private final int pipeBytes;
    private final Log log;
    private final AtomicLong pipeFdsLeft;
    private final AtomicInteger next = new AtomicInteger();
    /** Guarded by {@code this}; null until the first relay. */
    private SpliceLoop[] loops;
    private boolean closed;

    /**
     * @param threads      how many loops
     * @param pipeFdBudget how many fds all relays' pipes may hold together
     * @param pipeBytes    the size a pipe that fills is grown to, or 0 to keep the kernel's default
     */
    SpliceRelays(int threads, long pipeFdBudget, int pipeBytes, Log log) {
        this.threads = threads;
        this.pipeFdBudget = pipeFdBudget;
        this.pipeBytes = pipeBytes;
        this.log = log;
        this.pipeFdsLeft = new AtomicLong(pipeFdBudget);
    }

    /** Relays for a process whose RLIMIT_NOFILE soft limit is {@code softLimit}. */
    static SpliceRelays forOpenFiles(long softLimit, Log log) {
        return new SpliceRelays(Runtime.getRuntime().availableProcessors(),
                ConnectionBudget.halfOfUnreserved(softLimit), PIPE_BYTES, log);
    }

    /**
     * Relays between {@code client} and {@code backend}, two connected non-blocking TCP sockets, taking ownership
     * of both; when splice cannot carry them, hands them back untouched through {@code owner.fallBack}, on some
     * thread.
     */
    void relay(int client, int backend, SpliceRelay.Owner owner) {
        final SpliceLoop loop;
        try {
            loop = nextLoop();
        } catch (ErrnoException e) {
            owner.fallBack(e.getMessage());
            return;
        }
        try {
            loop.execute(() -> loop.start(client, backend, owner));
        } catch (RejectedExecutionException e) {
            owner.fallBack(e.getMessage());
        }
    }

    private SpliceLoop nextLoop() throws ErrnoException {
        final SpliceLoop[] all;
        synchronized (this) {
            if (closed) {
                throw new RejectedExecutionException("the splice relays are closed");
            }
            if (loops == null) {
                loops = startLoops();
            }
            all = loops;
        }
        return all[Math.floorMod(next.getAndIncrement(), all.length)];
    }

    private SpliceLoop[] startLoops() throws ErrnoException {
        final Splice splice = Splice.load();
        final SpliceLoop[] started = new SpliceLoop[threads];
        try {
            for (int i = 0; i < threads; i++) {
                started[i] = new SpliceLoop(splice, this, "builtin-port-splice-" + i, log);
            }
        } catch (ErrnoException e) {
            for (SpliceLoop loop : started) {
                if (loop != null) {
                    loop.stop(STOP_MILLIS);
                }
            }
            throw e;
        }
        return started;
    }

    long pipeFdBudget() {
        return pipeFdBudget;
    }

    /** Fds the pipes of running relays hold. */
    long pipeFdsInUse() {
        return pipeFdBudget - pipeFdsLeft.get();
    }

    boolean reservePipes() {
        if (pipeFdsLeft.addAndGet(-FDS_PER_RELAY) >= 0) {
            return true;
        }
        pipeFdsLeft.addAndGet(FDS_PER_RELAY);
        return false;
    }

    void releasePipes() {
        pipeFdsLeft.addAndGet(FDS_PER_RELAY);
    }

    int pipeBytes() {
        return pipeBytes;
    }

    /** Closes every relay and stops the loops. */
    @Override
    public void close() {
        final SpliceLoop[] all;
        synchronized (this) {
            closed = true;
            all = loops;
        }
        if (all != null) {
            for (SpliceLoop loop : all) {
                loop.stop(STOP_MILLIS);
            }
        }
    }
}
