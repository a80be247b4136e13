package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Icmp;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import io.netty.buffer.ByteBuf;

/**
 * ICMP destination-unreachable messages to the guest, so its programs fail at once with the right error (EHOSTUNREACH,
 * "Packet filtered") instead of waiting for a timeout. They quote the datagram's IP header and first 8 transport
 * bytes (RFC 792), which is what the guest's kernel matches to the socket.
 */
public final class IcmpErrors {
    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_ADMIN_PROHIBITED = 13;
    private static final int QUOTED_L4 = 8;

    private final Ipv4Output out;
    private final Counters counters;

    public IcmpErrors(Ipv4Output out, Counters counters) {
        this.out = out;
        this.counters = counters;
    }

    /**
     * Tells {@code guest} that its datagram to {@code dst} could not be delivered, from {@code from} (the gateway).
     *
     * @param l4 the datagram's transport header and payload start at {@code l4Offset}; {@code l4Length} bytes long
     */
    public void unreachable(int code, int from, int guest, int dst, int protocol, ByteBuf l4, int l4Offset,
            int l4Length) {
        int quoted = Math.min(QUOTED_L4, l4Length);
        int len = Icmp.HEADER_LENGTH + Ipv4.MIN_HEADER_LENGTH + quoted;
        ByteBuf f = out.allocate(len);
        int at = f.writerIndex();
        f.setLong(at, 0);
        // The quoted header is rebuilt from the datagram's fields; the guest matches on addresses, protocol, ports.
        Ipv4.write(f, at + Icmp.HEADER_LENGTH, Ipv4.MIN_HEADER_LENGTH + l4Length, 0, Ipv4.FLAG_DF, protocol, guest,
                dst);
        f.setBytes(at + Icmp.HEADER_LENGTH + Ipv4.MIN_HEADER_LENGTH, l4, l4Offset, quoted);
        f.writerIndex(at + len);
        Icmp.setTypeCodeAndChecksum(f, at, Icmp.TYPE_DEST_UNREACHABLE, code, len);
        counters.increment(Counter.ICMP_UNREACHABLE_SENT);
        out.send(f, Ipv4.PROTO_ICMP, from, guest, false);
    }
}
