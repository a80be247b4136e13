package dev.rootlessjkit.net.usernet.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A host port whose clients the stack connects to a guest port itself (the usernet port driver): a listener on the
 * stack's loop and the flows it opened, so that closing the port also ends its live connections. Loop only.
 */
public final class PublishedTcpPort implements AutoCloseable {
    private final TcpNat nat;
    private final EpollServerSocketChannel server;
    private final int guestIp;
    private final int guestPort;
    private final Set<TcpFlow> flows = new LinkedHashSet<>();
    private boolean closed;

    PublishedTcpPort(TcpNat nat, EpollServerSocketChannel server, int guestIp, int guestPort) {
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

    void accepted(Channel client) {
        if (closed) {
            reject(client);
            return;
        }
        TcpFlow flow = nat.openToGuest(this, client, guestIp, guestPort);
        if (flow != null) {
            flows.add(flow);
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

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // accept() failing (EMFILE and the like) is transient; the listener stays.
        }
    }
}
