package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Icmp;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.icmp.IcmpEchoNat;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;

/**
 * ICMP from the guest. Echo requests to the stack's own addresses are answered here; echo requests to other hosts
 * go out through unprivileged ping sockets, and replies are never forged for hosts we did not ask: where the host
 * refuses ping sockets, or the destination leads nowhere, the guest gets an ICMP error from the gateway.
 */
public final class IcmpHandler implements TransportHandler {
    private final Ipv4Output out;
    private final Counters counters;
    private final Destinations destinations;
    private final IcmpEchoNat echo;
    private final IcmpErrors errors;

    public IcmpHandler(Ipv4Output out, Counters counters, Destinations destinations, IcmpEchoNat echo,
            IcmpErrors errors) {
        this.out = out;
        this.counters = counters;
        this.destinations = destinations;
        this.echo = echo;
        this.errors = errors;
    }

    @Override
    public void receive(ByteBuf packet, int off, int len, int src, int dst, boolean checksumTrusted) {
        // Kernels compute ICMP checksums themselves even with offloads, so they are always checked.
        if (len < Icmp.HEADER_LENGTH || !Checksum.verifies(Checksum.add(0, packet, off, len))) {
            counters.increment(Counter.ICMP_MALFORMED);
            return;
        }
        if (Icmp.type(packet, off) != Icmp.TYPE_ECHO_REQUEST || Icmp.code(packet, off) != 0) {
            counters.increment(Counter.ICMP_UNSUPPORTED);
            return;
        }
        if (destinations.ownsAddress(dst)) {
            ByteBuf reply = out.allocate(len);
            int at = reply.writerIndex();
            reply.writeBytes(packet, off, len);
            Icmp.setTypeCodeAndChecksum(reply, at, Icmp.TYPE_ECHO_REPLY, 0, len);
            counters.increment(Counter.ICMP_ECHO_REPLIES);
            out.send(reply, Ipv4.PROTO_ICMP, dst, src, false);
            return;
        }
        InetAddress host = destinations.hostAddressFor(dst);
        if (host == null) {
            errors.unreachable(IcmpErrors.CODE_HOST_UNREACHABLE, destinations.gateway(), src, dst, Ipv4.PROTO_ICMP,
                    packet, off, len);
            return;
        }
        if (echo.forward(packet, off, len, src, host) == IcmpEchoNat.Result.NOT_PERMITTED) {
            errors.unreachable(IcmpErrors.CODE_ADMIN_PROHIBITED, destinations.gateway(), src, dst, Ipv4.PROTO_ICMP,
                    packet, off, len);
        }
    }
}
