package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/**
 * Accessors of an IPv6 fixed header (RFC 8200) and of the extension headers that may follow it. Addresses are read
 * as two longs (high and low 64 bits), the form {@link dev.rootlessjkit.net.usernet.flow.FlowKey} keys on.
 */
public final class Ipv6 {
    public static final int HEADER_LENGTH = 40;
    public static final int NEXT_HOP_BY_HOP = 0;
    public static final int NEXT_TCP = 6;
    public static final int NEXT_UDP = 17;
    public static final int NEXT_ROUTING = 43;
    public static final int NEXT_FRAGMENT = 44;
    public static final int NEXT_ICMPV6 = 58;
    public static final int NEXT_NONE = 59;
    public static final int NEXT_DESTINATION_OPTIONS = 60;
    /** The fixed size of a fragment header. */
    public static final int FRAGMENT_HEADER_LENGTH = 8;
    public static final int DEFAULT_HOP_LIMIT = 64;
    /** The smallest link MTU IPv6 runs over (RFC 8200 section 5). */
    public static final int MIN_MTU = 1280;

    private Ipv6() {
    }

    public static int version(ByteBuf b, int off) {
        return b.getUnsignedByte(off) >>> 4;
    }

    /** Bytes after the fixed header: extension headers and the upper-layer packet. 0 means a jumbogram. */
    public static int payloadLength(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 4);
    }

    public static int nextHeader(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 6);
    }

    public static int hopLimit(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 7);
    }

    public static long sourceHigh(ByteBuf b, int off) {
        return b.getLong(off + 8);
    }

    public static long sourceLow(ByteBuf b, int off) {
        return b.getLong(off + 16);
    }

    public static long destinationHigh(ByteBuf b, int off) {
        return b.getLong(off + 24);
    }

    public static long destinationLow(ByteBuf b, int off) {
        return b.getLong(off + 32);
    }

    /** Hop-by-hop options, routing and destination options: the extension headers with the generic layout. */
    public static boolean isGenericExtension(int nextHeader) {
        return nextHeader == NEXT_HOP_BY_HOP || nextHeader == NEXT_ROUTING
                || nextHeader == NEXT_DESTINATION_OPTIONS;
    }

    /** The next-header field of an extension header at {@code off}. */
    public static int extensionNextHeader(ByteBuf b, int off) {
        return b.getUnsignedByte(off);
    }

    /** The length of a generic extension header at {@code off}, in bytes: (Hdr Ext Len + 1) * 8. */
    public static int extensionLength(ByteBuf b, int off) {
        return (b.getUnsignedByte(off + 1) + 1) * 8;
    }

    /** A routing header's Segments Left: not 0 means the packet is to be passed on, not delivered here. */
    public static int routingSegmentsLeft(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 3);
    }

    /** A fragment header's offset in bytes. */
    public static int fragmentOffset(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 2) & 0xfff8;
    }

    public static boolean fragmentHasMore(ByteBuf b, int off) {
        return (b.getUnsignedByte(off + 3) & 1) != 0;
    }

    public static int fragmentIdentification(ByteBuf b, int off) {
        return b.getInt(off + 4);
    }

    /** Writes the fixed header (traffic class and flow label 0). */
    public static void write(ByteBuf b, int off, int payloadLength, int nextHeader, int hopLimit, long srcHigh,
            long srcLow, long dstHigh, long dstLow) {
        b.setInt(off, 0x6000_0000);
        b.setShort(off + 4, payloadLength);
        b.setByte(off + 6, nextHeader);
        b.setByte(off + 7, hopLimit);
        b.setLong(off + 8, srcHigh);
        b.setLong(off + 16, srcLow);
        b.setLong(off + 24, dstHigh);
        b.setLong(off + 32, dstLow);
    }

    /** ff00::/8. */
    public static boolean isMulticast(long high) {
        return (high >>> 56) == 0xff;
    }
}
