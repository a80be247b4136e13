package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.api.TcpPortTraffic;
import dev.rootlessjkit.net.usernet.PublishedPort;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A host port whose clients the stack connects to a guest port itself (the usernet port driver): a listener on the
 * stack's loop and the flows it opened, so that closing the port also ends its live connections. Loop only.
 */
public final class PublishedTcpPort implements PublishedPort {
    private final TcpNat nat;
    private final EpollServerSocketChannel server;
    /** The guest's address the port leads to, IPv4 or IPv6. */
    private final InetAddress guestIp;
    private final int guestPort;
    private final Set<TcpFlow> flows = new LinkedHashSet<>();
    /** The port's counters, which its flows count in. */
    final TcpPortTraffic traffic = new TcpPortTraffic();
    private boolean closed;

    PublishedTcpPort(TcpNat nat, EpollServerSocketChannel server, InetAddress guestIp, int guestPort) {
        this.nat = nat;
        this.server = server;
        this.guestIp = guestIp;
        this.guestPort = guestPort;
    }

    /** The address actually bound (its port is chosen by the kernel when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    public int connectionCount() {
        return flows.size();
    }

    public TcpPortTraffic traffic() {
        return traffic;
    }

    void accepted(Channel client) {
        traffic.accepted();
        if (closed) {
            traffic.failed(TcpPortTraffic.Failure.OTHER);
            reject(client);
            return;
        }
        TcpFlow flow = nat.openToGuest(this, client, guestIp, guestPort);
        if (flow != null) {
            flows.add(flow);
        } else {
            traffic.failed(TcpPortTraffic.Failure.LIMIT);
        }
    }

    /** Closes an accepted client that was never registered with a loop (close() would need one). */
    static void reject(Channel client) {
        client.unsafe().closeForcibly();
    }

    void forget(TcpFlow flow) {
        flows.remove(flow);
    }

    /** Stops listening and resets every connection the port still has, on both sides. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.close();
        for (TcpFlow f : new ArrayList<>(flows)) {
            f.abort();
        }
        flows.clear();
        nat.unpublished(this);
    }

    /** Hands each accepted client socket to the port. */
    static final class Acceptor extends ChannelInboundHandlerAdapter {
        /** Long enough not to spin while descriptors are short, short enough that a waiting client hardly notices. */
        private static final long ACCEPT_PAUSE_MILLIS = 100;
        private PublishedTcpPort port;

        void attach(PublishedTcpPort p) {
            this.port = p;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel client = (Channel) msg;
            if (port == null) {
                reject(client);
                return;
            }
            port.accepted(client);
        }

        /**
         * accept(2) failing (EMFILE, ENFILE, ENOBUFS) leaves the client in the backlog, and the listener is
         * edge-triggered: nothing would take it before the next client arrives. Pause instead of spinning, then read
         * again (re-arming epoll reports what is still queued).
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Channel server = ctx.channel();
            server.config().setAutoRead(false);
            server.eventLoop().schedule(() -> {
                if (server.isOpen()) {
                    server.config().setAutoRead(true);
                }
            }, ACCEPT_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
