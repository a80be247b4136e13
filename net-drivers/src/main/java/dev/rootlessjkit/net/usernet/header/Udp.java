package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** Accessors of a UDP header (RFC 768). */
public final class Udp {
    public static final int HEADER_LENGTH = 8;
    /** The protocol number, the same in IPv4's protocol and IPv6's next-header field. */
    public static final int PROTOCOL = 17;
    /** Where the checksum field is in the header. */
    public static final int CHECKSUM_OFFSET = 6;

    private Udp() {
    }

    public static int sourcePort(ByteBuf b, int off) {
        return b.getUnsignedShort(off);
    }

    public static int destinationPort(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 2);
    }

    public static int length(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 4);
    }

    public static int checksum(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 6);
    }

    /**
     * Writes the header and the checksum over header and the payload already in place after it, from the
     * pseudo-header sum given: IPv4's or IPv6's.
     */
    public static void write(ByteBuf b, int off, int srcPort, int dstPort, int length, long pseudoHeader) {
        writePorts(b, off, srcPort, dstPort, length);
        b.setShort(off + CHECKSUM_OFFSET, 0);
        int sum = Checksum.finish(Checksum.add(pseudoHeader, b, off, length));
        // A computed zero is sent as all ones: zero means "no checksum" (over IPv4; over IPv6 it is not allowed).
        b.setShort(off + CHECKSUM_OFFSET, sum == 0 ? 0xffff : sum);
    }

    /**
     * Writes the header with a partial checksum, the pseudo-header sum only, for a receiver that completes or
     * ignores it (a guest's kernel behind a TAP device with checksum offload).
     */
    public static void writePartial(ByteBuf b, int off, int srcPort, int dstPort, int length, long pseudoHeader) {
        writePorts(b, off, srcPort, dstPort, length);
        b.setShort(off + CHECKSUM_OFFSET, Checksum.fold(pseudoHeader));
    }

    private static void writePorts(ByteBuf b, int off, int srcPort, int dstPort, int length) {
        b.setShort(off, srcPort);
        b.setShort(off + 2, dstPort);
        b.setShort(off + 4, length);
    }
}
