package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.log.Log;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A published UDP port. Each client address gets its own flow: a UDP socket connected inside the namespace
 * (obtained from the child half), datagrams relayed both ways, closed after {@code idleTimeout} without traffic.
 * The listener and all flows live on one event loop, so the flow table needs no locking.
 *
 * <p>The table is bounded (each flow holds an fd) and, when full, a new client evicts the flow that has been
 * idle longest instead of being refused: a burst of one-datagram clients must not lock out the next ones, as
 * RootlessKit's unbounded table does not either. Datagrams waiting for their flow's socket are bounded per flow
 * and in total.
 */
final class UdpForwarder implements Forwarder {
    /** The largest UDP payload over IPv4; a smaller buffer would silently truncate datagrams. */
    private static final int MAX_DATAGRAM = 65507;
    static final int MAX_FLOWS = 4096;
    private static final int MAX_QUEUED = 64;
    /** Bytes of datagrams waiting for a flow's socket, over all flows. */
    static final int MAX_QUEUED_BYTES = 4 << 20;
    /**
     * Up to 16 datagrams per wake-up (Netty's default for datagram channels, which a bare
     * FixedRecvByteBufAllocator would lower to 1), so that the flush after them sends them with one sendmmsg.
     */
    private static final RecvByteBufAllocator READS = new FixedRecvByteBufAllocator(MAX_DATAGRAM)
            .maxMessagesPerRead(16);
    /**
     * Datagrams waiting in a channel's outbound buffer because the kernel's send buffer was full; past the high
     * mark new ones are dropped, as a full socket buffer drops them. A batch is flushed early rather than let
     * grow past it (see {@link #write}), so only a peer that does not keep up loses datagrams. 256 KiB per flow.
     */
    private static final WriteBufferWaterMark PENDING_WRITES = new WriteBufferWaterMark(128 << 10, 256 << 10);

    private final EventLoopGroup group;
    private final ChildBridge bridge;
    private final ChildTarget target;
    private final Duration idleTimeout;
    private final Log log;
    private final EpollDatagramChannel listener;
    /** In access order: the first entry is the flow idle longest. */
    private final LinkedHashMap<InetSocketAddress, Flow> flows = new LinkedHashMap<>(64, 0.75f, true);
    private int queuedBytes;
    /** Flows written to during the current read batch of the listener. */
    private final Set<Flow> dirty = new HashSet<>();
    private volatile boolean closed;

    /** Takes ownership of {@code fd}, a bound non-blocking UDP socket. */
    UdpForwarder(EventLoopGroup group, ChildBridge bridge, ChildTarget target, int fd, Duration idleTimeout,
            Log log) {
        this.group = group;
        this.bridge = bridge;
        this.target = target;
        this.idleTimeout = idleTimeout;
        this.log = log;
        this.listener = new EpollDatagramChannel(fd);
        listener.config().setRecvByteBufAllocator(READS).setWriteBufferWaterMark(PENDING_WRITES);
        listener.pipeline().addLast(new Front());
    }

    void start() throws IOException {
        final var registered = group.register(listener).awaitUninterruptibly();
        if (!registered.isSuccess()) {
            listener.unsafe().closeForcibly();
            throw new IOException("cannot register the listener: " + registered.cause(), registered.cause());
        }
    }

    private EventLoop loop() {
        return listener.eventLoop();
    }

    /** Datagrams from clients. */
    private final class Front extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            final DatagramPacket packet = (DatagramPacket) msg;
            final InetSocketAddress client = packet.sender();
            Flow flow = flows.get(client);
            if (flow == null) {
                if (closed) {
                    packet.release();
                    return;
                }
                if (flows.size() >= MAX_FLOWS) {
                    flows.values().iterator().next().evict();
                }
                flow = new Flow(client);
                flows.put(client, flow);
                flow.open();
            }
            flow.send(packet.content());
        }

        /** One flush per read batch: Netty then writes the queued datagrams with one sendmmsg. */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            for (Flow f : dirty) {
                if (f.backend != null) {
                    f.backend.flush();
                }
            }
            dirty.clear();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A failed send or receive concerns one datagram; the port stays published.
            log.debug("builtin port driver: udp: " + cause.getMessage());
        }
    }

    private final class Flow {
        private final InetSocketAddress client;
        private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>();
        private EpollDatagramChannel backend;
        private boolean evicted;
        /**
         * The address the child connected the backend to. Netty sends a bare ByteBuf with send(2), one call per
         * datagram, on a socket it did not connect itself; a DatagramPacket addressed to the same peer goes out
         * with the batch's sendmmsg.
         */
        private InetSocketAddress inside;

        Flow(InetSocketAddress client) {
            this.client = client;
        }

        void open() {
            bridge.open(false, target.address(), target.port()).whenComplete((fd, err) -> {
                try {
                    loop().execute(() -> {
                        if (err != null) {
                            log.debug("builtin port driver: udp: " + err.getMessage());
                            drop();
                        } else {
                            adopt(fd);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    if (fd != null) {
                        closeFd(fd);
                    }
                }
            });
        }

        void send(ByteBuf datagram) {
            if (backend != null) {
                if (write(backend, addressed(datagram))) {
                    dirty.add(this);
                }
            } else if (queued.size() < MAX_QUEUED && queuedBytes + datagram.readableBytes() <= MAX_QUEUED_BYTES) {
                // A copy the datagram's size: the receive buffer it came in is sized for the largest datagram.
                queuedBytes += datagram.readableBytes();
                queued.add(datagram.copy());
                datagram.release();
            } else {
                datagram.release();
            }
        }

        private Object addressed(ByteBuf datagram) {
            return inside != null ? new DatagramPacket(datagram, inside) : datagram;
        }

        private void adopt(int fd) {
            if (closed || evicted) {
                closeFd(fd);
                drop();
                return;
            }
            final EpollDatagramChannel ch = new EpollDatagramChannel(fd);
            ch.config().setRecvByteBufAllocator(READS).setWriteBufferWaterMark(PENDING_WRITES);
            ch.pipeline().addLast(new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS),
                    new Back(this));
            loop().register(ch).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    ch.unsafe().closeForcibly();
                    drop();
                    return;
                }
                if (evicted) {
                    ch.close();
                    return;
                }
                backend = ch;
                inside = ch.remoteAddress();
                while (!queued.isEmpty()) {
                    final ByteBuf datagram = queued.poll();
                    queuedBytes -= datagram.readableBytes();
                    ch.write(addressed(datagram), ch.voidPromise());
                }
                ch.flush();
            });
        }

        /** Forgets the flow; the next datagram from the client starts a new one. */
        void drop() {
            flows.remove(client, this);
            releaseQueued();
        }

        /** Makes room for a new client: forgets this flow and closes its socket (or the one still on its way). */
        void evict() {
            evicted = true;
            drop();
            if (backend != null) {
                backend.close();
            }
        }

        void releaseQueued() {
            for (ByteBuf datagram : queued) {
                queuedBytes -= datagram.readableBytes();
                datagram.release();
            }
            queued.clear();
        }
    }

    /** Datagrams from inside the namespace, back to the flow's client. */
    private final class Back extends ChannelInboundHandlerAdapter {
        private final Flow flow;

        Back(Flow flow) {
            this.flow = flow;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            final DatagramPacket packet = (DatagramPacket) msg;
            flows.get(flow.client); // an answer counts as activity: the flow moves to the young end
            write(listener, new DatagramPacket(packet.content(), flow.client));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            listener.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            flow.drop();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ECONNREFUSED after an ICMP port unreachable: nobody listens inside yet. Keep the flow, like a socket.
            log.debug("builtin port driver: udp flow " + flow.client + ": " + cause.getMessage());
        }
    }

    /**
     * Queues a datagram for the next flush, or drops it when the channel already holds its high mark of unsent
     * ones (the peer does not keep up: a full socket buffer drops too). Flushes at once when one more datagram
     * could cross the mark, so a read batch alone never causes a drop. False when dropped.
     */
    private static boolean write(Channel ch, Object datagram) {
        if (!ch.isWritable()) {
            ReferenceCountUtil.release(datagram);
            return false;
        }
        ch.write(datagram, ch.voidPromise());
        if (ch.bytesBeforeUnwritable() < MAX_DATAGRAM) {
            ch.flush();
        }
        return true;
    }

    private static void closeFd(int fd) {
        try {
            new FileDescriptor(fd).close();
        } catch (IOException e) {
            // Nothing holds this fd but us; a failing close(2) leaves nothing to undo.
        }
    }

    @Override
    public void close(Duration timeout) {
        closed = true;
        final var done = loop().submit(() -> {
            final List<EpollDatagramChannel> backends = new ArrayList<>();
            flows.values().forEach(f -> {
                if (f.backend != null) {
                    backends.add(f.backend);
                }
                f.releaseQueued();
            });
            flows.clear();
            dirty.clear();
            backends.forEach(EpollDatagramChannel::close);
            listener.close();
        });
        done.awaitUninterruptibly(timeout.toMillis());
        listener.closeFuture().awaitUninterruptibly(timeout.toMillis());
    }
}
