package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** Accessors of ICMPv6 messages (RFC 4443), whose checksum covers the IPv6 pseudo-header. */
public final class Icmpv6 {
    public static final int HEADER_LENGTH = 8;
    public static final int TYPE_DEST_UNREACHABLE = 1;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    public static final int TYPE_TIME_EXCEEDED = 3;
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    public static final int TYPE_ECHO_REQUEST = 128;
    public static final int TYPE_ECHO_REPLY = 129;
    public static final int CODE_NO_ROUTE = 0;
    public static final int CODE_ADMIN_PROHIBITED = 1;
    public static final int CODE_ADDRESS_UNREACHABLE = 3;
    public static final int CODE_PORT_UNREACHABLE = 4;

    private Icmpv6() {
    }

    public static int type(ByteBuf b, int off) {
        return b.getUnsignedByte(off);
    }

    public static int code(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 1);
    }

    /** Whether the message at {@code [off, off+length)} has the right checksum for these addresses. */
    public static boolean checksumVerifies(ByteBuf b, int off, int length, long srcHigh, long srcLow, long dstHigh,
            long dstLow) {
        long pseudo = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, Ipv6.NEXT_ICMPV6, length);
        return Checksum.verifies(Checksum.add(pseudo, b, off, length));
    }

    /** Sets type and code and the checksum over the message at {@code [off, off+length)} and the pseudo-header. */
    public static void setTypeCodeAndChecksum(ByteBuf b, int off, int type, int code, int length, long srcHigh,
            long srcLow, long dstHigh, long dstLow) {
        b.setByte(off, type);
        b.setByte(off + 1, code);
        b.setShort(off + 2, 0);
        long pseudo = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, Ipv6.NEXT_ICMPV6, length);
        b.setShort(off + 2, Checksum.finish(Checksum.add(pseudo, b, off, length)));
    }
}
