package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.api.UdpPortTraffic;
import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.HostSockets;
import dev.rootlessjkit.net.usernet.UsernetConfig;
import dev.rootlessjkit.net.usernet.flow.FlowKey;
import dev.rootlessjkit.net.usernet.flow.FlowTable;
import dev.rootlessjkit.net.usernet.flow.IdleExpiry;
import dev.rootlessjkit.net.usernet.SourcePorts;
import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.dns.DnsForwarder;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Udp;
import dev.rootlessjkit.net.usernet.stack.Batch;
import dev.rootlessjkit.net.usernet.stack.Destinations;
import dev.rootlessjkit.net.usernet.stack.IcmpErrors;
import dev.rootlessjkit.net.usernet.stack.Icmpv6Errors;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import dev.rootlessjkit.net.usernet.stack.Ipv6TransportHandler;
import dev.rootlessjkit.net.usernet.stack.TransportHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
public final class UdpNat implements TransportHandler, Ipv6TransportHandler, Batch.Deferred {
    private static final int DNS_PORT = 53;


    private final EventLoop loop;
    private final Counters counters;
    private final Timers timers;
    private final Batch batch;
    private final Destinations destinations;
    private final DnsForwarder dns;
    private final UdpOutput output;
    private final IcmpErrors icmpErrors;
    /** Null when the network is IPv4 only. */
    private final Icmpv6Errors icmpv6Errors;
    private final HostSockets sockets;
    /** Guest sources, each with its host socket. */
    private final FlowTable<UdpFlow> flows;
    private final IdleExpiry<UdpFlow> idleFlows;
    private final List<UdpFlow> toFlush = new ArrayList<>();
    /** The flow of the previous datagram: a stream of datagrams from one source skips the key lookup. */
    private UdpFlow lastFlow;
    /** Clients of published ports, by what the guest's replies carry: (guest, its port, client's mapped address, port). */
    private final FlowTable<PublishedUdpPort.Flow> inbound;
    private final IdleExpiry<PublishedUdpPort.Flow> idleInbound;
    private final List<PublishedUdpPort> portsToFlush = new ArrayList<>();
    private final List<PublishedUdpPort> published = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom();

    public UdpNat(EventLoop loop, Counters counters, Timers timers, Batch batch, Destinations destinations,
            DnsForwarder dns, UdpOutput output, IcmpErrors icmpErrors, Icmpv6Errors icmpv6Errors,
            HostSockets sockets,
            UsernetConfig.TableLimits outboundLimits, UsernetConfig.TableLimits inboundLimits, long idleNanos) {
        this.loop = loop;
        this.counters = counters;
        this.timers = timers;
        this.batch = batch;
        this.destinations = destinations;
        this.dns = dns;
        this.output = output;
        this.icmpErrors = icmpErrors;
        this.icmpv6Errors = icmpv6Errors;
        this.sockets = sockets;
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
        this.idleFlows = new IdleExpiry<>(timers, idleNanos, flows::holds, this::drop);
        this.idleInbound = new IdleExpiry<>(timers, idleNanos, inbound::holds, this::dropInbound);
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
                dns.query(output.ipv4(dst, src), srcPort, packet, payloadOffset, payloadLength);
            } else {
                counters.increment(Counter.UDP_REFUSED);
            }
            return;
        }
        PublishedUdpPort.Flow in = inbound.size() == 0 ? null : inbound.get(FlowKey.ipv4(src, srcPort, dst, dstPort));
        if (in != null) {
            reply(in, packet.retainedSlice(payloadOffset, payloadLength));
            return;
        }
        InetAddress host = destinations.hostAddressFor(dst);
        if (host == null || dstPort == 0) {
            counters.increment(Counter.UDP_REFUSED);
            return;
        }
        UdpFlow last = lastFlow;
        UdpFlow flow = last != null && last.guestIp == src && last.guestPort == srcPort ? last
                : flowFor(FlowKey.ipv4Source(src, srcPort), src, null, srcPort);
        if (flow == null) {
            // No host socket to be had: the guest's socket gets ECONNREFUSED, as from a closed port.
            icmpErrors.unreachable(IcmpErrors.CODE_PORT_UNREACHABLE, destinations.gateway(), src, dst,
                    Ipv4.PROTO_UDP, packet, off, udpLength);
            return;
        }
        send(flow, packet.retainedSlice(payloadOffset, payloadLength), new InetSocketAddress(host, dstPort));
    }

    /**
     * UDP over IPv6, as over IPv4: fd00::3:53 to the DNS forwarder, replies of published ports' guests to their
     * clients, the rest through a host AF_INET6 socket per guest source. The checksum is mandatory over IPv6.
     */
    @Override
    public void receive(ByteBuf packet, int ipOffset, int off, int len, long srcHigh, long srcLow, long dstHigh,
            long dstLow, boolean checksumTrusted) {
        int udpLength = len < Udp.HEADER_LENGTH ? -1 : Udp.length(packet, off);
        if (udpLength < Udp.HEADER_LENGTH || udpLength > len || (srcHigh == 0 && srcLow == 0)) {
            counters.increment(Counter.UDP_MALFORMED);
            return;
        }
        if (!checksumTrusted && (Udp.checksum(packet, off) == 0 || !Checksum.verifies(Checksum.add(
                Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, Udp.PROTOCOL, udpLength), packet, off,
                udpLength)))) {
            counters.increment(Counter.UDP_BAD_CHECKSUM);
            return;
        }
        int srcPort = Udp.sourcePort(packet, off);
        int dstPort = Udp.destinationPort(packet, off);
        int payloadOffset = off + Udp.HEADER_LENGTH;
        int payloadLength = udpLength - Udp.HEADER_LENGTH;
        if (Ipv6Address.DNS.equals(dstHigh, dstLow)) {
            if (dstPort == DNS_PORT) {
                dns.query(output.ipv6(dstHigh, dstLow, srcHigh, srcLow), srcPort, packet, payloadOffset,
                        payloadLength);
            } else {
                counters.increment(Counter.UDP_REFUSED);
            }
            return;
        }
        PublishedUdpPort.Flow in = inbound.size() == 0 ? null : inboundIpv6(srcHigh, srcLow, srcPort, dstHigh,
                dstLow, dstPort);
        if (in != null) {
            reply(in, packet.retainedSlice(payloadOffset, payloadLength));
            return;
        }
        InetAddress host = destinations.hostAddressForIpv6(dstHigh, dstLow);
        if (host == null || dstPort == 0) {
            counters.increment(Counter.UDP_REFUSED);
            return;
        }
        FlowKey key = new FlowKey(srcHigh, srcLow, srcPort, 0, 0, 0);
        UdpFlow last = lastFlow;
        UdpFlow flow = last != null && last.flowKey().equals(key) ? last
                : flowFor(key, 0, new Ipv6Address(srcHigh, srcLow), srcPort);
        if (flow == null) {
            icmpv6Errors.unreachable(Icmpv6.CODE_PORT_UNREACHABLE, Ipv6Address.GATEWAY.high(),
                    Ipv6Address.GATEWAY.low(), packet, ipOffset, off + udpLength);
            return;
        }
        send(flow, packet.retainedSlice(payloadOffset, payloadLength), new InetSocketAddress(host, dstPort));
    }

    /**
     * The published port's client flow a guest datagram over IPv6 answers. A server on an unconnected socket (or
     * socat's forked child, which connects anew) answers from the address the kernel picks, which with a SLAAC
     * address beside fd00::100 need not be the one the client's datagram went to: any address of the guest network
     * answers for fd00::100.
     */
    private PublishedUdpPort.Flow inboundIpv6(long srcHigh, long srcLow, int srcPort, long dstHigh, long dstLow,
            int dstPort) {
        PublishedUdpPort.Flow in = inbound.get(new FlowKey(srcHigh, srcLow, srcPort, dstHigh, dstLow, dstPort));
        if (in != null || srcHigh != Ipv6Address.PREFIX || Ipv6Address.GUEST.equals(srcHigh, srcLow)) {
            return in;
        }
        return inbound.get(new FlowKey(Ipv6Address.GUEST.high(), Ipv6Address.GUEST.low(), srcPort, dstHigh, dstLow,
                dstPort));
    }

    /** Queues a guest's datagram on its flow's host socket, flushed at the end of the batch. */
    private void send(UdpFlow flow, ByteBuf payload, InetSocketAddress to) {
        flow.touch(timers.nanoTime());
        if (!flow.write(payload, to)) {
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

    /** The guest's answer to a published port's client, sent from the port's socket at the end of the batch. */
    private void reply(PublishedUdpPort.Flow in, ByteBuf payload) {
        in.touch(timers.nanoTime());
        if (!in.reply(payload)) {
            counters.increment(Counter.UDP_HOST_BACKLOG_DROPS);
        }
        queueFlush(in.port);
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
    public PublishedUdpPort publish(InetSocketAddress bind, InetAddress guestIp, int guestPort) throws Exception {
        return publish(new EpollDatagramChannel(), bind, guestIp, guestPort);
    }

    /**
     * As {@link #publish(InetSocketAddress, int, int)} for a socket that is bound already: the datagrams queued in
     * its receive buffer are passed on now. Takes ownership of {@code fd} (closed if this throws).
     */
    public PublishedUdpPort publish(int fd, InetAddress guestIp, int guestPort) throws Exception {
        return publish(new EpollDatagramChannel(fd), null, guestIp, guestPort);
    }

    /** @param bind where to bind, or null when the channel is bound already */
    private PublishedUdpPort publish(EpollDatagramChannel ch, InetSocketAddress bind, InetAddress guestIp,
            int guestPort) throws Exception {
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(HostSockets.MAX_DATAGRAM));
        ch.config().setWriteBufferWaterMark(UdpFlow.BACKLOG);
        PublishedUdpPort port = new PublishedUdpPort(this, ch, guestIp, guestPort);
        ch.pipeline().addLast(port.new FromClients());
        HostSockets.registerAndBindOrThrow(loop, ch, bind);
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
        if (!output.send(flow.path, flow.sourcePort, port.guestPort, payload, payload.readerIndex(),
                payload.readableBytes())) {
            counters.increment(Counter.IPV6_TOO_BIG);
        }
    }

    private PublishedUdpPort.Flow openInbound(PublishedUdpPort port, InetSocketAddress client) {
        if (!inbound.admit(client.getAddress(), port, timers.nanoTime())) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        IpPair path = output.fromClient(destinations, client.getAddress(), port.guestIp);
        int sourcePort = SourcePorts.pick(client.getPort(), p -> inbound.contains(path.key(port.guestPort, p)),
                random);
        if (sourcePort < 0) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        FlowKey key = path.key(port.guestPort, sourcePort);
        PublishedUdpPort.Flow flow = new PublishedUdpPort.Flow(port, client, key, path, sourcePort,
                timers.nanoTime());
        inbound.put(flow);
        port.add(flow);
        counters.increment(Counter.UDP_FLOWS_OPENED);
        idleInbound.watch(flow);
        return flow;
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

    /** The flow of a guest source (IPv4 {@code guestIp}, or IPv6 {@code guestIpv6}), made if need be. */
    private UdpFlow flowFor(FlowKey key, int guestIp, Ipv6Address guestIpv6, int guestPort) {
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
        final EpollDatagramChannel ch = sockets.udpForWholeDatagrams(counters, guestIpv6 != null);
        if (ch == null) {
            return null;
        }
        ch.config().setWriteBufferWaterMark(UdpFlow.BACKLOG);
        UdpFlow created = new UdpFlow(key, guestIp, guestIpv6, guestPort, ch, now);
        ch.pipeline().addLast(new Replies(created));
        InetAddress any = guestIpv6 == null ? Ipv4Address.toInet(0) : new Ipv6Address(0, 0).toInet();
        if (!HostSockets.registerAndBind(loop, ch, new InetSocketAddress(any, 0)).isSuccess()) {
            counters.increment(Counter.HOST_SOCKET_FAILURES);
            return null;
        }
        flows.put(created);
        lastFlow = created;
        counters.increment(Counter.UDP_FLOWS_OPENED);
        idleFlows.watch(created);
        return created;
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
            if (flow.guestIpv6 != null) {
                fromIpv6Host(p);
                return;
            }
            int from = Ipv4Address.fromInet(p.sender().getAddress());
            if (from == 0) {
                return;
            }
            flow.touch(timers.nanoTime());
            ByteBuf data = p.content();
            output.send(destinations.guestVisibleSource(from), p.sender().getPort(), flow.guestIp, flow.guestPort,
                    data, data.readerIndex(), data.readableBytes());
        }

        private void fromIpv6Host(DatagramPacket p) {
            Ipv6Address from = Ipv6Address.fromInet(p.sender().getAddress());
            if (from == null) {
                return;
            }
            flow.touch(timers.nanoTime());
            Ipv6Address source = destinations.guestVisibleSourceIpv6(from);
            ByteBuf data = p.content();
            if (!output.send(output.ipv6(source.high(), source.low(), flow.guestIpv6.high(), flow.guestIpv6.low()),
                    p.sender().getPort(), flow.guestPort, data, data.readerIndex(), data.readableBytes())) {
                counters.increment(Counter.IPV6_TOO_BIG);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP errors surface here (e.g. ECONNREFUSED); UDP is allowed to lose them.
            counters.increment(Counter.UDP_SEND_ERRORS);
        }
    }
}
