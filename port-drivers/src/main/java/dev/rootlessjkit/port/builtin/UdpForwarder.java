package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.DatagramBatch;
import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.UdpPortTraffic;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A published UDP port. Each client address gets its own flow: a UDP socket connected inside the namespace
 * (obtained from the child half), datagrams relayed both ways, closed after {@code idleTimeout} without traffic.
 * The listener and all flows live on one {@link UdpLoop}, so the flow table needs no locking.
 *
 * <p>Datagrams move in batches ({@link DatagramBatch}: recvmmsg, then sendmmsg or UDP_SEGMENT per run of one
 * client's datagrams) through the loop's native slots; nothing is allocated per datagram once a flow's socket is
 * there. A datagram the kernel refuses is dropped, as a full socket buffer drops it; each client's datagrams keep
 * their order and exact boundaries.
 *
 * <p>The table is bounded (each flow holds an fd) and, when full, a new client evicts the flow that has been
 * idle longest instead of being refused: a burst of one-datagram clients must not lock out the next ones, as
 * RootlessKit's unbounded table does not either. Datagrams waiting for their flow's socket are bounded per flow
 * and in total.
 */
final class UdpForwarder implements Forwarder {
    static final int MAX_FLOWS = 4096;
    private static final int MAX_QUEUED = 64;
    /** Bytes of datagrams waiting for a flow's socket, over all flows. */
    static final int MAX_QUEUED_BYTES = 4 << 20;
    /**
     * The receive buffer asked for on the published port's socket. The kernel's default (net.core.rmem_default,
     * 208 KiB) holds six 32 KiB datagrams, so a flood lost most of what arrived while the loop's thread waited for
     * a core: on 2 busy cores, a 4 MiB buffer carried 3.8x the received Gbit/s of iperf3's UDP flood (medians of 5);
     * on a quiet machine it made no difference (6.06 against 6.00 Gbit/s).
     * The kernel caps the request at net.core.rmem_max (208 KiB unless raised), which bounds what one port holds.
     */
    static final int LISTENER_RECEIVE_BUFFER = 4 << 20;

    private final UdpLoop loop;
    private final ChildBridge bridge;
    private final ChildTarget target;
    private final long idleNanos;
    private final Log log;
    private final int listener;
    private final UdpPortTraffic traffic;
    private final UdpLoop.Sweeper sweeper = this::expire;
    /** In access order: the first entry is the flow idle longest. */
    private final LinkedHashMap<FlowKey, Flow> flows = new LinkedHashMap<>(64, 0.75f, true);
    /** The sender being looked up, so that a lookup allocates nothing. */
    private final FlowKey probe = new FlowKey();
    private int listenerToken = -1;
    /** Whether answers to clients may go out as UDP_SEGMENT messages; off once the kernel refuses one. */
    private boolean listenerSegments = true;
    private int queuedBytes;
    private volatile boolean closed;

    /**
     * Takes ownership of {@code fd}, a bound UDP socket.
     *
     * @param traffic the port's counters, which the forwarder counts its flows and datagrams in
     */
    UdpForwarder(UdpLoop loop, ChildBridge bridge, ChildTarget target, int fd, Duration idleTimeout,
            UdpPortTraffic traffic, Log log) {
        this.loop = loop;
        this.traffic = traffic;
        this.bridge = bridge;
        this.target = target;
        this.idleNanos = idleTimeout.toNanos();
        this.log = log;
        this.listener = fd;
    }

    /** Starts reading the listener; closes it when that fails. */
    void start() throws IOException {
        final CompletableFuture<Void> started = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                final int errno = -loop.receiveBuffer(listener, LISTENER_RECEIVE_BUFFER);
                if (errno != 0) {
                    // The default buffer still serves; only bursts suffer.
                    log.debug("builtin port driver: udp: SO_RCVBUF: " + loop.batch().describe(errno));
                }
                try {
                    listenerToken = loop.watch(listener, this::fromClients);
                    loop.addSweeper(sweeper);
                    started.complete(null);
                } catch (ErrnoException e) {
                    started.completeExceptionally(e);
                }
            });
            started.get();
        } catch (RejectedExecutionException | ExecutionException e) {
            loop.close(listener);
            throw new IOException("cannot watch the listener: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting a UDP port", e);
        }
    }

    /** Datagrams from clients: one batch, forwarded run by run of datagrams from one client. */
    private void fromClients() {
        final DatagramBatch batch = loop.batch();
        final int n = batch.receive(listener);
        if (n < 0) {
            // A failed receive concerns one datagram; the port stays published.
            if (n != -Errno.EAGAIN) {
                log.debug("builtin port driver: udp: " + batch.describe(-n));
            }
            return;
        }
        traffic.toChild(n, payloadBytes(batch, 0, n));
        final long now = System.nanoTime();
        for (int i = 0, end; i < n; i = end) {
            end = i + 1;
            while (end < n && batch.sameSender(i, end)) {
                end++;
            }
            final Flow flow = flowOf(batch, i, now);
            if (flow != null) {
                flow.fromClient(batch, i, end, now);
            } else {
                traffic.dropped(UdpPortTraffic.Drop.FAILED, end - i);
            }
        }
    }

    private static long payloadBytes(DatagramBatch batch, int from, int to) {
        long bytes = 0;
        for (int i = from; i < to; i++) {
            bytes += batch.length(i);
        }
        return bytes;
    }

    /** The flow of the {@code i}-th datagram's sender, a new one if it has none; null once the port is closing. */
    private Flow flowOf(DatagramBatch batch, int i, long now) {
        probe.load(batch, i);
        Flow flow = flows.get(probe);
        if (flow == null) {
            if (closed) {
                return null;
            }
            if (flows.size() >= MAX_FLOWS) {
                flows.values().iterator().next().end();
            }
            flow = new Flow(probe.copy(), now);
            flows.put(flow.client, flow);
            traffic.flowOpened();
            loop.sweepBy(now + idleNanos);
            flow.open();
        }
        return flow;
    }

    /** Ends the flows idle for {@code idleTimeout}; returns when the next one will be. */
    private long expire(long now) {
        while (!flows.isEmpty()) {
            final Flow idlest = flows.values().iterator().next();
            if (now - idlest.lastActive < idleNanos) {
                return idlest.lastActive + idleNanos;
            }
            idlest.end();
        }
        return Long.MAX_VALUE;
    }

    private final class Flow {
        private final FlowKey client;
        private final ArrayDeque<byte[]> queued = new ArrayDeque<>();
        private long lastActive;
        private int backend = -1;
        private int backendToken;
        /** Whether datagrams to the backend may go out as UDP_SEGMENT messages. */
        private boolean segments = true;
        /** Evicted, expired or closed: a socket still on its way is closed on arrival. */
        private boolean ended;

        Flow(FlowKey client, long now) {
            this.client = client;
            this.lastActive = now;
        }

        void open() {
            bridge.open(false, target.address(), target.port()).whenComplete((fd, err) -> {
                try {
                    loop.execute(() -> opened(fd, err));
                } catch (RejectedExecutionException e) {
                    if (fd != null) {
                        loop.close(fd);
                    }
                }
            });
        }

        private void opened(Integer fd, Throwable err) {
            if (err != null) {
                log.debug("builtin port driver: udp: " + err.getMessage());
                end();
                return;
            }
            if (ended || closed) {
                loop.close(fd);
                end();
                return;
            }
            try {
                backendToken = loop.watch(fd, this::fromInside);
            } catch (ErrnoException e) {
                log.debug("builtin port driver: udp: " + e.getMessage());
                loop.close(fd);
                end();
                return;
            }
            backend = fd;
            final DatagramBatch batch = loop.batch();
            while (!queued.isEmpty()) {
                int n = 0;
                while (n < batch.slots() && !queued.isEmpty()) {
                    final byte[] datagram = queued.poll();
                    queuedBytes -= datagram.length;
                    batch.copyIn(n++, datagram);
                }
                toBackend(batch, 0, n);
            }
        }

        /** Datagrams {@code from..to} of {@code batch}, all from this flow's client. */
        void fromClient(DatagramBatch batch, int from, int to, long now) {
            lastActive = now;
            if (backend >= 0) {
                toBackend(batch, from, to);
                return;
            }
            for (int i = from; i < to; i++) {
                final int length = batch.length(i);
                if (queued.size() < MAX_QUEUED && queuedBytes + length <= MAX_QUEUED_BYTES) {
                    // A copy the datagram's size, kept only until the flow's socket arrives.
                    final byte[] datagram = new byte[length];
                    batch.copyOut(i, datagram);
                    queuedBytes += length;
                    queued.add(datagram);
                } else {
                    traffic.dropped(UdpPortTraffic.Drop.QUEUE_FULL, 1);
                }
            }
        }

        private void toBackend(DatagramBatch batch, int from, int to) {
            final int sent = batch.send(backend, from, to, null, 0, segments);
            if (batch.segmentRefused()) {
                segments = false;
            }
            report(batch, to - from - sent);
        }

        /** Datagrams from inside the namespace, back to the flow's client. */
        private void fromInside() {
            final DatagramBatch batch = loop.batch();
            final int n = batch.receive(backend);
            if (n < 0) {
                // ECONNREFUSED after an ICMP port unreachable: nobody listens inside yet. Keep the flow, like a
                // socket.
                if (n != -Errno.EAGAIN) {
                    log.debug("builtin port driver: udp flow " + this + ": " + batch.describe(-n));
                }
                return;
            }
            lastActive = System.nanoTime();
            flows.get(client); // an answer counts as activity: the flow moves to the young end
            traffic.fromChild(n, payloadBytes(batch, 0, n));
            final int sent = batch.send(listener, 0, n, client.name, client.length, listenerSegments);
            if (batch.segmentRefused()) {
                listenerSegments = false;
            }
            report(batch, n - sent);
        }

        /**
         * Counts the {@code unsent} datagrams of the last send as dropped. A send error concerns the datagrams it
         * names; a full buffer (EAGAIN) drops silently, as the kernel does.
         */
        private void report(DatagramBatch batch, int unsent) {
            final int errno = batch.lastError();
            if (unsent > 0) {
                traffic.dropped(errno == Errno.EAGAIN ? UdpPortTraffic.Drop.QUEUE_FULL
                        : UdpPortTraffic.Drop.FAILED, unsent);
            }
            if (errno != 0 && errno != Errno.EAGAIN) {
                log.debug("builtin port driver: udp flow " + this + ": " + batch.describe(errno));
            }
        }

        /** Forgets the flow and closes its socket; the next datagram from the client starts a new one. */
        void end() {
            if (!ended) {
                traffic.flowEnded();
            }
            ended = true;
            flows.remove(client, this);
            for (byte[] datagram : queued) {
                queuedBytes -= datagram.length;
            }
            traffic.dropped(UdpPortTraffic.Drop.FAILED, queued.size());
            queued.clear();
            if (backend >= 0) {
                loop.unwatch(backend, backendToken);
                loop.close(backend);
                backend = -1;
            }
        }

        @Override
        public String toString() {
            return DatagramBatch.address(client.name, client.length).toString();
        }
    }

    /** A client's struct sockaddr as the kernel reports it: what tells flows apart. */
    private static final class FlowKey {
        private final byte[] name = new byte[DatagramBatch.NAME_BYTES];
        private int length;
        private int hash;

        void load(DatagramBatch batch, int i) {
            length = batch.copySender(i, name);
            int h = length;
            for (int k = 0; k < length; k++) {
                h = 31 * h + name[k];
            }
            hash = h;
        }

        FlowKey copy() {
            final FlowKey k = new FlowKey();
            System.arraycopy(name, 0, k.name, 0, length);
            k.length = length;
            k.hash = hash;
            return k;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FlowKey k && k.length == length && Arrays.equals(name, 0, length, k.name, 0, length);
        }
    }

    @Override
    public UdpPortTraffic traffic() {
        return traffic;
    }

    @Override
    public void close(Duration timeout) {
        closed = true;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                closeAll();
                done.complete(null);
            });
        } catch (RejectedExecutionException e) {
            // The loop has stopped: nothing runs on it any more.
            closeAll();
            return;
        }
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("builtin port driver: udp port still closing: " + e);
        }
    }

    private void closeAll() {
        new ArrayList<>(flows.values()).forEach(Flow::end);
        loop.removeSweeper(sweeper);
        if (listenerToken >= 0) {
            loop.unwatch(listener, listenerToken);
            listenerToken = -1;
        }
        loop.close(listener);
    }
}
