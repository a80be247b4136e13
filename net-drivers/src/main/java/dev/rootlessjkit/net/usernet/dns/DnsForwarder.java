package dev.rootlessjkit.net.usernet.dns;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.HostSockets;
import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import dev.rootlessjkit.net.usernet.udp.UdpOutput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.collection.IntObjectHashMap;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The DNS server at the DNS address: each query goes to the first upstream resolver, and to the next one when no
 * answer comes in time. Each query gets an ID of our own and goes out from one of a pool of sockets picked at random
 * (a random source port among several, RFC 5452); an answer is taken only when it comes from the resolver that was
 * asked, to the socket the query left from, with the query's ID and question. Anything else is dropped.
 */
public final class DnsForwarder {
    private static final int DNS_PORT = 53;
    /**
     * Outstanding queries beyond this are dropped (the guest's resolver retries): twice the 2,000-query burst a
     * busy container was seen to send at once, and each costs at most {@link #MAX_QUERY} bytes.
     */
    static final int MAX_PENDING = 4096;
    /** Queries longer than this are dropped: a question and an EDNS record take a few hundred bytes. */
    static final int MAX_QUERY = 4096;
    /**
     * Upstream sockets: answers spread over 16 receive buffers instead of one, whose overflow had lost all but 256
     * answers of a 2,000-query burst; and a spoofed answer must hit one of 16 random ports as well as the ID.
     */
    static final int POOL_SIZE = 16;
    /** Each pool socket's receive buffer: room for a burst of answers (the kernel caps it at rmem_max). */
    private static final int RECEIVE_BUFFER = 1 << 20;

    private final EventLoop loop;
    private final Counters counters;
    private final Timers timers;
    private final UdpOutput output;
    private final HostSockets sockets;
    private final List<InetSocketAddress> upstreams;
    private final long timeoutNanos;
    /** By pool index and our ID: (index << 16) | id. */
    private final IntObjectHashMap<Query> pending = new IntObjectHashMap<>();
    private final SplittableRandom random = new SplittableRandom();
    private final EpollDatagramChannel[] pool = new EpollDatagramChannel[POOL_SIZE];

    public DnsForwarder(EventLoop loop, Counters counters, Timers timers, UdpOutput output, HostSockets sockets,
            List<InetSocketAddress> upstreams, long timeoutNanos) {
        this.loop = loop;
        this.counters = counters;
        this.timers = timers;
        this.output = output;
        this.sockets = sockets;
        this.upstreams = List.copyOf(upstreams);
        this.timeoutNanos = timeoutNanos;
    }

    /** The first upstream, for DNS over TCP to the DNS address; null when none is configured. */
    public InetSocketAddress primaryUpstream() {
        return upstreams.isEmpty() ? null : upstreams.get(0);
    }

    public int pendingCount() {
        return pending.size();
    }

    /**
     * A query from the guest's {@code guestPort}, answered on {@code reply}: from the DNS address the guest asked
     * (10.0.2.3 or fd00::3) to the guest.
     */
    public void query(IpPair reply, int guestPort, ByteBuf packet, int offset, int length) {
        counters.increment(Counter.DNS_QUERIES);
        if (upstreams.isEmpty()) {
            counters.increment(Counter.DNS_NO_UPSTREAM);
            return;
        }
        if (length > MAX_QUERY || DnsMessage.questionEnd(packet, offset, length) < 0) {
            counters.increment(Counter.DNS_MALFORMED);
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            counters.increment(Counter.DNS_PENDING_LIMIT);
            return;
        }
        byte[] message = new byte[length];
        packet.getBytes(offset, message);
        int index = random.nextInt(POOL_SIZE);
        EpollDatagramChannel ch = socket(index);
        if (ch == null) {
            servfail(reply, guestPort, message);
            return;
        }
        int key;
        do {
            key = (index << 16) | random.nextInt(0x10000);
        } while (pending.containsKey(key));
        Query q = new Query(key, ch, reply, guestPort, message);
        pending.put(key, q);
        send(q);
    }

    public void close() {
        for (Query q : pending.values()) {
            q.timeout.cancel();
        }
        pending.clear();
        for (EpollDatagramChannel ch : pool) {
            if (ch != null) {
                ch.close();
            }
        }
    }

    private void send(Query q) {
        InetSocketAddress upstream = upstreams.get(q.attempt);
        ByteBuf out = Unpooled.wrappedBuffer(q.message.clone());
        out.setShort(0, q.key & 0xffff);
        q.channel.writeAndFlush(new DatagramPacket(out, upstream), q.channel.voidPromise());
        q.timeout = timers.schedule(() -> timedOut(q), timeoutNanos);
    }

    private void timedOut(Query q) {
        if (pending.get(q.key) != q) {
            return;
        }
        q.attempt++;
        if (q.attempt >= upstreams.size()) {
            pending.remove(q.key);
            return;
        }
        send(q);
    }

    private void answer(int index, DatagramPacket p) {
        ByteBuf data = p.content();
        int off = data.readerIndex();
        int len = data.readableBytes();
        int end = DnsMessage.questionEnd(data, off, len);
        if (end < 0) {
            counters.increment(Counter.DNS_UNMATCHED_ANSWERS);
            return;
        }
        int key = (index << 16) | DnsMessage.id(data, off);
        Query q = pending.get(key);
        if (q == null || !p.sender().equals(upstreams.get(q.attempt)) || !q.asked(data, off, end)) {
            counters.increment(Counter.DNS_UNMATCHED_ANSWERS);
            return;
        }
        pending.remove(key);
        q.timeout.cancel();
        data.setShort(off, q.guestId);
        if (!output.send(q.reply, DNS_PORT, q.guestPort, data, off, len)) {
            counters.increment(Counter.IPV6_TOO_BIG);
        }
    }

    /** Answers a query we could not send (no socket to be had) as a resolver does: SERVFAIL, at once. */
    private void servfail(IpPair reply, int guestPort, byte[] message) {
        ByteBuf q = Unpooled.wrappedBuffer(message);
        ByteBuf a = DnsMessage.servfail(q, DnsMessage.questionEnd(q, 0, message.length));
        output.send(reply, DNS_PORT, guestPort, a, 0, a.readableBytes());
        a.release();
    }

    /** Pool socket {@code index}, opened on first use; null when no socket can be had. */
    private EpollDatagramChannel socket(int index) {
        EpollDatagramChannel ch = pool[index];
        if (ch != null && ch.isOpen()) {
            return ch;
        }
        ch = sockets.udpForWholeDatagrams(counters, false);
        if (ch == null) {
            return null;
        }
        ch.config().setOption(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER);
        ch.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                answer(index, p);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                counters.increment(Counter.UDP_SEND_ERRORS);
            }
        });
        if (!HostSockets.registerAndBind(loop, ch, new InetSocketAddress(Ipv4Address.toInet(0), 0)).isSuccess()) {
            counters.increment(Counter.HOST_SOCKET_FAILURES);
            return null;
        }
        pool[index] = ch;
        return ch;
    }

    private static final class Query {
        final int key;
        final EpollDatagramChannel channel;
        final int guestId;
        final IpPair reply;
        final int guestPort;
        final byte[] message;
        int attempt;
        Timers.Timeout timeout;

        Query(int key, EpollDatagramChannel channel, IpPair reply, int guestPort, byte[] message) {
            this.key = key;
            this.channel = channel;
            this.guestId = ((message[0] & 0xff) << 8) | (message[1] & 0xff);
            this.reply = reply;
            this.guestPort = guestPort;
            this.message = message;
        }

        /** Whether an answer's question (ending at {@code end}) is this query's. */
        boolean asked(ByteBuf answer, int off, int end) {
            ByteBuf q = Unpooled.wrappedBuffer(message);
            int qEnd = DnsMessage.questionEnd(q, 0, message.length);
            return DnsMessage.sameQuestion(q, DnsMessage.HEADER_LENGTH, qEnd, answer, off + DnsMessage.HEADER_LENGTH,
                    end);
        }
    }
}
