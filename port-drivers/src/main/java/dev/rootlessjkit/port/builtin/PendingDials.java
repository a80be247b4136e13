package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Connects inside the namespace that did not complete inside connect(2) (a target that is slow, far away or
 * drops SYNs), watched by one thread with poll(2) until each finishes or times out. The reader of the parent's
 * requests never waits for one, so a slow target delays only its own connections. Bounded per target and in
 * total: past the bound a dial is refused at once (EAGAIN) rather than queued.
 */
final class PendingDials implements AutoCloseable {
    static final int MAX_PER_TARGET = 64;
    static final int MAX_TOTAL = 1024;

    /** What happens when a dial ends: {@code errno} 0 and the connected fd, or the errno and -1. */
    interface Outcome {
        void finished(int errno, int fd);
    }

    private record Dial(int fd, String target, long deadlineNanos, Outcome outcome) {
    }

    private final Sockets sockets;
    private final Log log;
    private final List<Dial> dials = new ArrayList<>();
    private final Map<String, Integer> perTarget = new HashMap<>();
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final int[] wake;
    private volatile boolean closed;
    /** Set once the watcher has closed the wake-up pair, after which {@link #close} must not touch it. */
    private boolean released;

    PendingDials(Sockets sockets, Log log) throws SocketCallException {
        this.sockets = sockets;
        this.log = log;
        this.wake = sockets.socketPair(Sockets.Type.STREAM);
        final Thread t = new Thread(this::watch, "builtin-port-dials");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Watches {@code fd}, a socket whose connect is in progress, for at most {@code timeoutMillis}; the outcome
     * runs on the watcher thread. False, and the caller still owns the fd, when {@code target} or the whole set is
     * at its bound.
     */
    boolean add(int fd, String target, int timeoutMillis, Outcome outcome) {
        synchronized (this) {
            if (closed || dials.size() >= MAX_TOTAL || perTarget.getOrDefault(target, 0) >= MAX_PER_TARGET) {
                return false;
            }
            dials.add(new Dial(fd, target, System.nanoTime() + timeoutMillis * 1_000_000L, outcome));
            perTarget.merge(target, 1, Integer::sum);
        }
        wakeUp();
        return true;
    }

    private void wakeUp() {
        if (wakePending.compareAndSet(false, true)) {
            try {
                sockets.send(wake[1], new byte[1], -1);
            } catch (SocketCallException e) {
                log.debug("builtin port driver: waking the dial watcher: " + e.getMessage());
            }
        }
    }

    private void watch() {
        final byte[] drain = new byte[64];
        int[] fds = new int[16];
        try {
            while (!closed) {
                final List<Dial> watched;
                synchronized (this) {
                    watched = new ArrayList<>(dials);
                }
                if (fds.length < watched.size()) {
                    fds = new int[Math.max(watched.size(), fds.length * 2)];
                }
                long next = Long.MAX_VALUE;
                for (int i = 0; i < watched.size(); i++) {
                    fds[i] = watched.get(i).fd();
                    next = Math.min(next, watched.get(i).deadlineNanos());
                }
                final int timeout = next == Long.MAX_VALUE ? -1
                        : (int) Math.max(0, Math.min(Integer.MAX_VALUE, (next - System.nanoTime()) / 1_000_000L + 1));
                final BitSet ready = sockets.awaitWritable(fds, watched.size(), wake[0], timeout);
                if (ready.get(watched.size())) {
                    // Drained before the flag is cleared: a wake-up sent in between is read by the next poll, and
                    // one skipped in between (flag still set) finds its dial in the next snapshot.
                    sockets.receive(wake[0], drain);
                    wakePending.set(false);
                }
                final long now = System.nanoTime();
                for (int i = 0; i < watched.size(); i++) {
                    final Dial d = watched.get(i);
                    if (ready.get(i)) {
                        finish(d, sockets.connectResult(d.fd()));
                    } else if (now - d.deadlineNanos() >= 0) {
                        finish(d, Errno.ETIMEDOUT);
                    }
                }
            }
        } catch (SocketCallException e) {
            if (!closed) {
                log.warn("builtin port driver: the dial watcher stopped: " + e.getMessage());
            }
        } finally {
            failAll();
        }
    }

    private void finish(Dial d, int errno) {
        synchronized (this) {
            dials.remove(d);
            perTarget.computeIfPresent(d.target(), (k, n) -> n > 1 ? n - 1 : null);
        }
        if (errno != 0) {
            sockets.close(d.fd());
            d.outcome().finished(errno, -1);
        } else {
            d.outcome().finished(0, d.fd());
        }
    }

    private void failAll() {
        final List<Dial> left;
        synchronized (this) {
            closed = true;
            released = true;
            left = new ArrayList<>(dials);
            dials.clear();
            perTarget.clear();
            sockets.close(wake[0]);
            sockets.close(wake[1]);
        }
        for (Dial d : left) {
            sockets.close(d.fd());
            d.outcome().finished(Errno.ECONNABORTED, -1);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (!released) {
            sockets.shutdown(wake[1]);
        }
    }
}
