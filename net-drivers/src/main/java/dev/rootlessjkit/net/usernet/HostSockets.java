package dev.rootlessjkit.net.usernet;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import java.net.SocketAddress;

/**
 * Opens the stack's host sockets; behind an interface so that tests can stand in for a process out of descriptors.
 * Both methods throw {@link io.netty.channel.ChannelException} when no socket can be had (EMFILE, ENFILE, ENOBUFS).
 */
public interface HostSockets {
    /** The largest UDP datagram: host sockets of the stack read whole datagrams. */
    int MAX_DATAGRAM = 65535;

    HostSockets EPOLL = new HostSockets() {
        @Override
        public EpollSocketChannel tcp() {
            return new EpollSocketChannel();
        }

        @Override
        public EpollDatagramChannel udp() {
            return new EpollDatagramChannel(InternetProtocolFamily.IPv4);
        }

        @Override
        public EpollDatagramChannel udp6() {
            return new EpollDatagramChannel(InternetProtocolFamily.IPv6);
        }
    };

    EpollSocketChannel tcp();

    EpollDatagramChannel udp();

    /** An AF_INET6 UDP socket; none by default, so that a stand-in for the host opens no IPv6 socket by accident. */
    default EpollDatagramChannel udp6() {
        throw new ChannelException("no IPv6 UDP sockets here");
    }

    /**
     * A host UDP socket that reads whole datagrams (Netty reads into 2 KiB by default and would cut larger ones),
     * or null, counted as a host socket failure, when none can be had.
     */
    default EpollDatagramChannel udpForWholeDatagrams(Counters counters, boolean ipv6) {
        final EpollDatagramChannel ch;
        try {
            ch = ipv6 ? udp6() : udp();
        } catch (ChannelException e) {
            counters.increment(Counter.HOST_SOCKET_FAILURES);
            return null;
        }
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_DATAGRAM));
        return ch;
    }

    /**
     * Registers {@code ch} on {@code loop} and binds it to {@code bind} (null: it is bound already). Called on the
     * loop, so both complete inline and the socket is ready for its first write; when either failed the channel is
     * closed and the returned future holds the cause.
     */
    static ChannelFuture registerAndBind(EventLoop loop, Channel ch, SocketAddress bind) {
        ChannelFuture bound = loop.register(ch);
        if (bound.isSuccess() && bind != null) {
            bound = ch.bind(bind);
        }
        if (!bound.isSuccess()) {
            ch.close();
        }
        return bound;
    }

    /** As {@link #registerAndBind}, throwing the cause (a BindException, say) when it failed. */
    static void registerAndBindOrThrow(EventLoop loop, Channel ch, SocketAddress bind) throws Exception {
        ChannelFuture bound = registerAndBind(loop, ch, bind);
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw cause instanceof Exception e ? e : new IllegalStateException(cause);
        }
    }
}
