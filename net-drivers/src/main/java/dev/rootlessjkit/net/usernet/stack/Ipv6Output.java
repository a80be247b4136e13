package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.header.Ethernet;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import dev.rootlessjkit.net.usernet.header.Ndp;
import io.netty.buffer.ByteBuf;

/**
 * Builds IPv6 packets for the guest in one buffer, as {@link Ipv4Output} does for IPv4: the upper layer writes from
 * {@link #L4_OFFSET} on and this class fills the IPv6 and Ethernet headers in front.
 */
public final class Ipv6Output extends IpOutput {
    public static final int IP_OFFSET = Ethernet.HEADER_LENGTH;
    public static final int L4_OFFSET = IP_OFFSET + Ipv6.HEADER_LENGTH;

    public Ipv6Output(Link link, int mtu) {
        super(link, mtu, L4_OFFSET);
    }

    /**
     * Sends a frame from {@link #allocate} whose upper-layer packet ends at the writer index, to the guest's MAC, or
     * to the multicast MAC of a multicast destination. Takes ownership.
     */
    public void send(ByteBuf frame, int nextHeader, int hopLimit, long srcHigh, long srcLow, long dstHigh,
            long dstLow) {
        Ipv6.write(frame, IP_OFFSET, frame.writerIndex() - L4_OFFSET, nextHeader, hopLimit, srcHigh, srcLow, dstHigh,
                dstLow);
        if (Ipv6.isMulticast(dstHigh)) {
            link.sendTo(frame, Ndp.multicastMac(dstLow), Ethernet.TYPE_IPV6);
        } else {
            link.send(frame, Ethernet.TYPE_IPV6);
        }
    }

    /**
     * As {@link Ipv4Output#sendOffloaded}: a frame from {@link #allocate} whose transport checksum field holds the
     * pseudo-header sum, split by the guest's kernel into segments of {@code gsoSize} when that is not 0.
     */
    public void sendOffloaded(ByteBuf frame, int nextHeader, long srcHigh, long srcLow, long dstHigh, long dstLow,
            int checksumOffset, int gsoSize, int l4HeaderLength) {
        Ipv6.write(frame, IP_OFFSET, frame.writerIndex() - L4_OFFSET, nextHeader, Ipv6.DEFAULT_HOP_LIMIT, srcHigh,
                srcLow, dstHigh, dstLow);
        link.sendOffloaded(frame, Ethernet.TYPE_IPV6, L4_OFFSET, checksumOffset, gsoSize, L4_OFFSET + l4HeaderLength);
    }

    /** As {@link #send} to a link-layer address given by the guest (a neighbor solicitation's source). */
    public void sendTo(ByteBuf frame, long mac, int nextHeader, int hopLimit, long srcHigh, long srcLow,
            long dstHigh, long dstLow) {
        Ipv6.write(frame, IP_OFFSET, frame.writerIndex() - L4_OFFSET, nextHeader, hopLimit, srcHigh, srcLow, dstHigh,
                dstLow);
        link.sendTo(frame, mac, Ethernet.TYPE_IPV6);
    }
}
