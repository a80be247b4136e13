package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.api.UdpPortTraffic;
import dev.rootlessjkit.net.usernet.PublishedPort;
import dev.rootlessjkit.net.usernet.flow.FlowKey;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * A host UDP port published into the guest by the stack (the usernet port driver): one socket on the host, and per
 * client (address, port) a flow the guest sees coming from the client's mapped address, whose replies go back to
 * that client from this socket. Flows end after the NAT's UDP idle time. Loop only.
 */
public final class PublishedUdpPort implements PublishedPort {
    private final UdpNat nat;
    final EpollDatagramChannel channel;
    /** The guest's address the port leads to, IPv4 or IPv6. */
    final InetAddress guestIp;
    final int guestPort;
    private final Map<InetSocketAddress, Flow> byClient = new HashMap<>();
    /** The port's counters. */
    final UdpPortTraffic traffic = new UdpPortTraffic();
    boolean flushQueued;
    private boolean closed;

    /** One client of the port. */
    static final class Flow extends UdpFlowEntry {
        final PublishedUdpPort port;
        final InetSocketAddress client;
        /** From the client's address as the guest sees it to the guest. */
        final IpPair path;
        final int sourcePort;

        /** Counted per client address (a source) and per port (a destination) in the inbound table. */
        Flow(PublishedUdpPort port, InetSocketAddress client, FlowKey key, IpPair path, int sourcePort, long now) {
            super(key, client.getAddress(), port, now);
            this.port = port;
            this.client = client;
            this.path = path;
            this.sourcePort = sourcePort;
        }

        /**
         * A datagram from the guest back to the client; false (payload released) when the port's socket has a full
         * backlog. Takes ownership of the payload.
         */
        boolean reply(ByteBuf payload) {
            port.traffic.fromChild(1, payload.readableBytes());
            if (!port.channel.isWritable()) {
                port.traffic.dropped(UdpPortTraffic.Drop.QUEUE_FULL, 1);
                payload.release();
                return false;
            }
            port.channel.write(new DatagramPacket(payload, client), port.channel.voidPromise());
            return true;
        }
    }

    PublishedUdpPort(UdpNat nat, EpollDatagramChannel channel, InetAddress guestIp, int guestPort) {
        this.nat = nat;
        this.channel = channel;
        this.guestIp = guestIp;
        this.guestPort = guestPort;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int flowCount() {
        return byClient.size();
    }

    public UdpPortTraffic traffic() {
        return traffic;
    }

    Flow flow(InetSocketAddress client) {
        return byClient.get(client);
    }

    void add(Flow flow) {
        byClient.put(flow.client, flow);
        traffic.flowOpened();
    }

    void forget(Flow flow) {
        if (byClient.remove(flow.client, flow)) {
            traffic.flowEnded();
        }
    }

    /** Stops listening and forgets every client flow. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        channel.close();
        for (Flow f : new ArrayList<>(byClient.values())) {
            nat.dropInbound(f);
        }
        byClient.clear();
        nat.unpublished(this);
    }

    /** Datagrams from clients, into the guest. */
    final class FromClients extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            traffic.toChild(1, p.content().readableBytes());
            if (!closed) {
                nat.fromClient(PublishedUdpPort.this, p.sender(), p.content());
            } else {
                traffic.dropped(UdpPortTraffic.Drop.FAILED, 1);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP errors from clients that went away; UDP may lose them.
        }
    }
}
