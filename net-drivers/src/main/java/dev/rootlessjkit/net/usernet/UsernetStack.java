package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.usernet.dns.DnsForwarder;
import dev.rootlessjkit.net.usernet.header.Ethernet;
import dev.rootlessjkit.net.usernet.header.MacAddress;
import dev.rootlessjkit.net.usernet.stack.ArpResponder;
import dev.rootlessjkit.net.usernet.stack.Batch;
import dev.rootlessjkit.net.usernet.stack.Destinations;
import dev.rootlessjkit.net.usernet.stack.FragmentReassembler;
import dev.rootlessjkit.net.usernet.icmp.EchoSockets;
import dev.rootlessjkit.net.usernet.icmp.HostEchoSockets;
import dev.rootlessjkit.net.usernet.icmp.IcmpEchoNat;
import dev.rootlessjkit.net.usernet.stack.IcmpErrors;
import dev.rootlessjkit.net.usernet.stack.IcmpHandler;
import dev.rootlessjkit.net.usernet.stack.Ipv4Input;
import dev.rootlessjkit.net.usernet.stack.Ipv4Output;
import dev.rootlessjkit.net.usernet.stack.Icmpv6Errors;
import dev.rootlessjkit.net.usernet.stack.Icmpv6Handler;
import dev.rootlessjkit.net.usernet.stack.Ipv6Input;
import dev.rootlessjkit.net.usernet.stack.Ipv6Output;
import dev.rootlessjkit.net.usernet.stack.NdpResponder;
import dev.rootlessjkit.net.usernet.stack.Link;
import dev.rootlessjkit.net.usernet.tcp.PublishedTcpPort;
import dev.rootlessjkit.net.usernet.tcp.TcpNat;
import dev.rootlessjkit.net.usernet.udp.PublishedUdpPort;
import dev.rootlessjkit.net.usernet.udp.UdpNat;
import dev.rootlessjkit.net.usernet.udp.UdpOutput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The user-mode network: Ethernet frames from the guest in through {@link #receive}, frames to the guest out
 * through a {@link FrameSink}, guest connections relayed to host sockets. Everything runs on one Netty epoll event
 * loop, which owns all of the stack's state: call every method on that loop.
 */
public final class UsernetStack implements AutoCloseable {
    private final EventLoop loop;
    private final Counters counters;
    private final Link link;
    private final ArpResponder arp;
    private final Ipv4Input ipv4;
    /** Null unless the network serves IPv6. */
    private final Ipv6Input ipv6;
    private final NdpResponder ndp;
    private final FragmentReassembler reassembler;
    private final UdpNat udp;
    private final TcpNat tcp;
    private final DnsForwarder dns;
    private final IcmpEchoNat echo;
    private final int guest;
    private boolean closed;
    private final FrameCapture capture = FrameCapture.withSystemClock();

    private UsernetStack(UsernetConfig config, EventLoop loop, FrameSink sink, Timers timers,
            ByteBufAllocator alloc, EchoSockets echoSockets, HostSockets hostSockets) {
        this.loop = loop;
        this.guest = config.guest();
        this.counters = new Counters();
        Destinations destinations = new Destinations(config);
        Batch batch = new Batch(loop);
        this.link = new Link(ourMac(config.gateway()), config.gateway(), alloc, sink, counters, batch, capture);
        this.arp = new ArpResponder(link, counters, destinations::ownsAddress);
        Ipv4Output out = new Ipv4Output(link, config.mtu());
        UsernetConfig.Limits limits = config.limits();
        Ipv6Output out6 = config.ipv6() ? new Ipv6Output(link, config.mtu()) : null;
        UdpOutput udpOut = new UdpOutput(out, out6);
        this.dns = new DnsForwarder(loop, counters, timers, udpOut, hostSockets, config.dnsUpstreams(),
                limits.dnsQueryTimeout().toNanos());
        IcmpErrors icmpErrors = new IcmpErrors(out, counters);
        Icmpv6Errors icmpv6Errors = config.ipv6() ? new Icmpv6Errors(out6, counters) : null;
        this.udp = new UdpNat(loop, counters, timers, batch, destinations, dns, udpOut, icmpErrors, icmpv6Errors,
                hostSockets,
                limits.udpOutbound(), limits.udpInbound(), limits.udpIdleTimeout().toNanos());
        this.tcp = new TcpNat(loop, counters, timers, batch, destinations, dns::primaryUpstream, out, icmpErrors,
                out6, icmpv6Errors, limits, hostSockets);
        this.reassembler = new FragmentReassembler(alloc, counters, timers, limits.maxReassemblies(),
                limits.reassemblyTimeout().toNanos());
        this.echo = new IcmpEchoNat(loop, counters, timers, out, out6, destinations, echoSockets);
        this.ipv4 = new Ipv4Input(counters, reassembler, new IcmpHandler(out, counters, destinations, echo,
                icmpErrors),
                udp, tcp);
        if (config.ipv6()) {
            this.ndp = new NdpResponder(out6, counters, destinations, link.ourMac(), timers);
            this.ipv6 = new Ipv6Input(counters, reassembler, new Icmpv6Handler(out6, counters, destinations, ndp, echo,
                    icmpv6Errors),
                    udp, tcp);
            ndp.start();
        } else {
            this.ndp = null;
            this.ipv6 = null;
        }
    }

    /**
     * A stack on {@code loop} (an epoll event loop: host sockets are epoll channels registered on it) that writes
     * to {@code sink}, with real-time timers and pooled direct buffers.
     */
    public static UsernetStack create(UsernetConfig config, EventLoop loop, FrameSink sink) {
        return create(config, loop, sink, new EventLoopTimers(loop), ByteBufAllocator.DEFAULT);
    }

    /** As {@link #create(UsernetConfig, EventLoop, FrameSink)} with the timers and allocator given. */
    public static UsernetStack create(UsernetConfig config, EventLoop loop, FrameSink sink, Timers timers,
            ByteBufAllocator alloc) {
        return create(config, loop, sink, timers, alloc, new HostEchoSockets());
    }

    /** As above, with the ping sockets for echo requests to other hosts opened by {@code echoSockets}. */
    public static UsernetStack create(UsernetConfig config, EventLoop loop, FrameSink sink, Timers timers,
            ByteBufAllocator alloc, EchoSockets echoSockets) {
        return create(config, loop, sink, timers, alloc, echoSockets, HostSockets.EPOLL);
    }

    /** As above, with the host's TCP and UDP sockets opened by {@code hostSockets}. */
    public static UsernetStack create(UsernetConfig config, EventLoop loop, FrameSink sink, Timers timers,
            ByteBufAllocator alloc, EchoSockets echoSockets, HostSockets hostSockets) {
        return new UsernetStack(config, loop, sink, timers, alloc, echoSockets, hostSockets);
    }

    /** slirp4netns' convention: the stack's MAC is 52:55 followed by the gateway address. */
    private static long ourMac(int gateway) {
        return (0x5255L << 32) | (gateway & 0xffffffffL);
    }

    /** What {@code rootlessjctl capture} reads: the frames to and from the guest. */
    public FrameCapture capture() {
        return capture;
    }

    public EventLoop loop() {
        return loop;
    }

    /**
     * Handles one frame from the guest, its readable bytes from the Ethernet header on. Takes ownership. Malformed
     * frames are counted and dropped; this never throws for anything the guest sends.
     */
    public void receive(ByteBuf frame) {
        receive(frame, false);
    }

    /**
     * As {@link #receive(ByteBuf)}; {@code checksumTrusted} says the guest's kernel left the transport checksum to
     * us (a TAP device's virtio-net header said so), which then is not checked.
     */
    public void receive(ByteBuf frame, boolean checksumTrusted) {
        try {
            if (closed) {
                return;
            }
            counters.increment(Counter.FRAMES_IN);
            if (capture.active()) {
                capture.record(frame);
            }
            int off = frame.readerIndex();
            if (frame.readableBytes() < Ethernet.HEADER_LENGTH) {
                counters.increment(Counter.ETH_TOO_SHORT);
                return;
            }
            long dst = Ethernet.destination(frame, off);
            if (dst != link.ourMac() && !MacAddress.isMulticast(dst)) {
                counters.increment(Counter.ETH_NOT_FOR_US);
                return;
            }
            switch (Ethernet.etherType(frame, off)) {
                case Ethernet.TYPE_ARP -> arp.receive(frame, off + Ethernet.HEADER_LENGTH);
                case Ethernet.TYPE_IPV4 -> {
                    link.learnGuestMac(Ethernet.source(frame, off));
                    ipv4.receive(frame, off + Ethernet.HEADER_LENGTH, checksumTrusted);
                }
                case Ethernet.TYPE_IPV6 -> {
                    if (ipv6 == null) {
                        counters.increment(Counter.ETH_UNSUPPORTED_TYPE);
                        return;
                    }
                    link.learnGuestMac(Ethernet.source(frame, off));
                    ipv6.receive(frame, off + Ethernet.HEADER_LENGTH, checksumTrusted);
                }
                default -> counters.increment(Counter.ETH_UNSUPPORTED_TYPE);
            }
        } finally {
            frame.release();
        }
    }

    /**
     * Publishes a host port (the usernet port driver): each client accepted on {@code bind} is connected by the
     * stack to {@code guestIp:guestPort}, appearing inside with its own address (loopback clients as the gateway,
     * see {@link Destinations#guestVisibleClient}).
     *
     * @param guestIp the guest's address, or 0 for the one the network gives it (cidr+100)
     * @throws Exception the bind error when {@code bind} cannot be listened on
     */
    public PublishedTcpPort publishTcp(InetSocketAddress bind, int guestIp, int guestPort) throws Exception {
        return tcp.publish(bind, ipv4Guest(guestIp), guestPort);
    }

    /**
     * As {@link #publishTcp(InetSocketAddress, int, int)} into the guest's IPv6 address {@code guestIp} (null: its
     * fd00::100); IPv6 clients appear with their own address (see {@link Destinations#guestVisibleClientIpv6}).
     *
     * @throws IllegalStateException the network has no IPv6
     */
    public PublishedTcpPort publishTcp6(InetSocketAddress bind, Ipv6Address guestIp, int guestPort)
            throws Exception {
        return tcp.publish(bind, ipv6Guest(guestIp), guestPort);
    }

    /** As {@link #publishTcp6(InetSocketAddress, Ipv6Address, int)} on a listening socket; takes ownership. */
    public PublishedTcpPort publishTcp6(int listenFd, Ipv6Address guestIp, int guestPort) throws Exception {
        return tcp.publish(listenFd, ipv6Guest(guestIp), guestPort);
    }

    /** The guest's IPv4 {@code guestIp}, or 0 for the one the network gives it. */
    private InetAddress ipv4Guest(int guestIp) {
        return Ipv4Address.toInet(guestIp == 0 ? guest : guestIp);
    }

    private InetAddress ipv6Guest(Ipv6Address guestIp) {
        if (ipv6 == null) {
            throw new IllegalStateException("the usernet network has no IPv6 (start it with --ipv6)");
        }
        return (guestIp == null ? Ipv6Address.GUEST : guestIp).toInet();
    }

    /**
     * As {@link #publishTcp(InetSocketAddress, int, int)} on a socket that listens already (the clients in its
     * backlog are served now); takes ownership of {@code listenFd}.
     */
    public PublishedTcpPort publishTcp(int listenFd, int guestIp, int guestPort) throws Exception {
        return tcp.publish(listenFd, ipv4Guest(guestIp), guestPort);
    }

    /** As {@link #publishTcp} for UDP: per client a flow to {@code guestIp:guestPort}, ended when idle. */
    public PublishedUdpPort publishUdp(InetSocketAddress bind, int guestIp, int guestPort) throws Exception {
        return udp.publish(bind, ipv4Guest(guestIp), guestPort);
    }

    /** As {@link #publishTcp6(InetSocketAddress, Ipv6Address, int)} for UDP. */
    public PublishedUdpPort publishUdp6(InetSocketAddress bind, Ipv6Address guestIp, int guestPort)
            throws Exception {
        return udp.publish(bind, ipv6Guest(guestIp), guestPort);
    }

    /** As {@link #publishUdp6(InetSocketAddress, Ipv6Address, int)} on a bound socket; takes ownership. */
    public PublishedUdpPort publishUdp6(int fd, Ipv6Address guestIp, int guestPort) throws Exception {
        return udp.publish(fd, ipv6Guest(guestIp), guestPort);
    }

    /**
     * As {@link #publishUdp(InetSocketAddress, int, int)} on a socket that is bound already (the datagrams queued in
     * it are passed on now); takes ownership of {@code fd}.
     */
    public PublishedUdpPort publishUdp(int fd, int guestIp, int guestPort) throws Exception {
        return udp.publish(fd, ipv4Guest(guestIp), guestPort);
    }

    public Counters counters() {
        return counters;
    }

    /** The non-zero counters. */
    public Map<Counter, Long> counterSnapshot() {
        return counters.snapshot();
    }

    public int tcpFlowCount() {
        return tcp.flowCount();
    }

    /**
     * What TCP flows hold, for invariant checks: {most bytes held by one flow, bytes held by all, most out-of-order
     * segments held by one flow}.
     */
    public long[] tcpBuffered() {
        return tcp.bufferedBytes();
    }

    /** DNS queries sent upstream and not yet answered. */
    public int dnsPendingCount() {
        return dns.pendingCount();
    }

    public int udpFlowCount() {
        return udp.flowCount();
    }

    /** Resets every TCP connection, closes every host socket and drops pending fragments. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        tcp.close();
        udp.close();
        echo.close();
        dns.close();
        if (ndp != null) {
            ndp.stop();
        }
        reassembler.clear();
        link.releaseHeld();
    }
}
