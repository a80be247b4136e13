package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A published TCP port: accepts on the parent's listener, on one of the {@link TcpRelays}' loops; for each client
 * asks the child half for a socket connected inside the namespace and relays between the two ({@link TcpRelay}).
 * Removing the port closes the listener and every live connection.
 */
final class TcpForwarder implements Forwarder {
    /**
     * Connections taken per wake-up of the listener: enough that a burst is taken in few wake-ups, few enough that
     * a flood on one port leaves the loop's relays their turn (the listener, level-triggered, is reported again).
     */
    private static final int ACCEPTS_PER_WAKE_UP = 64;
    /** How long accepting waits when accept(2) fails for want of fds or memory, instead of spinning. */
    private static final long ACCEPT_PAUSE_MILLIS = 100;

    private final TcpRelays relays;
    private final ConnectionBudget budget;
    private final ChildBridge bridge;
    private final ChildTarget target;
    private final Sockets sockets;
    private final Splice calls;
    private final Log log;
    private final int listenFd;
    private final Set<TcpRelay> live = ConcurrentHashMap.newKeySet();
    private final TcpPortTraffic traffic;
    private volatile RelayLoop.Listening listening;
    /** Whether {@link #start} has taken the listener over (it closes it on failure, and the loop after). */
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * Takes ownership of {@code listenFd}, a bound and listening non-blocking socket.
     *
     * @param traffic the port's counters, which the forwarder counts its connections and bytes in
     */
    TcpForwarder(TcpRelays relays, ConnectionBudget budget, ChildBridge bridge, ChildTarget target, int listenFd,
            TcpPortTraffic traffic, Log log) {
        this.relays = relays;
        this.budget = budget;
        this.bridge = bridge;
        this.target = target;
        this.listenFd = listenFd;
        this.traffic = traffic;
        this.log = log;
        this.sockets = Sockets.load();
        this.calls = relays.calls();
    }

    /** Starts accepting; the listener is closed if that fails. */
    void start() throws IOException {
        started = true;
        try {
            listening = relays.listen(listenFd, this::acceptQueued).get();
        } catch (ExecutionException e) {
            throw new IOException("cannot accept on the listener: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting to accept", e);
        }
    }

    /** Takes what the listener holds, a bounded batch at a time. Loop thread. */
    private void acceptQueued(RelayLoop.Listening on) {
        for (int i = 0; i < ACCEPTS_PER_WAKE_UP && !closed; i++) {
            final Sockets.Accepted client;
            try {
                client = sockets.acceptInet(listenFd);
            } catch (SocketCallException e) {
                // EMFILE, ENFILE, ENOBUFS leave the connection queued: pick the queue up again in a moment.
                log.warn("builtin port driver: accept: " + e.getMessage());
                on.pause(ACCEPT_PAUSE_MILLIS);
                return;
            }
            if (client == null) {
                return;
            }
            admit(client);
        }
    }

    private void admit(Sockets.Accepted client) {
        final InetAddress from = client.client().getAddress();
        traffic.accepted();
        if (!budget.admit(from)) {
            traffic.failed(TcpPortTraffic.Failure.LIMIT);
            log.debug("builtin port driver: refused a connection from " + from.getHostAddress()
                    + ": the relay budget is used up (" + budget.perClient() + " per client, " + budget.capacity()
                    + " in all)");
            calls.resetAndClose(client.fd());
            return;
        }
        connectInside(client, new Admitted(from));
    }

    /**
     * An admitted connection's budget slot, given back once whichever path ends the connection, and its place in
     * the port's counters: dialling, relayed, ended.
     */
    private final class Admitted implements TcpRelay.Owner {
        private static final int DIALLING = 0;
        private static final int RELAYED = 1;
        private static final int ENDED = 2;
        private final InetAddress from;
        private final AtomicInteger state = new AtomicInteger(DIALLING);

        Admitted(InetAddress from) {
            this.from = from;
        }

        /** The dial inside failed: the connection ends without having been relayed. */
        void failed(Throwable why) {
            traffic.failed(why instanceof ConnectFailedException e ? e.failure() : TcpPortTraffic.Failure.OTHER);
            ended();
        }

        /** The dial inside succeeded; called before the connection is handed to a relay, which may end it. */
        void relaying() {
            if (state.compareAndSet(DIALLING, RELAYED)) {
                traffic.relaying();
            }
        }

        void ended() {
            final int was = state.getAndSet(ENDED);
            if (was != ENDED) {
                budget.release(from);
                if (was == RELAYED) {
                    traffic.ended();
                }
            }
        }

        @Override
        public TcpPortTraffic traffic() {
            return traffic;
        }

        /** Adds first and checks after, so a connection racing with removal is closed either way. */
        @Override
        public boolean track(TcpRelay relay) {
            live.add(relay);
            return !closed;
        }

        @Override
        public void untrack(TcpRelay relay) {
            live.remove(relay);
            ended();
        }
    }

    /**
     * The client's socket is not watched (nothing it sends is read and lost) until the socket inside exists; then
     * both go to a relay.
     */
    private void connectInside(Sockets.Accepted client, Admitted admitted) {
        bridge.open(true, target.address(), target.port(), client.client()).whenComplete((fd, err) -> {
            if (err != null) {
                log.debug("builtin port driver: " + err.getMessage());
                calls.close(client.fd());
                admitted.failed(err);
                return;
            }
            admitted.relaying();
            if (!relays.relay(client.fd(), fd, admitted)) {
                calls.close(client.fd());
                calls.close(fd);
                admitted.ended();
            }
        });
    }

    @Override
    public TcpPortTraffic traffic() {
        return traffic;
    }

    @Override
    public void close(Duration timeout) {
        closed = true;
        final RelayLoop.Listening l = listening;
        if (!started) {
            calls.close(listenFd);
        }
        final CompletableFuture<Void> listenerClosed = l == null ? CompletableFuture.completedFuture(null)
                : l.closeAsync();
        final CompletableFuture<Void> relaysClosed = CompletableFuture.allOf(live.stream()
                .map(TcpRelay::closeAsync).toArray(CompletableFuture[]::new));
        try {
            CompletableFuture.allOf(listenerClosed, relaysClosed).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("builtin port driver: relays still closing: " + e);
        }
    }
}
