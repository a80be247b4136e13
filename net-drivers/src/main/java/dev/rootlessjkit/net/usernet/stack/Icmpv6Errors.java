package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import io.netty.buffer.ByteBuf;

/**
 * ICMPv6 errors to the guest (RFC 4443), so its programs fail at once with the right errno. They quote as much of
 * the offending packet as fits in the IPv6 minimum MTU, which is what the guest's kernel matches to the socket.
 */
public final class Icmpv6Errors {
    /** The error message may not make the packet exceed the minimum MTU (RFC 4443 section 2.4 (c)). */
    private static final int MAX_QUOTED = Ipv6.MIN_MTU - Ipv6.HEADER_LENGTH - Icmpv6.HEADER_LENGTH;

    private final Ipv6Output out;
    private final Counters counters;

    public Icmpv6Errors(Ipv6Output out, Counters counters) {
        this.out = out;
        this.counters = counters;
    }

    /**
     * Tells the guest that its packet at {@code packet[ipOffset, end)} could not be delivered, from {@code from}.
     * Never in answer to a packet sent to a multicast address or from the unspecified one (RFC 4443 section 2.4 (e)).
     */
    public void unreachable(int code, long fromHigh, long fromLow, ByteBuf packet, int ipOffset, int end) {
        long guestHigh = Ipv6.sourceHigh(packet, ipOffset);
        long guestLow = Ipv6.sourceLow(packet, ipOffset);
        if (Ipv6.isMulticast(Ipv6.destinationHigh(packet, ipOffset)) || (guestHigh == 0 && guestLow == 0)) {
            return;
        }
        int quoted = Math.min(MAX_QUOTED, end - ipOffset);
        int len = Icmpv6.HEADER_LENGTH + quoted;
        ByteBuf f = out.allocate(len);
        int at = f.writerIndex();
        f.setInt(at + 4, 0);
        f.setBytes(at + Icmpv6.HEADER_LENGTH, packet, ipOffset, quoted);
        f.writerIndex(at + len);
        Icmpv6.setTypeCodeAndChecksum(f, at, Icmpv6.TYPE_DEST_UNREACHABLE, code, len, fromHigh, fromLow, guestHigh,
                guestLow);
        counters.increment(Counter.ICMPV6_UNREACHABLE_SENT);
        out.send(f, Ipv6.NEXT_ICMPV6, Ipv6.DEFAULT_HOP_LIMIT, fromHigh, fromLow, guestHigh, guestLow);
    }
}
