package dev.rootlessjkit.net.usernet;

import io.netty.buffer.ByteBuf;

/**
 * struct virtio_net_hdr, the 10 bytes in front of every frame on a TAP fd opened with IFF_VNET_HDR. Its fields are
 * little-endian (the TAP device's default on little-endian machines, and virtio 1.0's order).
 */
final class VnetHeader {
    static final int LENGTH = 10;
    /** The L4 checksum holds only the pseudo-header sum; whoever delivers the frame completes or ignores it. */
    static final int F_NEEDS_CSUM = 1;
    /** The checksum was already verified. */
    static final int F_DATA_VALID = 2;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_TCPV6 = 4;

    private VnetHeader() {
    }

    static int flags(ByteBuf b, int off) {
        return b.getUnsignedByte(off);
    }

    /** True when the frame's transport checksum needs no check: the sending kernel left it to the receiver. */
    static boolean checksumTrusted(ByteBuf b, int off) {
        return (flags(b, off) & (F_NEEDS_CSUM | F_DATA_VALID)) != 0;
    }

    /** A header for a frame whose checksum is complete and that is not to be segmented. */
    static void writePlain(ByteBuf b, int off) {
        b.setLong(off, 0);
        b.setShort(off + 8, 0);
    }

    /**
     * A header for a frame whose transport checksum field at {@code l4Offset + checksumOffset} holds the pseudo-header
     * sum, and which the receiver splits into segments of {@code gsoSize} payload bytes when {@code gsoSize > 0}.
     *
     * @param ipv6 the segment is TCP over IPv6
     */
    static void writeOffloaded(ByteBuf b, int off, int l4Offset, int checksumOffset, int gsoSize,
            int headerLength, boolean ipv6) {
        b.setByte(off, F_NEEDS_CSUM);
        b.setByte(off + 1, gsoSize == 0 ? GSO_NONE : ipv6 ? GSO_TCPV6 : GSO_TCPV4);
        b.setShortLE(off + 2, headerLength);
        b.setShortLE(off + 4, gsoSize);
        b.setShortLE(off + 6, l4Offset);
        b.setShortLE(off + 8, checksumOffset);
    }
}
