package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.usernet.header.Udp;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import dev.rootlessjkit.net.usernet.stack.Ipv4Output;
import dev.rootlessjkit.net.usernet.stack.Ipv6Output;
import dev.rootlessjkit.net.usernet.stack.Destinations;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;

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

    /** The path of a published port's client's datagrams to the guest's {@code guest}. */
    public IpPair fromClient(Destinations destinations, InetAddress client, InetAddress guest) {
        return destinations.clientToGuest(client, guest, out, out6);
    }

    public void send(int srcIp, int srcPort, int dstIp, int dstPort, ByteBuf payload, int offset, int length) {
        send(ipv4(srcIp, dstIp), srcPort, dstPort, payload, offset, length);
    }

    /**
     * A datagram on {@code ip}'s path; false when it does not fit one IPv6 packet to the guest (IPv6 is not
     * fragmented here), and nothing was sent. With offloads, a datagram that needs no fragments leaves its checksum
     * to the guest's kernel, which trusts it as a TAP frame marked so: no pass over the payload here.
     */
    public boolean send(IpPair ip, int srcPort, int dstPort, ByteBuf payload, int offset, int length) {
        int udpLength = Udp.HEADER_LENGTH + length;
        boolean fits = udpLength <= ip.maxL4();
        if (ip instanceof IpPair.V6 && !fits) {
            return false;
        }
        ByteBuf frame = ip.allocate(udpLength);
        int at = frame.writerIndex();
        frame.writerIndex(at + Udp.HEADER_LENGTH);
        frame.writeBytes(payload, offset, length);
        long pseudoHeader = ip.pseudoHeader(Udp.PROTOCOL, udpLength);
        if (fits && ip.offloads()) {
            Udp.writePartial(frame, at, srcPort, dstPort, udpLength, pseudoHeader);
            ip.sendOffloaded(frame, Udp.PROTOCOL, Udp.CHECKSUM_OFFSET, 0, Udp.HEADER_LENGTH);
            return true;
        }
        Udp.write(frame, at, srcPort, dstPort, udpLength, pseudoHeader);
        ip.send(frame, Udp.PROTOCOL, false);
        return true;
    }
}
