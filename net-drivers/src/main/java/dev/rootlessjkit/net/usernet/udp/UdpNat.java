package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.SourcePorts;
import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.dns.DnsForwarder;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Udp;
import dev.rootlessjkit.net.usernet.stack.Batch;
import dev.rootlessjkit.net.usernet.stack.Destinations;
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
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.collection.LongObjectHashMap;
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

    private static final int MAX_DATAGRAM = 65535;

    private final EventLoop loop;
    private final Counters counters;
    private final Timers timers;
    private final Batch batch;
    private final Destinations destinations;
    private final DnsForwarder dns;
    private final UdpOutput output;
    private final int maxFlows;
    private final long idleNanos;
    private final LongObjectHashMap<UdpFlow> flows = new LongObjectHashMap<>();
    private final List<UdpFlow> toFlush = new ArrayList<>();
    /** Clients of published ports, by what the guest's replies carry: (client's mapped address, its port, our port). */
    private final LongObjectHashMap<PublishedUdpPort.Flow> inbound = new LongObjectHashMap<>();
    private final List<PublishedUdpPort> portsToFlush = new ArrayList<>();
    private final List<PublishedUdpPort> published = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom();

    public UdpNat(EventLoop loop, Counters counters, Timers timers, Batch batch, Destinations destinations,
            DnsForwarder dns, UdpOutput output, int maxFlows, long idleNanos) {
        this.loop = loop;
        this.counters = counters;
        this.timers = timers;
        this.batch = batch;
        this.destinations = destinations;
        this.dns = dns;
        this.output = output;
        this.maxFlows = maxFlows;
        this.idleNanos = idleNanos;
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
        PublishedUdpPort.Flow in = inbound.isEmpty() ? null : inbound.get(inboundKey(dst, dstPort, srcPort));
        if (in != null && in.port.guestIp == src) {
            in.lastActive = timers.nanoTime();
            in.reply(packet.retainedSlice(payloadOffset, payloadLength));
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
            return;
        }
        flow.lastActive = timers.nanoTime();
        flow.write(packet.retainedSlice(payloadOffset, payloadLength), new InetSocketAddress(host, dstPort));
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
        EpollDatagramChannel ch = new EpollDatagramChannel();
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_DATAGRAM));
        PublishedUdpPort port = new PublishedUdpPort(this, ch, guestIp, guestPort);
        ch.pipeline().addLast(port.new FromClients());
        ChannelFuture bound = loop.register(ch);
        if (bound.isSuccess()) {
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
                return;
            }
        }
        flow.lastActive = timers.nanoTime();
        output.send(flow.source, flow.sourcePort, port.guestIp, port.guestPort, payload, payload.readerIndex(),
                payload.readableBytes());
    }

    private PublishedUdpPort.Flow openInbound(PublishedUdpPort port, InetSocketAddress client) {
        if (inbound.size() >= maxFlows) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        int source = destinations.guestVisibleClient(client.getAddress());
        int sourcePort = SourcePorts.pick(client.getPort(),
                p -> inbound.containsKey(inboundKey(source, p, port.guestPort)), random);
        if (sourcePort < 0) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        long key = inboundKey(source, sourcePort, port.guestPort);
        PublishedUdpPort.Flow flow = new PublishedUdpPort.Flow(port, client, key, source, sourcePort,
                timers.nanoTime());
        inbound.put(key, flow);
        port.add(flow);
        counters.increment(Counter.UDP_FLOWS_OPENED);
        scheduleInboundIdleCheck(flow, idleNanos);
        return flow;
    }

    private void scheduleInboundIdleCheck(PublishedUdpPort.Flow flow, long delay) {
        timers.schedule(() -> {
            if (inbound.get(flow.key) != flow) {
                return;
            }
            long idle = timers.nanoTime() - flow.lastActive;
            if (idle >= idleNanos) {
                dropInbound(flow);
            } else {
                scheduleInboundIdleCheck(flow, idleNanos - idle);
            }
        }, delay);
    }

    void dropInbound(PublishedUdpPort.Flow flow) {
        if (inbound.get(flow.key) == flow) {
            inbound.remove(flow.key);
        }
        flow.port.forget(flow);
    }

    /** The flow key of a guest datagram to (our address, our port) from the guest's port. */
    private static long inboundKey(int ourIp, int ourPort, int guestPort) {
        return ((ourIp & 0xffffffffL) << 32) | ((long) ourPort << 16) | guestPort;
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
        for (UdpFlow f : new ArrayList<>(flows.values())) {
            f.channel.close();
        }
        flows.clear();
    }

    private UdpFlow flowFor(int guestIp, int guestPort) {
        long key = ((guestIp & 0xffffffffL) << 16) | guestPort;
        UdpFlow flow = flows.get(key);
        if (flow != null) {
            return flow;
        }
        if (flows.size() >= maxFlows) {
            counters.increment(Counter.UDP_FLOW_LIMIT);
            return null;
        }
        EpollDatagramChannel ch = new EpollDatagramChannel(InternetProtocolFamily.IPv4);
        // Netty reads datagrams into 2 KiB by default and would cut larger ones.
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_DATAGRAM));
        UdpFlow created = new UdpFlow(key, guestIp, guestPort, ch, timers.nanoTime());
        ch.pipeline().addLast(new Replies(created));
        // Called on the loop, so register and bind complete inline: the socket is ready for the first write.
        ChannelFuture bound = loop.register(ch);
        if (bound.isSuccess()) {
            bound = ch.bind(new InetSocketAddress(Ipv4Address.toInet(0), 0));
        }
        if (!bound.isSuccess()) {
            counters.increment(Counter.UDP_SEND_ERRORS);
            ch.close();
            return null;
        }
        flows.put(key, created);
        counters.increment(Counter.UDP_FLOWS_OPENED);
        scheduleIdleCheck(created, idleNanos);
        return created;
    }

    private void scheduleIdleCheck(UdpFlow flow, long delay) {
        timers.schedule(() -> {
            if (flows.get(flow.key) != flow) {
                return;
            }
            long idle = timers.nanoTime() - flow.lastActive;
            if (idle >= idleNanos) {
                drop(flow);
            } else {
                scheduleIdleCheck(flow, idleNanos - idle);
            }
        }, delay);
    }

    private void drop(UdpFlow flow) {
        if (flows.get(flow.key) == flow) {
            flows.remove(flow.key);
        }
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
            flow.lastActive = timers.nanoTime();
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
