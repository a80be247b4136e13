package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Icmp;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import io.netty.buffer.ByteBuf;
import java.util.function.IntPredicate;

/**
 * ICMP from the guest. Echo requests to the stack's own addresses are answered here; echo to other hosts needs an
 * unprivileged ping socket per flow (a later addition that plugs in where they are counted as unsupported now),
 * and replies are never forged for hosts we did not ask.
 */
public final class IcmpHandler implements TransportHandler {
    private final Ipv4Output out;
    private final Counters counters;
    private final IntPredicate ownsAddress;

    public IcmpHandler(Ipv4Output out, Counters counters, IntPredicate ownsAddress) {
        this.out = out;
        this.counters = counters;
        this.ownsAddress = ownsAddress;
    }

    @Override
    public void receive(ByteBuf packet, int off, int len, int src, int dst, boolean checksumTrusted) {
        if (len < Icmp.HEADER_LENGTH || !Checksum.verifies(Checksum.add(0, packet, off, len))) {
            counters.increment(Counter.ICMP_MALFORMED);
            return;
        }
        if (Icmp.type(packet, off) != Icmp.TYPE_ECHO_REQUEST || Icmp.code(packet, off) != 0
                || !ownsAddress.test(dst)) {
            counters.increment(Counter.ICMP_UNSUPPORTED);
            return;
        }
        ByteBuf reply = out.allocate(len);
        int at = reply.writerIndex();
        reply.writeBytes(packet, off, len);
        Icmp.setTypeCodeAndChecksum(reply, at, Icmp.TYPE_ECHO_REPLY, 0, len);
        counters.increment(Counter.ICMP_ECHO_REPLIES);
        out.send(reply, Ipv4.PROTO_ICMP, dst, src, false);
    }
}
