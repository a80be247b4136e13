package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.header.Ethernet;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import io.netty.buffer.ByteBuf;

/**
 * Builds IPv4 packets for the guest in one buffer: the transport layer writes from {@link #L4_OFFSET} on and this
 * class fills the IP and Ethernet headers in front, so nothing is copied to prepend headers.
 */
public final class Ipv4Output extends IpOutput {
    public static final int IP_OFFSET = Ethernet.HEADER_LENGTH;
    public static final int L4_OFFSET = IP_OFFSET + Ipv4.MIN_HEADER_LENGTH;

    private int nextId;

    public Ipv4Output(Link link, int mtu) {
        super(link, mtu, L4_OFFSET);
    }

    /** Sends a frame from {@link #allocate}; the transport payload ends at the writer index. Takes ownership. */
    public void send(ByteBuf frame, int protocol, int src, int dst, boolean dontFragment) {
        int total = frame.writerIndex() - IP_OFFSET;
        if (total > mtu() && !dontFragment) {
            sendFragments(frame, protocol, src, dst);
            return;
        }
        Ipv4.write(frame, IP_OFFSET, total, nextId++ & 0xffff, dontFragment ? Ipv4.FLAG_DF : 0, protocol, src, dst);
        link.send(frame, Ethernet.TYPE_IPV4);
    }

    /**
     * Sends a frame from {@link #allocate} whose transport checksum field holds the pseudo-header sum; the guest's
     * kernel splits it into segments of {@code gsoSize} when that is not 0. Never fragmented. Takes ownership.
     *
     * @param checksumOffset where the checksum field is in the transport header
     * @param l4HeaderLength the transport header's length, options included
     */
    public void sendOffloaded(ByteBuf frame, int protocol, int src, int dst, int checksumOffset, int gsoSize,
            int l4HeaderLength) {
        int total = frame.writerIndex() - IP_OFFSET;
        Ipv4.write(frame, IP_OFFSET, total, nextId++ & 0xffff, Ipv4.FLAG_DF, protocol, src, dst);
        link.sendOffloaded(frame, Ethernet.TYPE_IPV4, L4_OFFSET, checksumOffset, gsoSize, L4_OFFSET + l4HeaderLength);
    }

    /** Splits a datagram larger than the MTU (a big UDP reply, e.g. DNS over EDNS) into fragments of the MTU. */
    private void sendFragments(ByteBuf whole, int protocol, int src, int dst) {
        int id = nextId++ & 0xffff;
        int payload = whole.writerIndex() - L4_OFFSET;
        int chunk = ((mtu() - Ipv4.MIN_HEADER_LENGTH) / 8) * 8;
        try {
            for (int offset = 0; offset < payload; offset += chunk) {
                int len = Math.min(chunk, payload - offset);
                boolean more = offset + len < payload;
                ByteBuf f = allocate(len);
                f.writeBytes(whole, L4_OFFSET + offset, len);
                Ipv4.write(f, IP_OFFSET, Ipv4.MIN_HEADER_LENGTH + len, id, (more ? Ipv4.FLAG_MF : 0) | (offset / 8),
                        protocol, src, dst);
                link.send(f, Ethernet.TYPE_IPV4);
            }
        } finally {
            whole.release();
        }
    }
}
