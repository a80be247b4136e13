package dev.rootlessjkit.net.usernet.udp;

import dev.rootlessjkit.net.usernet.header.Ipv4;
import dev.rootlessjkit.net.usernet.header.Udp;
import dev.rootlessjkit.net.usernet.stack.Ipv4Output;
import io.netty.buffer.ByteBuf;

/** Writes UDP datagrams to the guest: one copy of the payload into the frame, headers around it. */
public final class UdpOutput {
    private final Ipv4Output out;

    public UdpOutput(Ipv4Output out) {
        this.out = out;
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
}
