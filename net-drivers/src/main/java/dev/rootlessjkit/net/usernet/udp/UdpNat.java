package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.api.UdpPortTraffic;
import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.HostSockets;
import dev.rootlessjkit.net.usernet.UsernetConfig;
import dev.rootlessjkit.net.usernet.flow.FlowKey;
import dev.rootlessjkit.net.usernet.flow.FlowTable;
import dev.rootlessjkit.net.usernet.SourcePorts;
import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.dns.DnsForwarder;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Udp;
import dev.rootlessjkit.net.usernet.stack.Batch;
import dev.rootlessjkit.net.usernet.stack.Destinations;
import dev.rootlessjkit.net.usernet.stack.IcmpErrors;
import dev.rootlessjkit.net.usernet.stack.TransportHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * UDP from the guest, relayed through one non-blocking host socket per guest source (address, port) that lives
 * until it has been idle for the configured time. Datagrams to the DNS address go to the {@link DnsForwarder}.
 */
public final class UdpNat implements TransportHandler, Batch.Deferred {
    private static final int DNS_PORT = 53;


    private final EventLoop loop;
    private final Counters counters;
    private final Timers timers;
    private final Batch batch;
    private final Destinations destinations;
    private final DnsForwarder dns;
    private final UdpOutput output;
    private final IcmpErrors icmpErrors;
    private final HostSockets sockets;
    private final long idleNanos;
    /** Guest sources, each with its host socket. */
    private final FlowTable<UdpFlow> flows;
    private final List<UdpFlow> toFlush = new ArrayList<>();
    /** The flow of the previous datagram: a stream of datagrams from one source skips the key lookup. */
    private UdpFlow lastFlow;
    /** Clients of published ports, by what the guest's replies carry: (guest, its port, client's mapped address, port). */
    private final FlowTable<PublishedUdpPort.Flow> inbound;
    private final List<PublishedUdpPort> portsToFlush = new ArrayList<>();
    private final List<PublishedUdpPort> published = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom();

    public UdpNat(EventLoop loop, Counters counters, Timers timers, Batch batch, Destinations destinations,
            DnsForwarder dns, UdpOutput output, IcmpErrors icmpErrors, HostSockets sockets,
            UsernetConfig.TableLimits outboundLimits, UsernetConfig.TableLimits inboundLimits, long idleNanos) {
        this.loop = loop;
        this.counters = counters;
        this.timers = timers;
        this.batch = batch;
        this.destinations = destinations;
        this.dns = dns;
        this.output = output;
        this.icmpErrors = icmpErrors;
        this.sockets = sockets;
        this.idleNanos = idleNanos;
        // UDP flows cost nothing to re-create: when full, the oldest goes even if it was active (evictActive).
        this.flows = new FlowTable<>(outboundLimits.capacity(), outboundLimits.perSource(),
                outboundLimits.perDestination(), true, flow -> {
                    counters.increment(Counter.UDP_FLOWS_EVICTED);
                    drop(flow);
                });
        this.inbound = new FlowTable<>(inboundLimits.capacity(), inboundLimits.perSource(),
                inboundLimits.perDestination(), true, flow -> {
                    counters.increment(Counter.UDP_FLOWS_EVICTED);
                    dropInbound(flow);
                });
    }

    @Override
    public void receive(ByteBuf packet, int off, int len, int src, int dst, boolean checksumTrusted) {
        if (len < Udp.HEADER_LENGTH) {
            counters.increment(Counter.UDP_MALFORMED);
            return;
        }
        int udpLength = Udp.length(packet, off);
        if (udpLength < Udp.HEADER_LENGTH || udpLength > len) {
            counters.increment(Counter.UDP_MALFORMED);
            return;
        }
        if (!checksumTrusted && Udp.checksum(packet, off) != 0 && !Checksum.verifies(
                Checksum.add(Checksum.pseudoHeader(src, dst, Ipv4.PROTO_UDP, udpLength), packet, off, udpLength))) {
            counters.increment(Counter.UDP_BAD_CHECKSUM);
            return;
        }
        int srcPort = Udp.sourcePort(packet, off);
        int dstPort = Udp.destinationPort(packet, off);
        int payloadOffset = off + Udp.HEADER_LENGTH;
        int payloadLength = udpLength - Udp.HEADER_LENGTH;
        if (dst == destinations.dns()) {
            if (dstPort == DNS_PORT) {
                dns.query(src, srcPort, packet, payloadOffset, payloadLength);
            } else {
                counters.increment(Counter.UDP_REFUSED);
            }
            return;
        }
        PublishedUdpPort.Flow in = inbound.size() == 0 ? null : inbound.get(FlowKey.ipv4(src, srcPort, dst, dstPort));
        if (in != null) {
            in.touch(timers.nanoTime());
            if (!in.reply(packet.retainedSlice(payloadOffset, payloadLength))) {
                counters.increment(Counter.UDP_HOST_BACKLOG_DROPS);
            }
            queueFlush(in.port);
            return;
        }
        InetAddress host = destinations.hostAddressFor(dst);
        if (host == null || dstPort == 0) {
            counters.increment(Counter.UDP_REFUSED);
            return;
        }
        UdpFlow flow = flowFor(src, srcPort);
        if (flow == null) {
            // No host socket to be had: the guest's socket gets ECONNREFUSED, as from a closed port.
            icmpErrors.unreachable(IcmpErrors.CODE_PORT_UNREACHABLE, destinations.gateway(), src, dst,
                    Ipv4.PROTO_UDP, packet, off, udpLength);
            return;
        }
        flow.touch(timers.nanoTime());
        if (!flow.write(packet.retainedSlice(payloadOffset, payloadLength), new InetSocketAddress(host, dstPort))) {
            counters.increment(Counter.UDP_HOST_BACKLOG_DROPS);
        }
        if (!flow.flushQueued) {
            flow.flushQueued = true;
            if (toFlush.isEmpty() && portsToFlush.isEmpty()) {
                batch.defer(this);
            }
            toFlush.add(flow);
        }
    }

    private void queueFlush(PublishedUdpPort port) {
        if (!port.flushQueued) {
            port.flushQueued = true;
            if (toFlush.isEmpty() && portsToFlush.isEmpty()) {
                batch.defer(this);
            }
            portsToFlush.add(port);
        }
    }

    /**
     * Listens on {@code bind} and passes each client's datagrams to {@code guestIp:guestPort}, from the client's
     * address as {@link Destinations#guestVisibleClient} maps it. Called on the loop.
     *
     * @throws Exception the bind error when {@code bind} cannot be bound
     */
    public PublishedUdpPort publish(InetSocketAddress bind, int guestIp, int guestPort) throws Exception {
        return publish(new EpollDatagramChannel(), bind, guestIp, guestPort);
    }

    /**
     * As {@link #publish(InetSocketAddress, int, int)} for a socket that is bound already: the datagrams queued in
     * its receive buffer are passed on now. Takes ownership of {@code fd} (closed if this throws).
     */
    public PublishedUdpPort publish(int fd, int guestIp, int guestPort) throws Exception {
        return publish(new EpollDatagramChannel(fd), null, guestIp, guestPort);
    }

    /** @param bind where to bind, or null when the channel is bound already */
    private PublishedUdpPort publish(EpollDatagramChannel ch, InetSocketAddress bind, int guestIp, int guestPort)
            throws Exception {
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(HostSockets.MAX_DATAGRAM));
        ch.config().setWriteBufferWaterMark(UdpFlow.BACKLOG);
        PublishedUdpPort port = new PublishedUdpPort(this, ch, guestIp, guestPort);
        ch.pipeline().addLast(port.new FromClients());
        ChannelFuture bound = loop.register(ch);
        if (bound.isSuccess() && bind != null) {
            bound = ch.bind(bind);
        }
        if (!bound.isSuccess()) {
            ch.close();
            Throwable cause = bound.cause();
            throw cause instanceof Exception e ? e : new IllegalStateException(cause);
        }
        published.add(port);
        return port;
    }

    void unpublished(PublishedUdpPort port) {
        published.remove(port);
    }

    /** A client's datagram for the guest; the payload stays the caller's. */
    void fromClient(PublishedUdpPort port, InetSocketAddress client, ByteBuf payload) {
        PublishedUdpPort.Flow flow = port.flow(client);
        if (flow == null) {
            flow = openInbound(port, client);
            if (flow == null) {
                port.traffic.dropped(UdpPortTraffic.Drop.FLOW_TABLE_FULL, 1);
                return;
            }
        }
        flow.touch(timers.nanoTime());
        output.send(flow.source, flow.sourcePort, port.guestIp, port.guestPort, payload, payload.readerIndex(),
                payload.readableBytes());
    }

    private PublishedUdpPort.Flow openInbound(PublishedUdpPort port, InetSocketAddress client) {
        if (!inbound.admit(client.getAddress(), port, timers.nanoTime())) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        int source = destinations.guestVisibleClient(client.getAddress());
        int sourcePort = SourcePorts.pick(client.getPort(),
                p -> inbound.contains(FlowKey.ipv4(port.guestIp, port.guestPort, source, p)), random);
        if (sourcePort < 0) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        FlowKey key = FlowKey.ipv4(port.guestIp, port.guestPort, source, sourcePort);
        PublishedUdpPort.Flow flow = new PublishedUdpPort.Flow(port, client, key, source, sourcePort,
                timers.nanoTime());
        inbound.put(flow);
        port.add(flow);
        counters.increment(Counter.UDP_FLOWS_OPENED);
        scheduleInboundIdleCheck(flow, idleNanos);
        return flow;
    }

    private void scheduleInboundIdleCheck(PublishedUdpPort.Flow flow, long delay) {
        timers.schedule(() -> {
            if (inbound.get(flow.flowKey()) != flow) {
                return;
            }
            long idle = timers.nanoTime() - flow.lastActive();
            if (idle >= idleNanos) {
                dropInbound(flow);
            } else {
                scheduleInboundIdleCheck(flow, idleNanos - idle);
            }
        }, delay);
    }

    void dropInbound(PublishedUdpPort.Flow flow) {
        inbound.remove(flow);
        flow.port.forget(flow);
    }

    @Override
    public void runAtBatchEnd() {
        for (UdpFlow f : toFlush) {
            f.flushQueued = false;
            f.channel.flush();
        }
        toFlush.clear();
        for (PublishedUdpPort p : portsToFlush) {
            p.flushQueued = false;
            p.channel.flush();
        }
        portsToFlush.clear();
    }

    public int flowCount() {
        return flows.size();
    }

    public void close() {
        for (PublishedUdpPort p : new ArrayList<>(published)) {
            p.close();
        }
        for (UdpFlow f : flows.snapshot()) {
            drop(f);
        }
    }

    private UdpFlow flowFor(int guestIp, int guestPort) {
        UdpFlow last = lastFlow;
        if (last != null && last.guestIp == guestIp && last.guestPort == guestPort) {
            return last;
        }
        FlowKey key = FlowKey.ipv4Source(guestIp, guestPort);
        UdpFlow flow = flows.get(key);
        if (flow != null) {
            lastFlow = flow;
            return flow;
        }
        long now = timers.nanoTime();
        if (!flows.admit(key.guestAddress(), null, now)) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        final EpollDatagramChannel ch = sockets.udpForWholeDatagrams(counters);
        if (ch == null) {
            return null;
        }
        ch.config().setWriteBufferWaterMark(UdpFlow.BACKLOG);
        UdpFlow created = new UdpFlow(key, guestIp, guestPort, ch, now);
        ch.pipeline().addLast(new Replies(created));
        // Called on the loop, so register and bind complete inline: the socket is ready for the first write.
        ChannelFuture bound = loop.register(ch);
        if (bound.isSuccess()) {
            bound = ch.bind(new InetSocketAddress(Ipv4Address.toInet(0), 0));
        }
        if (!bound.isSuccess()) {
            counters.increment(Counter.HOST_SOCKET_FAILURES);
            ch.close();
            return null;
        }
        flows.put(created);
        lastFlow = created;
        counters.increment(Counter.UDP_FLOWS_OPENED);
        scheduleIdleCheck(created, idleNanos);
        return created;
    }

    private void scheduleIdleCheck(UdpFlow flow, long delay) {
        timers.schedule(() -> {
            if (flows.get(flow.flowKey()) != flow) {
                return;
            }
            long idle = timers.nanoTime() - flow.lastActive();
            if (idle >= idleNanos) {
                drop(flow);
            } else {
                scheduleIdleCheck(flow, idleNanos - idle);
            }
        }, delay);
    }

    private void drop(UdpFlow flow) {
        if (lastFlow == flow) {
            lastFlow = null;
        }
        flows.remove(flow);
        flow.channel.close();
    }

    private final class Replies extends SimpleChannelInboundHandler<DatagramPacket> {
        private final UdpFlow flow;

        Replies(UdpFlow flow) {
            this.flow = flow;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            int from = Ipv4Address.fromInet(p.sender().getAddress());
            if (from == 0) {
                return;
            }
            flow.touch(timers.nanoTime());
            ByteBuf data = p.content();
            output.send(destinations.guestVisibleSource(from), p.sender().getPort(), flow.guestIp, flow.guestPort,
                    data, data.readerIndex(), data.readableBytes());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP errors surface here (e.g. ECONNREFUSED); UDP is allowed to lose them.
            counters.increment(Counter.UDP_SEND_ERRORS);
        }
    }
}
