package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.HostSockets;
import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.SourcePorts;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.UsernetConfig;
import dev.rootlessjkit.net.usernet.flow.FlowKey;
import dev.rootlessjkit.net.usernet.flow.FlowTable;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import dev.rootlessjkit.net.usernet.header.Tcp;
import dev.rootlessjkit.net.usernet.stack.Batch;
import dev.rootlessjkit.net.usernet.stack.Destinations;
import dev.rootlessjkit.net.usernet.stack.IcmpErrors;
import dev.rootlessjkit.net.usernet.stack.Icmpv6Errors;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import dev.rootlessjkit.net.usernet.stack.Ipv4Output;
import dev.rootlessjkit.net.usernet.stack.Ipv6Output;
import dev.rootlessjkit.net.usernet.stack.Ipv6TransportHandler;
import dev.rootlessjkit.net.usernet.stack.TransportHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * TCP from the guest: looks segments up in the flow table, opens a host connection per SYN (answering the guest
 * only once the host accepted, with a RST when it refused) and resets segments that belong to no flow.
 */
public final class TcpNat implements TransportHandler, Ipv6TransportHandler {
    private static final int DNS_PORT = 53;

    private final EventLoop loop;
    private final Counters counters;
    private final Timers timers;
    private final Batch batch;
    private final Destinations destinations;
    private final Supplier<InetSocketAddress> dnsUpstream;
    private final TcpOutput output;
    private final Ipv4Output out;
    private final IcmpErrors icmpErrors;
    /** Null when the network is IPv4 only. */
    private final Ipv6Output out6;
    private final Icmpv6Errors icmpv6Errors;
    private final UsernetConfig.Limits limits;
    private final HostSockets sockets;
    /** Connections the guest opened, and those of published ports' clients: apart, so neither can starve the other. */
    private final FlowTable<TcpFlow> outbound;
    private final FlowTable<TcpFlow> inbound;
    /** The flow of the previous segment: a bulk transfer's segments all belong to one, and skip the key lookup. */
    private TcpFlow lastFlow;
    private final Segment segment = new Segment();
    private final SplittableRandom random = new SplittableRandom();
    private final InitialSequence initialSequence = new InitialSequence(random);
    private final List<PublishedTcpPort> published = new ArrayList<>();
    private final ReorderBudget reorderBudget;

    public TcpNat(EventLoop loop, Counters counters, Timers timers, Batch batch, Destinations destinations,
            Supplier<InetSocketAddress> dnsUpstream, Ipv4Output out, IcmpErrors icmpErrors, Ipv6Output out6,
            Icmpv6Errors icmpv6Errors, UsernetConfig.Limits limits, HostSockets sockets) {
        this.sockets = sockets;
        this.outbound = table(limits.tcpOutbound());
        this.inbound = table(limits.tcpInbound());
        this.icmpErrors = icmpErrors;
        this.loop = loop;
        this.counters = counters;
        this.timers = timers;
        this.batch = batch;
        this.destinations = destinations;
        this.dnsUpstream = dnsUpstream;
        this.output = new TcpOutput(counters);
        this.out = out;
        this.out6 = out6;
        this.icmpv6Errors = icmpv6Errors;
        this.limits = limits;
        this.reorderBudget = new ReorderBudget(limits.tcpReorderBudget());
    }

    private TcpFlow lookUp(FlowKey key) {
        TcpFlow flow = outbound.get(key);
        return flow != null ? flow : inbound.get(key);
    }

    private FlowTable<TcpFlow> table(UsernetConfig.TableLimits t) {
        return new FlowTable<>(t.capacity(), t.perSource(), t.perDestination(), false, flow -> {
            counters.increment(Counter.TCP_FLOWS_EVICTED);
            flow.abort();
        });
    }

    @Override
    public void receive(ByteBuf packet, int off, int len, int src, int dst, boolean checksumTrusted) {
        if (!parse(packet, off, len, checksumTrusted, Checksum.pseudoHeader(src, dst, Tcp.PROTOCOL, len))) {
            return;
        }
        Segment s = segment;
        try {
            TcpFlow flow = lastFlow;
            // A bulk transfer's segments skip the key lookup (and its allocation).
            if (flow == null || !(flow.ip instanceof IpPair.V4 v4) || v4.guest != src || v4.peer != dst
                    || flow.guestPort != s.srcPort || flow.ourPort != s.dstPort) {
                flow = lookUp(FlowKey.ipv4(src, s.srcPort, dst, s.dstPort));
            }
            flow = live(s, flow);
            if (flow == null) {
                noFlow(s, IpPair.ipv4(out, dst, src));
                return;
            }
            lastFlow = flow;
            flow.receive(s);
        } finally {
            s.packet = null;
        }
    }

    @Override
    public void receive(ByteBuf packet, int ipOffset, int off, int len, long srcHigh, long srcLow, long dstHigh,
            long dstLow, boolean checksumTrusted) {
        if (srcHigh == 0 && srcLow == 0) {
            counters.increment(Counter.TCP_MALFORMED);
            return;
        }
        if (!parse(packet, off, len, checksumTrusted, Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow,
                Tcp.PROTOCOL, len))) {
            return;
        }
        Segment s = segment;
        try {
            FlowKey key = new FlowKey(srcHigh, srcLow, s.srcPort, dstHigh, dstLow, s.dstPort);
            TcpFlow flow = lastFlow;
            if (flow == null || !flow.flowKey().equals(key)) {
                flow = lookUp(key);
            }
            flow = live(s, flow);
            if (flow == null) {
                noFlow(s, IpPair.ipv6(out6, dstHigh, dstLow, srcHigh, srcLow));
                return;
            }
            lastFlow = flow;
            flow.receive(s);
        } finally {
            s.packet = null;
        }
    }

    /** Checks the header and checksum and fills {@link #segment}; false (counted) when the segment is dropped. */
    private boolean parse(ByteBuf packet, int off, int len, boolean checksumTrusted, long pseudoHeader) {
        if (len < Tcp.MIN_HEADER_LENGTH) {
            counters.increment(Counter.TCP_MALFORMED);
            return false;
        }
        int headerLength = Tcp.dataOffset(packet, off);
        if (headerLength < Tcp.MIN_HEADER_LENGTH || headerLength > len) {
            counters.increment(Counter.TCP_MALFORMED);
            return false;
        }
        if (!checksumTrusted && !Checksum.verifies(Checksum.add(pseudoHeader, packet, off, len))) {
            counters.increment(Counter.TCP_BAD_CHECKSUM);
            return false;
        }
        Segment s = segment;
        s.srcPort = Tcp.sourcePort(packet, off);
        s.dstPort = Tcp.destinationPort(packet, off);
        s.seq = Tcp.sequence(packet, off);
        s.ack = Tcp.acknowledgment(packet, off);
        s.flags = Tcp.flags(packet, off);
        s.window = Tcp.window(packet, off);
        s.packet = packet;
        s.payloadOffset = off + headerLength;
        s.payloadLength = len - headerLength;
        if (s.has(Tcp.SYN)) {
            s.synMss = Tcp.findOption(packet, off, headerLength, Tcp.OPT_MSS);
            s.synWscale = Tcp.findOption(packet, off, headerLength, Tcp.OPT_WSCALE);
        }
        return true;
    }

    /** The flow a parsed segment belongs to, or null when it belongs to none (any more). */
    private static TcpFlow live(Segment s, TcpFlow flow) {
        if (flow != null && flow.state() == TcpFlow.State.CLOSED) {
            // Ended, its host socket still writing out what the guest sent: to the guest the connection is
            // gone. A new SYN on the same ports takes its place, as the new incarnation of a connection does.
            if (s.has(Tcp.SYN)) {
                flow.abort();
            }
            return null;
        }
        return flow;
    }

    /** A segment of no flow from the guest; {@code ip}: from its destination back to the guest. */
    private void noFlow(Segment s, IpPair ip) {
        if (s.has(Tcp.RST)) {
            return;
        }
        if (!s.has(Tcp.SYN) || s.has(Tcp.ACK) || s.has(Tcp.FIN)) {
            counters.increment(Counter.TCP_NO_FLOW);
            output.resetFor(s, ip, s.dstPort, s.srcPort);
            return;
        }
        InetSocketAddress target = target(ip, s.dstPort);
        if (target == null) {
            counters.increment(Counter.TCP_CONNECT_REFUSED);
            output.resetFor(s, ip, s.dstPort, s.srcPort);
            return;
        }
        FlowKey key = ip.key(s.srcPort, s.dstPort);
        Object source = key.guestAddress();
        Object destination = key.peerEndpoint();
        if (!outbound.admit(source, destination, timers.nanoTime())) {
            counters.increment(Counter.TCP_FLOW_LIMIT);
            output.resetFor(s, ip, s.dstPort, s.srcPort);
            return;
        }
        TcpFlow flow = new TcpFlow(this, key, source, destination, ip, s.srcPort, s.dstPort, s.seq, s.window,
                s.synMss, s.synWscale, random.nextInt());
        outbound.put(flow);
        counters.increment(Counter.TCP_FLOWS_OPENED);
        connect(flow, target);
    }

    private InetSocketAddress target(IpPair ip, int dstPort) {
        if (dstPort == 0) {
            return null;
        }
        InetAddress host;
        if (ip instanceof IpPair.V4 v4) {
            if (v4.peer == destinations.dns()) {
                return dstPort == DNS_PORT ? dnsUpstream.get() : null;
            }
            host = destinations.hostAddressFor(v4.peer);
        } else {
            IpPair.V6 v6 = (IpPair.V6) ip;
            if (Ipv6Address.DNS.equals(v6.peerHigh, v6.peerLow)) {
                return dstPort == DNS_PORT ? dnsUpstream.get() : null;
            }
            host = destinations.hostAddressForIpv6(v6.peerHigh, v6.peerLow);
        }
        return host == null ? null : new InetSocketAddress(host, dstPort);
    }

    private void connect(TcpFlow flow, InetSocketAddress target) {
        EpollSocketChannel ch;
        try {
            ch = sockets.tcp();
        } catch (ChannelException e) {
            // Out of descriptors: the guest's connect fails at once with a RST (ECONNREFUSED), as the kernel
            // answers a SYN it cannot take, and the flow's slot is free again.
            counters.increment(Counter.HOST_SOCKET_FAILURES);
            flow.abort();
            return;
        }
        ch.config().setAutoRead(false)
                .setAllowHalfClosure(true)
                .setTcpNoDelay(true)
                .setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, limits.tcpConnectTimeout().toMillis()))
                .setWriteBufferWaterMark(new WriteBufferWaterMark(limits.tcpReceiveBuffer() / 2,
                        limits.tcpReceiveBuffer()));
        ch.config().setOption(ChannelOption.SO_KEEPALIVE, true);
        ch.pipeline().addLast(new HostRelay(flow));
        if (!loop.register(ch).isSuccess()) {
            counters.increment(Counter.HOST_SOCKET_FAILURES);
            ch.unsafe().closeForcibly();
            flow.abort();
            return;
        }
        // A flow evicted while its connect is pending (a SYN flood toward a host port that does not answer) must
        // give its descriptor back at once: the table admits new flows against descriptors it believes free.
        flow.connecting(ch);
        ch.connect(target).addListener((ChannelFuture f) -> {
            // Closed under a pending connect: the flow ended first (evicted, the stack closed) and has answered the
            // guest already. The failure reaches here inside that close, while the flow still says CONNECTING.
            if (flow.state() != TcpFlow.State.CONNECTING || f.cause() instanceof ClosedChannelException) {
                ch.close();
                return;
            }
            if (f.isSuccess()) {
                flow.hostConnected(ch);
            } else {
                connectFailed(flow, f.cause());
                ch.close();
            }
        });
    }

    /**
     * A refused connect is a RST, as the host's own answer would be; a host or network that cannot be reached is an
     * ICMP unreachable from the gateway, so the guest's connect fails with EHOSTUNREACH/ENETUNREACH at once.
     */
    private void connectFailed(TcpFlow flow, Throwable cause) {
        int code = unreachableCode(cause);
        if (code < 0) {
            counters.increment(Counter.TCP_CONNECT_REFUSED);
            flow.abort();
            return;
        }
        counters.increment(Counter.TCP_CONNECT_UNREACHABLE);
        // The quoted SYN: ports and the guest's initial sequence number are what its kernel matches on.
        ByteBuf syn = Unpooled.buffer(8);
        syn.writeShort(flow.guestPort).writeShort(flow.ourPort).writeInt(flow.guestIsn());
        if (flow.ip instanceof IpPair.V4 v4) {
            icmpErrors.unreachable(code == HOST_UNREACHABLE ? IcmpErrors.CODE_HOST_UNREACHABLE
                    : IcmpErrors.CODE_NET_UNREACHABLE, destinations.gateway(), v4.guest, v4.peer, Tcp.PROTOCOL, syn,
                    0, 8);
        } else {
            IpPair.V6 v6 = (IpPair.V6) flow.ip;
            icmpv6Errors.unreachable(code == HOST_UNREACHABLE ? Icmpv6.CODE_ADDRESS_UNREACHABLE
                    : Icmpv6.CODE_NO_ROUTE, v6, Tcp.PROTOCOL, syn, 0, 8);
        }
        flow.finish();
    }

    private static final int HOST_UNREACHABLE = 1;
    private static final int NET_UNREACHABLE = 0;

    /** {@link #HOST_UNREACHABLE}, {@link #NET_UNREACHABLE}, or -1 for a refusal (answered with a RST). */
    private static int unreachableCode(Throwable cause) {
        if (cause instanceof NoRouteToHostException || cause instanceof ConnectTimeoutException) {
            return HOST_UNREACHABLE;
        }
        String m = cause == null ? null : cause.getMessage();
        if (m != null && m.contains("Network is unreachable")) {
            return NET_UNREACHABLE;
        }
        return -1;
    }

    /**
     * Listens on {@code bind} and connects each client to {@code guestIp:guestPort}, from the client's address as
     * {@link Destinations#guestVisibleClient} maps it. Called on the loop, so register and bind complete inline.
     *
     * @throws BindException and friends when the host address cannot be bound
     */
    public PublishedTcpPort publish(InetSocketAddress bind, InetAddress guestIp, int guestPort) throws Exception {
        EpollServerSocketChannel server = new EpollServerSocketChannel();
        server.config().setReuseAddress(true);
        return publish(server, bind, guestIp, guestPort);
    }

    /**
     * As {@link #publish(InetSocketAddress, int, int)} for a socket that listens already: the clients it has held
     * in its backlog are served now. Takes ownership of {@code listenFd} (closed if this throws).
     */
    public PublishedTcpPort publish(int listenFd, InetAddress guestIp, int guestPort) throws Exception {
        return publish(new EpollServerSocketChannel(listenFd), null, guestIp, guestPort);
    }

    /** @param bind where to bind, or null when the server listens already */
    private PublishedTcpPort publish(EpollServerSocketChannel server, InetSocketAddress bind, InetAddress guestIp,
            int guestPort) throws Exception {
        PublishedTcpPort.Acceptor acceptor = new PublishedTcpPort.Acceptor();
        server.pipeline().addLast(acceptor);
        HostSockets.registerAndBindOrThrow(loop, server, bind);
        PublishedTcpPort port = new PublishedTcpPort(this, server, guestIp, guestPort);
        acceptor.attach(port);
        published.add(port);
        return port;
    }

    void unpublished(PublishedTcpPort port) {
        published.remove(port);
    }

    /** The active open for a client of a published port; null (client closed) when no flow can be had. */
    TcpFlow openToGuest(PublishedTcpPort port, Channel client, InetAddress guestIp, int guestPort) {
        InetSocketAddress peer = (InetSocketAddress) client.remoteAddress();
        // Each client address is a source: one local user cannot take every inbound slot.
        if (peer == null || !inbound.admit(peer.getAddress(), port, timers.nanoTime())) {
            counters.increment(Counter.TCP_FLOW_LIMIT);
            PublishedTcpPort.reject(client);
            return null;
        }
        IpPair ip = destinations.clientToGuest(peer.getAddress(), guestIp, out, out6);
        int sourcePort = SourcePorts.pick(peer.getPort(), p -> inUse(ip.key(guestPort, p)), random);
        if (sourcePort < 0) {
            counters.increment(Counter.TCP_FLOW_LIMIT);
            PublishedTcpPort.reject(client);
            return null;
        }
        FlowKey key = ip.key(guestPort, sourcePort);
        TcpFlow flow = new TcpFlow(this, key, peer.getAddress(), ip, guestPort, sourcePort, client, port,
                initialSequence.next(key));
        client.config().setAutoRead(false);
        client.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        client.config().setOption(ChannelOption.TCP_NODELAY, true);
        client.config().setWriteBufferWaterMark(new WriteBufferWaterMark(limits.tcpReceiveBuffer() / 2,
                limits.tcpReceiveBuffer()));
        client.pipeline().addLast(new HostRelay(flow));
        inbound.put(flow);
        counters.increment(Counter.TCP_FLOWS_OPENED);
        loop.register(client);
        flow.openToGuest();
        return flow;
    }

    private boolean inUse(FlowKey key) {
        return outbound.contains(key) || inbound.contains(key);
    }

    public int flowCount() {
        return outbound.size() + inbound.size();
    }

    /** The most bytes any one flow holds (see TcpFlow#bufferedBytes), and their total, for invariant checks. */
    public long[] bufferedBytes() {
        long max = 0;
        long total = 0;
        int segments = 0;
        for (FlowTable<TcpFlow> t : List.of(outbound, inbound)) {
            for (TcpFlow f : t.snapshot()) {
                long b = f.bufferedBytes();
                max = Math.max(max, b);
                total += b;
                segments = Math.max(segments, f.heldSegments());
            }
        }
        return new long[] {max, total, segments};
    }

    public int outboundFlowCount() {
        return outbound.size();
    }

    public int inboundFlowCount() {
        return inbound.size();
    }

    public void close() {
        for (PublishedTcpPort p : new ArrayList<>(published)) {
            p.close();
        }
        for (TcpFlow f : outbound.snapshot()) {
            f.abort();
        }
        for (TcpFlow f : inbound.snapshot()) {
            f.abort();
        }
    }

    void remove(TcpFlow flow) {
        if (lastFlow == flow) {
            lastFlow = null;
        }
        outbound.remove(flow);
        inbound.remove(flow);
    }

    Counters counters() {
        return counters;
    }

    Timers timers() {
        return timers;
    }

    Batch batch() {
        return batch;
    }

    TcpOutput output() {
        return output;
    }

    int receiveBuffer() {
        return limits.tcpReceiveBuffer();
    }

    ReorderBudget reorderBudget() {
        return reorderBudget;
    }

    int sendBuffer() {
        return limits.tcpSendBuffer();
    }

    long idleNanos() {
        return limits.tcpIdleTimeout().toNanos();
    }

    long halfClosedIdleNanos() {
        return limits.tcpHalfClosedIdleTimeout().toNanos();
    }

    long timeWaitNanos() {
        return limits.tcpTimeWait().toNanos();
    }
}
