package dev.rootlessjkit.net.usernet.tcp;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Tcp;
import dev.rootlessjkit.net.usernet.stack.IpPair;
import io.netty.buffer.ByteBuf;

/** Writes TCP segments to the guest: headers, options on SYN-ACK, payload copied once from the send queue. */
final class TcpOutput {
    /** No window-scale option: the option is left out of the SYN-ACK. */
    static final int NO_WSCALE = -1;

    private final Counters counters;

    TcpOutput(Counters counters) {
        this.counters = counters;
    }

    /**
     * A segment with {@code length} bytes from the send queue; with offloads its checksum is left to the guest and a
     * payload above {@code mss} is split by the guest's kernel.
     */
    void segment(IpPair ip, int srcPort, int dstPort, int seq, int ack, int flags, int window,
            SendQueue data, int dataOffset, int length, int mss) {
        int total = Tcp.MIN_HEADER_LENGTH + length;
        ByteBuf f = ip.allocate(total);
        int at = f.writerIndex();
        Tcp.write(f, at, srcPort, dstPort, seq, ack, Tcp.MIN_HEADER_LENGTH, flags, window);
        f.writerIndex(at + Tcp.MIN_HEADER_LENGTH);
        if (length > 0) {
            data.copy(dataOffset, length, f);
        }
        if (ip.offloads()) {
            Tcp.writePartialChecksum(f, at, ip.pseudoHeader(Tcp.PROTOCOL, total));
            ip.sendOffloaded(f, Tcp.PROTOCOL, Tcp.CHECKSUM_OFFSET, length > mss ? mss : 0, Tcp.MIN_HEADER_LENGTH);
            return;
        }
        Tcp.writeChecksum(f, at, total, ip.pseudoHeader(Tcp.PROTOCOL, total));
        ip.send(f, Tcp.PROTOCOL, true);
    }

    void synAck(IpPair ip, int srcPort, int dstPort, int seq, int ack, int window, int mss, int wscale) {
        handshake(Tcp.SYN | Tcp.ACK, ip, srcPort, dstPort, seq, ack, window, mss, wscale);
    }

    /** The SYN of a connection the stack opens to the guest, offering MSS and window scale. */
    void syn(IpPair ip, int srcPort, int dstPort, int seq, int window, int mss, int wscale) {
        handshake(Tcp.SYN, ip, srcPort, dstPort, seq, 0, window, mss, wscale);
    }

    private void handshake(int flags, IpPair ip, int srcPort, int dstPort, int seq, int ack, int window, int mss,
            int wscale) {
        int header = Tcp.MIN_HEADER_LENGTH + 8;
        ByteBuf f = ip.allocate(header);
        int at = f.writerIndex();
        Tcp.write(f, at, srcPort, dstPort, seq, ack, header, flags, window);
        int o = at + Tcp.MIN_HEADER_LENGTH;
        f.setByte(o, Tcp.OPT_MSS);
        f.setByte(o + 1, 4);
        f.setShort(o + 2, mss);
        if (wscale == NO_WSCALE) {
            f.setInt(o + 4, 0x01010100);
        } else {
            f.setByte(o + 4, Tcp.OPT_NOP);
            f.setByte(o + 5, Tcp.OPT_WSCALE);
            f.setByte(o + 6, 3);
            f.setByte(o + 7, wscale);
        }
        f.writerIndex(at + header);
        Tcp.writeChecksum(f, at, header, ip.pseudoHeader(Tcp.PROTOCOL, header));
        ip.send(f, Tcp.PROTOCOL, true);
    }

    /** A RST from the peer's {@code srcPort}, with the sequence numbers RFC 9293 asks for in reply to {@code seg}. */
    void resetFor(Segment seg, IpPair ip, int srcPort, int dstPort) {
        if (seg.has(Tcp.ACK)) {
            rst(ip, srcPort, dstPort, seg.ack, 0, Tcp.RST);
        } else {
            rst(ip, srcPort, dstPort, 0, SeqNum.add(seg.seq, seg.sequenceLength()), Tcp.RST | Tcp.ACK);
        }
    }

    void rst(IpPair ip, int srcPort, int dstPort, int seq, int ack, int flags) {
        counters.increment(Counter.TCP_RST_SENT);
        ByteBuf f = ip.allocate(Tcp.MIN_HEADER_LENGTH);
        int at = f.writerIndex();
        Tcp.write(f, at, srcPort, dstPort, seq, ack, Tcp.MIN_HEADER_LENGTH, flags, 0);
        f.writerIndex(at + Tcp.MIN_HEADER_LENGTH);
        Tcp.writeChecksum(f, at, Tcp.MIN_HEADER_LENGTH, ip.pseudoHeader(Tcp.PROTOCOL, Tcp.MIN_HEADER_LENGTH));
        ip.send(f, Tcp.PROTOCOL, true);
    }
}
