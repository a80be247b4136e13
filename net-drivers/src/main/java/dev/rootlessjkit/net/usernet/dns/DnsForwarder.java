package dev.rootlessjkit.net.usernet.dns;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.udp.UdpOutput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.collection.IntObjectHashMap;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The DNS server at the DNS address: each query goes to the first upstream resolver, and to the next one when no
 * answer comes in time. Queries get an ID of our own upstream (guests reuse IDs across ports) and the answer is
 * only taken from the resolver that was asked.
 */
public final class DnsForwarder {
    private static final int HEADER_LENGTH = 12;
    private static final int DNS_PORT = 53;
    /** Outstanding queries beyond this are dropped; the guest's resolver retries. */
    private static final int MAX_PENDING = 1024;

    private static final int MAX_DATAGRAM = 65535;

    private final EventLoop loop;
    private final Counters counters;
    private final Timers timers;
    private final UdpOutput output;
    private final int dnsAddress;
    private final List<InetSocketAddress> upstreams;
    private final long timeoutNanos;
    private final IntObjectHashMap<Query> pending = new IntObjectHashMap<>();
    private final SplittableRandom random = new SplittableRandom();
    private EpollDatagramChannel channel;

    public DnsForwarder(EventLoop loop, Counters counters, Timers timers, UdpOutput output, int dnsAddress,
            List<InetSocketAddress> upstreams, long timeoutNanos) {
        this.loop = loop;
        this.counters = counters;
        this.timers = timers;
        this.output = output;
        this.dnsAddress = dnsAddress;
        this.upstreams = List.copyOf(upstreams);
        this.timeoutNanos = timeoutNanos;
    }

    /** The first upstream, for DNS over TCP to the DNS address; null when none is configured. */
    public InetSocketAddress primaryUpstream() {
        return upstreams.isEmpty() ? null : upstreams.get(0);
    }

    public void query(int guestIp, int guestPort, ByteBuf packet, int offset, int length) {
        counters.increment(Counter.DNS_QUERIES);
        if (upstreams.isEmpty() || length < HEADER_LENGTH || pending.size() >= MAX_PENDING) {
            counters.increment(Counter.DNS_NO_UPSTREAM);
            return;
        }
        int id;
        do {
            id = random.nextInt(0x10000);
        } while (pending.containsKey(id));
        byte[] message = new byte[length];
        packet.getBytes(offset, message);
        Query q = new Query(id, guestIp, guestPort, message);
        pending.put(id, q);
        send(q);
    }

    public void close() {
        for (Query q : pending.values()) {
            q.timeout.cancel();
        }
        pending.clear();
        if (channel != null) {
            channel.close();
        }
    }

    private void send(Query q) {
        InetSocketAddress upstream = upstreams.get(q.attempt);
        ByteBuf out = Unpooled.wrappedBuffer(q.message.clone());
        out.setShort(0, q.id);
        channel().writeAndFlush(new DatagramPacket(out, upstream), channel().voidPromise());
        q.timeout = timers.schedule(() -> timedOut(q), timeoutNanos);
    }

    private void timedOut(Query q) {
        if (pending.get(q.id) != q) {
            return;
        }
        q.attempt++;
        if (q.attempt >= upstreams.size()) {
            pending.remove(q.id);
            return;
        }
        send(q);
    }

    private void answer(DatagramPacket p) {
        ByteBuf data = p.content();
        if (data.readableBytes() < HEADER_LENGTH) {
            return;
        }
        int id = data.getUnsignedShort(data.readerIndex());
        Query q = pending.get(id);
        if (q == null || !p.sender().equals(upstreams.get(q.attempt))) {
            return;
        }
        pending.remove(id);
        q.timeout.cancel();
        data.setShort(data.readerIndex(), q.guestId);
        output.send(dnsAddress, DNS_PORT, q.guestIp, q.guestPort, data, data.readerIndex(), data.readableBytes());
    }

    private EpollDatagramChannel channel() {
        if (channel == null) {
            EpollDatagramChannel ch = new EpollDatagramChannel(InternetProtocolFamily.IPv4);
            // Netty reads datagrams into 2 KiB by default and would cut larger ones.
            ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_DATAGRAM));
            ch.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                    answer(p);
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    counters.increment(Counter.UDP_SEND_ERRORS);
                }
            });
            // Called on the loop, so register and bind complete inline and the socket is ready for the first write.
            loop.register(ch);
            ch.bind(new InetSocketAddress(Ipv4Address.toInet(0), 0)).addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    counters.increment(Counter.DNS_NO_UPSTREAM);
                }
            });
            channel = ch;
        }
        return channel;
    }

    private static final class Query {
        final int id;
        final int guestId;
        final int guestIp;
        final int guestPort;
        final byte[] message;
        int attempt;
        Timers.Timeout timeout;

        Query(int id, int guestIp, int guestPort, byte[] message) {
            this.id = id;
            this.guestId = ((message[0] & 0xff) << 8) | (message[1] & 0xff);
            this.guestIp = guestIp;
            this.guestPort = guestPort;
            this.message = message;
        }
    }
}
