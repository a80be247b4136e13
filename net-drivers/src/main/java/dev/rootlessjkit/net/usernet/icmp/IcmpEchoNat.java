package dev.rootlessjkit.net.usernet.icmp;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.flow.FlowKey;
import dev.rootlessjkit.net.usernet.flow.IdleExpiry;
import dev.rootlessjkit.net.usernet.header.Icmp;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import dev.rootlessjkit.net.usernet.stack.Destinations;
import dev.rootlessjkit.net.usernet.stack.Ipv4Output;
import dev.rootlessjkit.net.usernet.stack.Ipv6Output;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * Echo requests from the guest to other hosts, sent from unprivileged ping sockets: one socket per guest address and
 * echo identifier (one {@code ping} run), closed after a while without traffic. The kernel gives each socket its own
 * identifier and hands it only the replies to its requests; we put the guest's identifier back. Nothing is ever
 * answered in a host's name: when the host refuses ping sockets the guest is told so by an ICMP error from the
 * gateway.
 */
public final class IcmpEchoNat {
    /** Replies are echoed payloads; the guest's ping sends at most its MTU. */
    private static final int MAX_MESSAGE = 65535;
    /** Concurrent ping runs; each holds one socket. */
    static final int MAX_FLOWS = 64;
    /** A ping run's socket closes after this long without requests or replies (ping's default interval is 1 s). */
    static final long IDLE_NANOS = 30_000_000_000L;

    private final EventLoop loop;
    private final Counters counters;
    private final Timers timers;
    private final Ipv4Output out;
    /** Null when the network is IPv4 only. */
    private final Ipv6Output out6;
    private final Destinations destinations;
    private final EchoSockets sockets;
    private final int maxFlows;
    /** By guest address and echo identifier (in the key's guest port). */
    private final Map<FlowKey, Flow> flows = new HashMap<>();
    private final IdleExpiry<Flow> idleFlows;

    public IcmpEchoNat(EventLoop loop, Counters counters, Timers timers, Ipv4Output out, Ipv6Output out6,
            Destinations destinations, EchoSockets sockets) {
        this.loop = loop;
        this.counters = counters;
        this.timers = timers;
        this.out = out;
        this.out6 = out6;
        this.destinations = destinations;
        this.sockets = sockets;
        this.maxFlows = MAX_FLOWS;
        this.idleFlows = new IdleExpiry<>(timers, IDLE_NANOS, flow -> flows.get(flow.key) == flow, flow -> {
            flows.remove(flow.key);
            flow.channel.close();
        });
    }

    /** The outcome of {@link #forward}. */
    public enum Result {
        SENT, DROPPED, NOT_PERMITTED
    }

    /**
     * Sends the echo request at {@code packet[off, off+len)} from the guest {@code src} to the host {@code host}.
     *
     * @return NOT_PERMITTED when this host does not allow ping sockets (the caller tells the guest)
     */
    public Result forward(ByteBuf packet, int off, int len, int src, InetAddress host) {
        int id = packet.getUnsignedShort(off + 4);
        return send(flowFor(FlowKey.ipv4Source(src, id), src, null, id), packet, off, len, host);
    }

    /** As {@link #forward} for an ICMPv6 echo request from the guest's {@code srcHigh:srcLow}. */
    public Result forward6(ByteBuf packet, int off, int len, long srcHigh, long srcLow, InetAddress host) {
        int id = packet.getUnsignedShort(off + 4);
        return send(flowFor(new FlowKey(srcHigh, srcLow, id, 0, 0, 0), 0, new Ipv6Address(srcHigh, srcLow), id),
                packet, off, len, host);
    }

    private Result send(Flow flow, ByteBuf packet, int off, int len, InetAddress host) {
        if (flow == null) {
            return flows.size() >= maxFlows ? Result.DROPPED : Result.NOT_PERMITTED;
        }
        flow.lastActive = timers.nanoTime();
        counters.increment(Counter.ICMP_ECHO_FORWARDED);
        // The kernel sets the identifier and checksum itself; type, code, sequence and data go as they are.
        flow.channel.writeAndFlush(new DatagramPacket(packet.retainedSlice(off, len), new InetSocketAddress(host, 0)),
                flow.channel.voidPromise());
        return Result.SENT;
    }

    public int flowCount() {
        return flows.size();
    }

    public void close() {
        for (Flow f : new ArrayList<>(flows.values())) {
            f.channel.close();
        }
        flows.clear();
    }

    /** The ping run of {@code key}, with a socket of its family (IPv6 when {@code guestIpv6} is not null). */
    private Flow flowFor(FlowKey key, int guestIp, Ipv6Address guestIpv6, int id) {
        Flow flow = flows.get(key);
        if (flow != null) {
            return flow;
        }
        if (flows.size() >= maxFlows) {
            counters.increment(Counter.ICMP_ECHO_FLOW_LIMIT);
            return null;
        }
        int fd;
        try {
            fd = guestIpv6 == null ? sockets.open() : sockets.open6();
        } catch (IOException e) {
            counters.increment(Counter.ICMP_ECHO_NOT_PERMITTED);
            return null;
        }
        EpollDatagramChannel ch = new EpollDatagramChannel(fd);
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_MESSAGE));
        Flow created = new Flow(key, guestIp, guestIpv6, id, ch, timers.nanoTime());
        ch.pipeline().addLast(new Replies(created));
        ChannelFuture registered = loop.register(ch);
        if (!registered.isSuccess()) {
            counters.increment(Counter.ICMP_ECHO_NOT_PERMITTED);
            ch.close();
            return null;
        }
        flows.put(key, created);
        idleFlows.watch(created);
        return created;
    }

    private static final class Flow implements IdleExpiry.Watched {
        final FlowKey key;
        final int guestIp;
        /** The guest's address of an ICMPv6 ping run (guestIp is then 0), else null. */
        final Ipv6Address guestIpv6;
        final int guestId;
        final Channel channel;
        long lastActive;

        Flow(FlowKey key, int guestIp, Ipv6Address guestIpv6, int guestId, Channel channel, long now) {
            this.key = key;
            this.guestIp = guestIp;
            this.guestIpv6 = guestIpv6;
            this.guestId = guestId;
            this.channel = channel;
            this.lastActive = now;
        }

        @Override
        public long lastActive() {
            return lastActive;
        }
    }

    private final class Replies extends SimpleChannelInboundHandler<DatagramPacket> {
        private final Flow flow;

        Replies(Flow flow) {
            this.flow = flow;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            if (flow.guestIpv6 != null) {
                replyIpv6(p);
                return;
            }
            ByteBuf msg = p.content();
            int len = msg.readableBytes();
            int from = Ipv4Address.fromInet(p.sender().getAddress());
            if (len < Icmp.HEADER_LENGTH || from == 0 || Icmp.type(msg, msg.readerIndex()) != Icmp.TYPE_ECHO_REPLY) {
                return;
            }
            flow.lastActive = timers.nanoTime();
            ByteBuf reply = out.allocate(len);
            int at = reply.writerIndex();
            reply.writeBytes(msg, msg.readerIndex(), len);
            reply.setShort(at + 4, flow.guestId);
            Icmp.setTypeCodeAndChecksum(reply, at, Icmp.TYPE_ECHO_REPLY, 0, len);
            counters.increment(Counter.ICMP_ECHO_FORWARDED_REPLIES);
            out.send(reply, Ipv4.PROTO_ICMP, destinations.guestVisibleSource(from), flow.guestIp, false);
        }

        private void replyIpv6(DatagramPacket p) {
            ByteBuf msg = p.content();
            int len = msg.readableBytes();
            Ipv6Address from = Ipv6Address.fromInet(p.sender().getAddress());
            if (len < Icmpv6.HEADER_LENGTH || from == null
                    || Icmpv6.type(msg, msg.readerIndex()) != Icmpv6.TYPE_ECHO_REPLY) {
                return;
            }
            flow.lastActive = timers.nanoTime();
            Ipv6Address src = destinations.guestVisibleSourceIpv6(from);
            Ipv6Address guest = flow.guestIpv6;
            ByteBuf reply = out6.allocate(len);
            int at = reply.writerIndex();
            reply.writeBytes(msg, msg.readerIndex(), len);
            reply.setShort(at + 4, flow.guestId);
            Icmpv6.setTypeCodeAndChecksum(reply, at, Icmpv6.TYPE_ECHO_REPLY, 0, len, src.high(), src.low(),
                    guest.high(), guest.low());
            counters.increment(Counter.ICMP_ECHO_FORWARDED_REPLIES);
            out6.send(reply, Ipv6.NEXT_ICMPV6, Ipv6.DEFAULT_HOP_LIMIT, src.high(), src.low(), guest.high(),
                    guest.low());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A send to an unreachable host: ping in the guest sees a timeout, as it would on a real network.
            counters.increment(Counter.ICMP_ECHO_SEND_ERRORS);
        }
    }
}
