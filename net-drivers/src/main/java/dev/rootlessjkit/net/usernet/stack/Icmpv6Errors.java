package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Ipv6Address;
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
        ByteBuf f = out.allocate(Icmpv6.HEADER_LENGTH + quoted);
        f.setBytes(f.writerIndex() + Icmpv6.HEADER_LENGTH, packet, ipOffset, quoted);
        send(f, code, quoted, fromHigh, fromLow, guestHigh, guestLow);
    }

    /**
     * Tells the guest that the flow {@code flow} could not be delivered (a host connect failed), from the gateway,
     * quoting a packet rebuilt from the flow's addresses and the given upper-layer bytes (the guest matches on
     * addresses, next header and ports).
     */
    public void unreachable(int code, IpPair.V6 flow, int nextHeader, ByteBuf l4, int l4Offset, int l4Length) {
        int quoted = Ipv6.HEADER_LENGTH + Math.min(l4Length, MAX_QUOTED - Ipv6.HEADER_LENGTH);
        ByteBuf f = out.allocate(Icmpv6.HEADER_LENGTH + quoted);
        int at = f.writerIndex() + Icmpv6.HEADER_LENGTH;
        Ipv6.write(f, at, l4Length, nextHeader, Ipv6.DEFAULT_HOP_LIMIT, flow.guestHigh, flow.guestLow, flow.peerHigh,
                flow.peerLow);
        f.setBytes(at + Ipv6.HEADER_LENGTH, l4, l4Offset, quoted - Ipv6.HEADER_LENGTH);
        send(f, code, quoted, Ipv6Address.GATEWAY.high(), Ipv6Address.GATEWAY.low(), flow.guestHigh, flow.guestLow);
    }

    private void send(ByteBuf f, int code, int quoted, long fromHigh, long fromLow, long guestHigh, long guestLow) {
        int len = Icmpv6.HEADER_LENGTH + quoted;
        int at = f.writerIndex();
        f.setInt(at + 4, 0);
        f.writerIndex(at + len);
        Icmpv6.setTypeCodeAndChecksum(f, at, Icmpv6.TYPE_DEST_UNREACHABLE, code, len, fromHigh, fromLow, guestHigh,
                guestLow);
        counters.increment(Counter.ICMPV6_UNREACHABLE_SENT);
        out.send(f, Ipv6.NEXT_ICMPV6, Ipv6.DEFAULT_HOP_LIMIT, fromHigh, fromLow, guestHigh, guestLow);
    }
}
