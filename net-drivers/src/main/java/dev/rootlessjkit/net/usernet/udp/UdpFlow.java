package dev.rootlessjkit.net.usernet.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * One guest UDP source (address and port) and the host socket that speaks for it. The socket is not connected:
 * like slirp, answers from any host reach the guest's port, with their own source address.
 */
final class UdpFlow {
    final long key;
    final int guestIp;
    final int guestPort;
    final Channel channel;
    boolean flushQueued;
    long lastActive;

    UdpFlow(long key, int guestIp, int guestPort, Channel channel, long now) {
        this.key = key;
        this.guestIp = guestIp;
        this.guestPort = guestPort;
        this.channel = channel;
        this.lastActive = now;
    }

    /** Queues a datagram for the host until the end of the batch. Takes ownership of the payload. */
    void write(ByteBuf payload, InetSocketAddress to) {
        channel.write(new DatagramPacket(payload, to), channel.voidPromise());
    }
}
