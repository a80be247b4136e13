package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Arp;
import dev.rootlessjkit.net.usernet.header.Ethernet;
import io.netty.buffer.ByteBuf;
import java.util.function.IntPredicate;

/** Answers ARP requests for the addresses the stack owns (gateway, DNS) and learns the guest's MAC from them. */
public final class ArpResponder {
    private final Link link;
    private final Counters counters;
    private final IntPredicate ownsAddress;

    public ArpResponder(Link link, Counters counters, IntPredicate ownsAddress) {
        this.link = link;
        this.counters = counters;
        this.ownsAddress = ownsAddress;
    }

    public void receive(ByteBuf frame, int off) {
        if (frame.writerIndex() - off < Arp.LENGTH || !Arp.isEthernetIpv4(frame, off)) {
            counters.increment(Counter.ARP_MALFORMED);
            return;
        }
        long senderMac = Arp.senderMac(frame, off);
        int senderIp = Arp.senderIp(frame, off);
        int targetIp = Arp.targetIp(frame, off);
        // Gratuitous ARP and replies to our own requests also tell us where the guest is.
        link.learnGuestMac(senderMac);
        if (Arp.operation(frame, off) != Arp.OP_REQUEST || !ownsAddress.test(targetIp) || senderIp == targetIp) {
            counters.increment(Counter.ARP_IGNORED);
            return;
        }
        ByteBuf reply = link.allocate(Ethernet.HEADER_LENGTH + Arp.LENGTH);
        reply.writerIndex(Ethernet.HEADER_LENGTH + Arp.LENGTH);
        Arp.write(reply, Ethernet.HEADER_LENGTH, Arp.OP_REPLY, link.ourMac(), targetIp, senderMac, senderIp);
        counters.increment(Counter.ARP_REPLIES);
        link.sendTo(reply, senderMac, Ethernet.TYPE_ARP);
    }
}
