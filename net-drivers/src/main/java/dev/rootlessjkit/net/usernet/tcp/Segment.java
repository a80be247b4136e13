package dev.rootlessjkit.net.usernet.tcp;

import io.netty.buffer.ByteBuf;

/**
 * The fields of the guest segment being handled. One instance is reused for every segment (the stack is
 * single-threaded), so parsing allocates nothing; never keep a reference beyond the call.
 */
final class Segment {
    int srcPort;
    int dstPort;
    int seq;
    int ack;
    int flags;
    int window;
    ByteBuf packet;
    int payloadOffset;
    int payloadLength;
    /** The MSS and window-scale options of a SYN ({@code Tcp.ABSENT} when missing); not parsed otherwise. */
    int synMss;
    int synWscale;

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Sequence space the segment occupies: payload plus one each for SYN and FIN. */
    int sequenceLength() {
        return payloadLength + ((flags & dev.rootlessjkit.net.usernet.header.Tcp.SYN) != 0 ? 1 : 0)
                + ((flags & dev.rootlessjkit.net.usernet.header.Tcp.FIN) != 0 ? 1 : 0);
    }
}
