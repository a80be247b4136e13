package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import dev.rootlessjkit.net.usernet.header.Ndp;
import dev.rootlessjkit.net.usernet.icmp.IcmpEchoNat;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;

/**
 * ICMPv6 from the guest: Neighbor Discovery to {@link NdpResponder}, echo requests to the stack's own addresses
 * answered here, echo requests to other hosts sent from unprivileged ICMPv6 ping sockets ({@link IcmpEchoNat}); a
 * reply is never forged in another host's name: where the host refuses ping sockets the guest gets "administratively
 * prohibited", where the address leads nowhere "address unreachable", from the gateway. The rest (MLD reports, the
 * guest's own advertisements) is counted and ignored.
 */
public final class Icmpv6Handler implements Ipv6TransportHandler {
    private final Ipv6Output out;
    private final Counters counters;
    private final Destinations destinations;
    private final NdpResponder ndp;
    private final IcmpEchoNat echo;
    private final Icmpv6Errors errors;

    public Icmpv6Handler(Ipv6Output out, Counters counters, Destinations destinations, NdpResponder ndp,
            IcmpEchoNat echo, Icmpv6Errors errors) {
        this.out = out;
        this.counters = counters;
        this.destinations = destinations;
        this.ndp = ndp;
        this.echo = echo;
        this.errors = errors;
    }

    @Override
    public void receive(ByteBuf packet, int ipOffset, int off, int len, long srcHigh, long srcLow, long dstHigh,
            long dstLow, boolean checksumTrusted) {
        // Kernels compute ICMPv6 checksums themselves even with offloads, so they are always checked.
        if (len < Icmpv6.HEADER_LENGTH
                || !Icmpv6.checksumVerifies(packet, off, len, srcHigh, srcLow, dstHigh, dstLow)) {
            counters.increment(Counter.ICMPV6_MALFORMED);
            return;
        }
        switch (Icmpv6.type(packet, off)) {
            case Ndp.TYPE_NEIGHBOR_SOLICITATION -> ndp.neighborSolicitation(packet, ipOffset, off, len, srcHigh,
                    srcLow);
            case Ndp.TYPE_ROUTER_SOLICITATION -> ndp.routerSolicitation(packet, ipOffset, off, len, srcHigh, srcLow);
            case Icmpv6.TYPE_ECHO_REQUEST -> echo(packet, ipOffset, off, len, srcHigh, srcLow, dstHigh, dstLow);
            default -> counters.increment(Counter.ICMPV6_IGNORED);
        }
    }

    private void echo(ByteBuf packet, int ipOffset, int off, int len, long srcHigh, long srcLow, long dstHigh,
            long dstLow) {
        if (Icmpv6.code(packet, off) != 0 || (srcHigh == 0 && srcLow == 0)) {
            counters.increment(Counter.ICMPV6_MALFORMED);
            return;
        }
        if (destinations.ownsIpv6Address(dstHigh, dstLow)) {
            ByteBuf reply = out.allocate(len);
            int at = reply.writerIndex();
            reply.writeBytes(packet, off, len);
            Icmpv6.setTypeCodeAndChecksum(reply, at, Icmpv6.TYPE_ECHO_REPLY, 0, len, dstHigh, dstLow, srcHigh,
                    srcLow);
            counters.increment(Counter.ICMPV6_ECHO_REPLIES);
            out.send(reply, Ipv6.NEXT_ICMPV6, Ipv6.DEFAULT_HOP_LIMIT, dstHigh, dstLow, srcHigh, srcLow);
            return;
        }
        if (Ipv6.isMulticast(dstHigh)) {
            counters.increment(Counter.ICMPV6_IGNORED);
            return;
        }
        InetAddress host = destinations.hostAddressForIpv6(dstHigh, dstLow);
        if (host == null) {
            errors.unreachable(Icmpv6.CODE_ADDRESS_UNREACHABLE, Ipv6Address.GATEWAY.high(),
                    Ipv6Address.GATEWAY.low(), packet, ipOffset, off + len);
            return;
        }
        if (echo.forward6(packet, off, len, srcHigh, srcLow, host) == IcmpEchoNat.Result.NOT_PERMITTED) {
            errors.unreachable(Icmpv6.CODE_ADMIN_PROHIBITED, Ipv6Address.GATEWAY.high(), Ipv6Address.GATEWAY.low(),
                    packet, ipOffset, off + len);
        }
    }
}
