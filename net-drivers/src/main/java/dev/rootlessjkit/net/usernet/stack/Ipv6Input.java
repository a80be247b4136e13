package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import io.netty.buffer.ByteBuf;

/**
 * Checks IPv6 packets from the guest, walks their extension headers and hands the upper-layer packet to its handler;
 * fragments go to the {@link FragmentReassembler} (bounded together with IPv4's) and the whole packet through the walk
 * again, where a second fragment header drops it. Every rejection is counted; nothing here throws on bad input. The
 * walk is bounded: a chain longer than {@link #MAX_EXTENSION_HEADERS}, hop-by-hop options anywhere but first, a
 * header running past the payload, or a routing header with segments left (we are not a router for source routes)
 * drop the packet.
 */
public final class Ipv6Input {
    /** More than any honest packet carries (RFC 8200 recommends each at most once, destination options twice). */
    static final int MAX_EXTENSION_HEADERS = 8;

    private final Counters counters;
    private final FragmentReassembler reassembler;
    private final Ipv6TransportHandler icmp;
    private final Ipv6TransportHandler udp;
    private final Ipv6TransportHandler tcp;

    public Ipv6Input(Counters counters, FragmentReassembler reassembler, Ipv6TransportHandler icmp,
            Ipv6TransportHandler udp, Ipv6TransportHandler tcp) {
        this.counters = counters;
        this.reassembler = reassembler;
        this.icmp = icmp;
        this.udp = udp;
        this.tcp = tcp;
    }

    /**
     * @param off where the IPv6 header starts; the frame ends at its writer index (Ethernet padding included)
     * @param checksumTrusted the transport checksum is not to be checked
     */
    public void receive(ByteBuf frame, int off, boolean checksumTrusted) {
        receive(frame, off, checksumTrusted, false);
    }

    /** @param reassembled the packet is one the reassembler put together: it may not be a fragment again */
    private void receive(ByteBuf frame, int off, boolean checksumTrusted, boolean reassembled) {
        int available = frame.writerIndex() - off;
        if (available < Ipv6.HEADER_LENGTH) {
            counters.increment(Counter.IP_TRUNCATED);
            return;
        }
        if (Ipv6.version(frame, off) != 6) {
            counters.increment(Counter.IP_BAD_VERSION);
            return;
        }
        int payload = Ipv6.payloadLength(frame, off);
        if (payload == 0) {
            counters.increment(Counter.IPV6_BAD_PAYLOAD_LENGTH);
            return;
        }
        if (payload > available - Ipv6.HEADER_LENGTH) {
            counters.increment(Counter.IP_TRUNCATED);
            return;
        }
        long srcHigh = Ipv6.sourceHigh(frame, off);
        if (Ipv6.isMulticast(srcHigh)) {
            counters.increment(Counter.IP_BAD_SOURCE);
            return;
        }
        int end = off + Ipv6.HEADER_LENGTH + payload;
        int at = off + Ipv6.HEADER_LENGTH;
        int next = Ipv6.nextHeader(frame, off);
        for (int seen = 0; Ipv6.isGenericExtension(next) || next == Ipv6.NEXT_FRAGMENT; seen++) {
            if (next == Ipv6.NEXT_FRAGMENT) {
                if (reassembled || at + Ipv6.FRAGMENT_HEADER_LENGTH > end) {
                    counters.increment(Counter.IPV6_BAD_EXTENSION_HEADERS);
                    return;
                }
                ByteBuf whole = reassembler.offerIpv6(frame, off, at, end);
                if (whole != null) {
                    try {
                        receive(whole, 0, false, true);
                    } finally {
                        whole.release();
                    }
                }
                return;
            }
            if (seen >= MAX_EXTENSION_HEADERS || (next == Ipv6.NEXT_HOP_BY_HOP && seen > 0) || at + 8 > end) {
                counters.increment(Counter.IPV6_BAD_EXTENSION_HEADERS);
                return;
            }
            int length = Ipv6.extensionLength(frame, at);
            if (at + length > end || (next == Ipv6.NEXT_ROUTING && Ipv6.routingSegmentsLeft(frame, at) != 0)) {
                counters.increment(Counter.IPV6_BAD_EXTENSION_HEADERS);
                return;
            }
            next = Ipv6.extensionNextHeader(frame, at);
            at += length;
        }
        Ipv6TransportHandler handler = switch (next) {
            case Ipv6.NEXT_ICMPV6 -> icmp;
            case Ipv6.NEXT_UDP -> udp;
            case Ipv6.NEXT_TCP -> tcp;
            default -> null;
        };
        if (handler == null) {
            counters.increment(Counter.IP_UNSUPPORTED_PROTOCOL);
            return;
        }
        handler.receive(frame, off, at, end - at, srcHigh, Ipv6.sourceLow(frame, off),
                Ipv6.destinationHigh(frame, off), Ipv6.destinationLow(frame, off), checksumTrusted);
    }
}
