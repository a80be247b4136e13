package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.flow.FlowKey;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * One guest UDP source (address and port) and the host socket that speaks for it. The socket is not connected:
 * like slirp, answers from any host reach the guest's port, with their own source address.
 */
final class UdpFlow extends UdpFlowEntry {
    /**
     * Datagrams waiting for the host socket (its send buffer full: a slow or unreachable peer) beyond 64 KiB are
     * dropped, as a full socket buffer drops them in the kernel: one batch's worth of datagrams, never a backlog.
     */
    static final WriteBufferWaterMark BACKLOG = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    final int guestIp;
    /** The guest's IPv6 address for a flow over IPv6 (guestIp is then 0), else null. */
    final Ipv6Address guestIpv6;
    final int guestPort;
    final Channel channel;
    boolean flushQueued;

    UdpFlow(FlowKey key, int guestIp, Ipv6Address guestIpv6, int guestPort, Channel channel, long now) {
        super(key, key.guestAddress(), null, now);
        this.guestIp = guestIp;
        this.guestIpv6 = guestIpv6;
        this.guestPort = guestPort;
        this.channel = channel;
    }

    /**
     * Queues a datagram for the host until the end of the batch; false (and the payload released) when the socket's
     * backlog is full. Takes ownership of the payload.
     */
    boolean write(ByteBuf payload, InetSocketAddress to) {
        if (!channel.isWritable()) {
            payload.release();
            return false;
        }
        channel.write(new DatagramPacket(payload, to), channel.voidPromise());
        return true;
    }
}
