package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** Accessors of a TCP header (RFC 9293) and its options. */
public final class Tcp {
    public static final int MIN_HEADER_LENGTH = 20;
    /** The protocol number, the same in IPv4's protocol and IPv6's next-header field. */
    public static final int PROTOCOL = 6;
    /** Where the checksum field is in the header. */
    public static final int CHECKSUM_OFFSET = 16;
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int OPT_END = 0;
    public static final int OPT_NOP = 1;
    public static final int OPT_MSS = 2;
    public static final int OPT_WSCALE = 3;
    /** Marks an absent option in {@link #findOption}. */
    public static final int ABSENT = -1;

    private Tcp() {
    }

    public static int sourcePort(ByteBuf b, int off) {
        return b.getUnsignedShort(off);
    }

    public static int destinationPort(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 2);
    }

    public static int sequence(ByteBuf b, int off) {
        return b.getInt(off + 4);
    }

    public static int acknowledgment(ByteBuf b, int off) {
        return b.getInt(off + 8);
    }

    public static int dataOffset(ByteBuf b, int off) {
        return (b.getUnsignedByte(off + 12) >>> 4) * 4;
    }

    public static int flags(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 13);
    }

    public static int window(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 14);
    }

    /**
     * The value of a 2- or 1-byte option (MSS, window scale) in the options area, {@link #ABSENT} when missing and
     * also when the options are malformed: a malformed option list must not stop the connection.
     */
    public static int findOption(ByteBuf b, int off, int headerLength, int kind) {
        int i = off + MIN_HEADER_LENGTH;
        int end = off + headerLength;
        while (i < end) {
            int k = b.getUnsignedByte(i);
            if (k == OPT_END) {
                return ABSENT;
            }
            if (k == OPT_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return ABSENT;
            }
            int len = b.getUnsignedByte(i + 1);
            if (len < 2 || i + len > end) {
                return ABSENT;
            }
            if (k == kind) {
                if (len == 4) {
                    return b.getUnsignedShort(i + 2);
                }
                if (len == 3) {
                    return b.getUnsignedByte(i + 2);
                }
                return ABSENT;
            }
            i += len;
        }
        return ABSENT;
    }

    /** Writes the fixed 20 bytes; the checksum is filled by {@link #writeChecksum} once the payload is in place. */
    public static void write(ByteBuf b, int off, int srcPort, int dstPort, int seq, int ack, int headerLength,
            int flags, int window) {
        b.setShort(off, srcPort);
        b.setShort(off + 2, dstPort);
        b.setInt(off + 4, seq);
        b.setInt(off + 8, ack);
        b.setByte(off + 12, (headerLength / 4) << 4);
        b.setByte(off + 13, flags);
        b.setShort(off + 14, window);
        b.setShort(off + 16, 0);
        b.setShort(off + 18, 0);
    }

    /** Puts the pseudo-header sum into the checksum field, for the receiver to complete (checksum offload). */
    public static void writePartialChecksum(ByteBuf b, int off, long pseudoHeader) {
        b.setShort(off + CHECKSUM_OFFSET, Checksum.fold(pseudoHeader));
    }

    /** @param pseudoHeader the IPv4 or IPv6 pseudo-header sum for this segment */
    public static void writeChecksum(ByteBuf b, int off, int segmentLength, long pseudoHeader) {
        b.setShort(off + CHECKSUM_OFFSET, Checksum.finish(Checksum.add(pseudoHeader, b, off, segmentLength)));
    }
}
