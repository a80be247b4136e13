package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Udp;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import dev.rootlessjkit.net.usernet.stack.Ipv4Output;
import dev.rootlessjkit.net.usernet.stack.Ipv6Output;
import io.netty.buffer.ByteBuf;

/** Writes UDP datagrams to the guest: one copy of the payload into the frame, headers around it. */
public final class UdpOutput {
    private final Ipv4Output out;
    /** Null when the network is IPv4 only. */
    private final Ipv6Output out6;

    public UdpOutput(Ipv4Output out, Ipv6Output out6) {
        this.out = out;
        this.out6 = out6;
    }

    /** The path of datagrams from {@code src} to the guest's {@code guest} over IPv4. */
    public IpPair ipv4(int src, int guest) {
        return IpPair.ipv4(out, src, guest);
    }

    /** The path of datagrams from {@code src} to the guest's {@code guest} over IPv6. */
    public IpPair ipv6(long srcHigh, long srcLow, long guestHigh, long guestLow) {
        return IpPair.ipv6(out6, srcHigh, srcLow, guestHigh, guestLow);
    }

    public void send(int srcIp, int srcPort, int dstIp, int dstPort, ByteBuf payload, int offset, int length) {
        int udpLength = Udp.HEADER_LENGTH + length;
        ByteBuf frame = out.allocate(udpLength);
        int at = frame.writerIndex();
        frame.writerIndex(at + Udp.HEADER_LENGTH);
        frame.writeBytes(payload, offset, length);
        Udp.write(frame, at, srcPort, dstPort, udpLength, srcIp, dstIp);
        out.send(frame, Ipv4.PROTO_UDP, srcIp, dstIp, false);
    }

    /**
     * As {@link #send(int, int, int, int, ByteBuf, int, int)} on {@code ip}'s path; false when the datagram does
     * not fit one IPv6 packet to the guest (IPv6 is not fragmented here), and nothing was sent.
     */
    public boolean send(IpPair ip, int srcPort, int dstPort, ByteBuf payload, int offset, int length) {
        int udpLength = Udp.HEADER_LENGTH + length;
        if (ip instanceof IpPair.V6 && udpLength > ip.maxL4()) {
            return false;
        }
        ByteBuf frame = ip.allocate(udpLength);
        int at = frame.writerIndex();
        frame.writerIndex(at + Udp.HEADER_LENGTH);
        frame.writeBytes(payload, offset, length);
        Udp.write(frame, at, srcPort, dstPort, udpLength, ip.pseudoHeader(Udp.PROTOCOL, udpLength));
        ip.send(frame, Udp.PROTOCOL, false);
        return true;
    }
}
