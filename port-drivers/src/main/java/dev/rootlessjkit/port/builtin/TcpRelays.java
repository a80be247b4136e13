package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The builtin driver's TCP relays and listeners: a few {@link RelayLoop} threads, started with the first published
 * TCP port (a run that publishes none never pays for them), and the budget of fds the relays' pipes may take.
 *
 * <p>A relay through pipes holds two of them, four fds on top of its two sockets. The {@link ConnectionBudget}
 * gives the sockets of relayed connections half of what the open-file limit leaves after its reserve; the pipes get
 * the other half. Past that, and whenever the kernel refuses a pipe, a relay goes through buffers instead, which
 * cost no fds.
 */
final class TcpRelays implements AutoCloseable {
    static final int FDS_PER_RELAY = 4;
    /**
     * A pipe that fills is grown from the default 64 KiB to this (/proc/sys/fs/pipe-max-size, the most an
     * unprivileged process may ask for) where the kernel allows: an unprivileged user's pipes together hold at
     * most /proc/sys/fs/pipe-user-pages-soft, 64 MiB by default, and beyond it stay small.
     */
    static final int PIPE_BYTES = 1 << 20;
    private static final long STOP_MILLIS = 2000;

    private final Splice calls = Splice.load();
    private final int threads;
    private final long pipeFdBudget;
    private final int pipeBytes;
    private final Log log;
    private final AtomicLong pipeFdsLeft;
    private final AtomicInteger next = new AtomicInteger();
    /** Guarded by {@code this}; null until the first listener. */
    private RelayLoop[] loops;
    private boolean closed;

    /**
     * @param threads      how many loops
     * @param pipeFdBudget how many fds all relays' pipes may hold together
     * @param pipeBytes    the size a pipe that fills is grown to, or 0 to keep the kernel's default
     */
    TcpRelays(int threads, long pipeFdBudget, int pipeBytes, Log log) {
        this.threads = threads;
        this.pipeFdBudget = pipeFdBudget;
        this.pipeBytes = pipeBytes;
        this.log = log;
        this.pipeFdsLeft = new AtomicLong(pipeFdBudget);
    }

    /** Relays for a process whose RLIMIT_NOFILE soft limit is {@code softLimit}. */
    static TcpRelays forOpenFiles(long softLimit, Log log) {
        return new TcpRelays(Runtime.getRuntime().availableProcessors(),
                ConnectionBudget.halfOfUnreserved(softLimit), PIPE_BYTES, log);
    }

    /**
     * Relays between {@code client} and {@code backend}, two connected non-blocking TCP sockets, taking ownership
     * of both; false, with both left to the caller, once the relays are closed.
     */
    boolean relay(int client, int backend, TcpRelay.Owner owner) {
        try {
            final RelayLoop loop = nextLoop();
            loop.execute(() -> loop.start(client, backend, owner));
            return true;
        } catch (ErrnoException | RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Accepts on {@code fd} (a bound, listening, non-blocking TCP socket, whose ownership passes here) on one of the
     * loops, until the listener it completes with is closed.
     */
    CompletableFuture<RelayLoop.Listening> listen(int fd, RelayLoop.Acceptor acceptor) {
        try {
            return nextLoop().listen(fd, acceptor);
        } catch (ErrnoException | RejectedExecutionException e) {
            calls.close(fd);
            return CompletableFuture.failedFuture(e);
        }
    }

    private RelayLoop nextLoop() throws ErrnoException {
        final RelayLoop[] all;
        synchronized (this) {
            if (closed) {
                throw new RejectedExecutionException("the TCP relays are closed");
            }
            if (loops == null) {
                loops = EpollLoop.makeAll(new RelayLoop[threads],
                        i -> new RelayLoop(calls, this, "builtin-port-tcp-" + i, log), STOP_MILLIS);
            }
            all = loops;
        }
        return all[Math.floorMod(next.getAndIncrement(), all.length)];
    }

    /** The native calls the relays make, for their forwarders too. */
    Splice calls() {
        return calls;
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
        final RelayLoop[] all;
        synchronized (this) {
            closed = true;
            all = loops;
        }
        EpollLoop.stopAll(all, STOP_MILLIS);
    }
}
