package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Checksum;
import dev.rootlessjkit.net.usernet.header.Ipv4;
import io.netty.buffer.ByteBuf;

/**
 * Checks IPv4 headers from the guest and hands valid datagrams to their transport. Every rejection is counted;
 * nothing here throws on bad input. Options are tolerated and skipped.
 */
public final class Ipv4Input {
    private final Counters counters;
    private final FragmentReassembler reassembler;
    private final TransportHandler icmp;
    private final TransportHandler udp;
    private final TransportHandler tcp;

    public Ipv4Input(Counters counters, FragmentReassembler reassembler, TransportHandler icmp, TransportHandler udp,
            TransportHandler tcp) {
        this.counters = counters;
        this.reassembler = reassembler;
        this.icmp = icmp;
        this.udp = udp;
        this.tcp = tcp;
    }

    /**
     * @param off where the IPv4 header starts; the frame ends at its writer index (Ethernet padding included)
     * @param checksumTrusted the transport checksum is not to be checked (the IP header's still is)
     */
    public void receive(ByteBuf frame, int off, boolean checksumTrusted) {
        int available = frame.writerIndex() - off;
        if (available < Ipv4.MIN_HEADER_LENGTH) {
            counters.increment(Counter.IP_TRUNCATED);
            return;
        }
        if (Ipv4.version(frame, off) != 4) {
            counters.increment(Counter.IP_BAD_VERSION);
            return;
        }
        int ihl = Ipv4.headerLength(frame, off);
        if (ihl < Ipv4.MIN_HEADER_LENGTH) {
            counters.increment(Counter.IP_BAD_HEADER_LENGTH);
            return;
        }
        if (ihl > available) {
            counters.increment(Counter.IP_TRUNCATED);
            return;
        }
        int total = Ipv4.totalLength(frame, off);
        if (total < ihl) {
            counters.increment(Counter.IP_BAD_TOTAL_LENGTH);
            return;
        }
        if (total > available) {
            counters.increment(Counter.IP_TRUNCATED);
            return;
        }
        if (!Checksum.verifies(Checksum.add(0, frame, off, ihl))) {
            counters.increment(Counter.IP_BAD_CHECKSUM);
            return;
        }
        int src = Ipv4.source(frame, off);
        if (src == 0 || (src >>> 28) >= 0xe) {
            // Multicast, class E and broadcast are never the source of a connection we could answer.
            counters.increment(Counter.IP_BAD_SOURCE);
            return;
        }
        int dst = Ipv4.destination(frame, off);
        int protocol = Ipv4.protocol(frame, off);
        TransportHandler handler = switch (protocol) {
            case Ipv4.PROTO_TCP -> tcp;
            case Ipv4.PROTO_UDP -> udp;
            case Ipv4.PROTO_ICMP -> icmp;
            default -> null;
        };
        if (handler == null) {
            counters.increment(Counter.IP_UNSUPPORTED_PROTOCOL);
            return;
        }
        if ((Ipv4.flagsAndOffset(frame, off) & (Ipv4.FLAG_MF | Ipv4.OFFSET_MASK)) != 0) {
            ByteBuf whole = reassembler.offer(frame, off, ihl, total);
            if (whole != null) {
                try {
                    handler.receive(whole, Ipv4.MIN_HEADER_LENGTH, whole.writerIndex() - Ipv4.MIN_HEADER_LENGTH,
                            src, dst, false);
                } finally {
                    whole.release();
                }
            }
            return;
        }
        handler.receive(frame, off + ihl, total - ihl, src, dst, checksumTrusted);
    }
}
