package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import io.netty.buffer.ByteBuf;

/**
 * TCP and UDP over IPv6, which the stack does not relay to host sockets yet: the guest is told at once, by an
 * ICMPv6 "administratively prohibited" from the gateway (EACCES in the guest), instead of waiting for a timeout,
 * and nothing is answered in another host's name.
 */
public final class Ipv6TransportRefusal implements Ipv6TransportHandler {
    private final Icmpv6Errors errors;
    private final Counters counters;

    public Ipv6TransportRefusal(Icmpv6Errors errors, Counters counters) {
        this.errors = errors;
        this.counters = counters;
    }

    @Override
    public void receive(ByteBuf packet, int ipOffset, int l4Offset, int l4Length, long srcHigh, long srcLow,
            long dstHigh, long dstLow, boolean checksumTrusted) {
        counters.increment(Counter.IPV6_TRANSPORT_REFUSED);
        errors.unreachable(Icmpv6.CODE_ADMIN_PROHIBITED, Ipv6Address.GATEWAY.high(), Ipv6Address.GATEWAY.low(),
                packet, ipOffset, l4Offset + l4Length);
    }
}
