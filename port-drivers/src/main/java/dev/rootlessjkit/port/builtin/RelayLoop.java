package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Epoll;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One thread that runs {@link TcpRelay}s and accepts on published TCP ports' listeners: it waits on its own epoll
 * instance and lets each relay move what its events allow, and each listener take its new connections. A relay or
 * listener stays on the loop it started on, so they need no locking; other threads hand work over with
 * {@link #execute}.
 *
 * <p>Relays' sockets are watched edge-triggered for input and output from start to end, so no event needs
 * re-arming: a relay moves bytes until EAGAIN, and the kernel reports the next change. Listeners are watched
 * level-triggered: one that leaves connections queued (it takes a bounded batch per wake-up, so that a flood on
 * one port does not starve the relays) is reported again.
 */
final class RelayLoop extends EpollLoop {
    private static final int RELAY_EVENTS = Epoll.IN | Epoll.OUT | Epoll.EDGE_TRIGGERED;
    /** An event's token is an ID shifted left by two, the low bits saying whose socket it is. */
    private static final int CLIENT = 0;
    private static final int BACKEND = 1;
    private static final int LISTENER = 2;

    /** What a listener does when connections are queued. Loop thread. */
    interface Acceptor {
        void acceptable(Listening listening);
    }

    /** A listener on this loop, as its forwarder holds it. */
    final class Listening {
        private final long id;
        private final int fd;
        private final Acceptor acceptor;
        private long pausedUntilNanos;

        private Listening(long id, int fd, Acceptor acceptor) {
            this.id = id;
            this.fd = fd;
            this.acceptor = acceptor;
        }

        /** Stops watching the listener for {@code millis} (accept failing for want of fds, say). Loop thread. */
        void pause(long millis) {
            epoll.remove(fd);
            pausedUntilNanos = System.nanoTime() + millis * 1_000_000;
            paused.put(id, this);
        }

        /** Stops watching the listener and closes it; completes once done. Any thread. */
        CompletableFuture<Void> closeAsync() {
            final CompletableFuture<Void> done = new CompletableFuture<>();
            try {
                execute(() -> {
                    forget(this);
                    done.complete(null);
                });
            } catch (RejectedExecutionException e) {
                // The loop has stopped and closed every listener it had.
                done.complete(null);
            }
            return done;
        }
    }

    private final Splice calls;
    private final TcpRelays relays;
    private final Map<Long, TcpRelay> running = new HashMap<>();
    private final Map<Long, Listening> listeners = new HashMap<>();
    /** Listeners not watched for now, in the order they were paused (each for the same time). */
    private final Map<Long, Listening> paused = new LinkedHashMap<>();
    private long nextId;

    RelayLoop(Splice calls, TcpRelays relays, String name, Log log) throws ErrnoException {
        super(calls, name, "TCP relays", "the TCP relays are closed", log);
        this.calls = calls;
        this.relays = relays;
        startThread();
    }

    /**
     * Accepts on {@code fd}, a bound, listening, non-blocking TCP socket, from now until the listener is closed,
     * which closes {@code fd}. Any thread; completes on the loop, or exceptionally when the loop has stopped or
     * epoll refuses the fd (which is then closed).
     */
    CompletableFuture<Listening> listen(int fd, Acceptor acceptor) {
        final CompletableFuture<Listening> done = new CompletableFuture<>();
        execute(() -> {
            final Listening listening = new Listening(nextId++, fd, acceptor);
            try {
                epoll.add(fd, Epoll.IN, listening.id << 2 | LISTENER);
            } catch (ErrnoException e) {
                calls.close(fd);
                done.completeExceptionally(e);
                return;
            }
            listeners.put(listening.id, listening);
            done.complete(listening);
        });
        return done;
    }

    private void forget(Listening listening) {
        if (listeners.remove(listening.id) != null) {
            if (paused.remove(listening.id) == null) {
                epoll.remove(listening.fd);
            }
            calls.close(listening.fd);
        }
    }

    /**
     * Starts relaying between two connected non-blocking sockets, taking ownership of both: through pipes while
     * their fd budget lasts and the kernel gives them, through buffers otherwise. Loop thread only.
     */
    void start(int client, int backend, TcpRelay.Owner owner) {
        final int[][] pipes = pipes();
        // Written at once, as RootlessKit's relays (Go's TCP sockets) have it: no Nagle delay on a request's tail.
        calls.noDelay(client);
        calls.noDelay(backend);
        final TcpRelay relay = new TcpRelay(this, calls, nextId++, client, backend, pipes == null ? null : pipes[0],
                pipes == null ? null : pipes[1], relays.pipeBytes(), owner);
        running.put(relay.id, relay);
        if (!owner.track(relay)) {
            release(relay);
            return;
        }
        try {
            epoll.add(client, RELAY_EVENTS, relay.id << 2 | CLIENT);
            epoll.add(backend, RELAY_EVENTS, relay.id << 2 | BACKEND);
        } catch (ErrnoException e) {
            log.debug("builtin port driver: " + e.getMessage());
            release(relay);
        }
    }

    /** Two pipes within the budget, or null when the budget is spent or the kernel refuses one. */
    private int[][] pipes() {
        if (!relays.reservePipes()) {
            log.debug("builtin port driver: a relay through buffers: pipes already take the "
                    + relays.pipeFdBudget() + " fds set aside for them");
            return null;
        }
        try {
            final int[] up = calls.pipe();
            try {
                return new int[][] {up, calls.pipe()};
            } catch (ErrnoException e) {
                calls.close(up[0]);
                calls.close(up[1]);
                throw e;
            }
        } catch (ErrnoException e) {
            relays.releasePipes();
            log.debug("builtin port driver: a relay through buffers: " + e.getMessage());
            return null;
        }
    }

    /** A relay has given its pipes back and carries on through buffers. */
    void pipesReleased() {
        relays.releasePipes();
    }

    /** Forgets {@code relay}, stops watching its sockets and closes its fds. Loop thread only, once per relay. */
    void release(TcpRelay relay) {
        running.remove(relay.id);
        epoll.remove(relay.client());
        epoll.remove(relay.backend());
        // Before the fds, whose release completes the relay's close: whoever waited for that sees the budget back.
        if (relay.splices()) {
            relays.releasePipes();
        }
        relay.releaseFds();
    }

    @Override
    void onEvent(long token, int events) {
        final long id = token >>> 2;
        if ((token & 3) == LISTENER) {
            final Listening listening = listeners.get(id);
            if (listening != null) {
                listening.acceptor.acceptable(listening);
            }
            return;
        }
        final TcpRelay relay = running.get(id);
        // Null when an earlier event of this batch closed it.
        if (relay != null) {
            relay.onEvent((token & 3) == BACKEND, events);
        }
    }

    @Override
    int awaitMillis() {
        final Iterator<Listening> first = paused.values().iterator();
        if (!first.hasNext()) {
            return -1;
        }
        return (int) Math.max(0, (first.next().pausedUntilNanos - System.nanoTime() + 999_999) / 1_000_000);
    }

    /** Watches the listeners whose pause is over again. */
    @Override
    void afterTasks() {
        final long now = System.nanoTime();
        for (Iterator<Listening> it = paused.values().iterator(); it.hasNext();) {
            final Listening listening = it.next();
            if (listening.pausedUntilNanos - now > 0) {
                break;
            }
            it.remove();
            try {
                epoll.add(listening.fd, Epoll.IN, listening.id << 2 | LISTENER);
            } catch (ErrnoException e) {
                log.warn("builtin port driver: stopped accepting on a published port: " + e.getMessage());
                listeners.remove(listening.id);
                calls.close(listening.fd);
            }
        }
    }

    /** Closes every relay and listener of this loop as it stops. */
    @Override
    void closing() {
        new ArrayList<>(running.values()).forEach(TcpRelay::close);
        new ArrayList<>(listeners.values()).forEach(this::forget);
    }
}
