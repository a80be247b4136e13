package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** Accessors of an IPv4 header (RFC 791) at an offset of a frame. */
public final class Ipv4 {
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int OFFSET_MASK = 0x1fff;
    public static final int DEFAULT_TTL = 64;

    private Ipv4() {
    }

    public static int version(ByteBuf b, int off) {
        return b.getUnsignedByte(off) >>> 4;
    }

    public static int headerLength(ByteBuf b, int off) {
        return (b.getUnsignedByte(off) & 0x0f) * 4;
    }

    public static int totalLength(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 2);
    }

    public static int identification(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 4);
    }

    public static int flagsAndOffset(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 6);
    }

    public static int ttl(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 8);
    }

    public static int protocol(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 9);
    }

    public static int source(ByteBuf b, int off) {
        return b.getInt(off + 12);
    }

    public static int destination(ByteBuf b, int off) {
        return b.getInt(off + 16);
    }

    /** Writes a 20-byte header without options, checksum included. */
    public static void write(ByteBuf b, int off, int totalLength, int id, int flagsAndOffset, int protocol, int src,
            int dst) {
        b.setByte(off, 0x45);
        b.setByte(off + 1, 0);
        b.setShort(off + 2, totalLength);
        b.setShort(off + 4, id);
        b.setShort(off + 6, flagsAndOffset);
        b.setByte(off + 8, DEFAULT_TTL);
        b.setByte(off + 9, protocol);
        b.setShort(off + 10, 0);
        b.setInt(off + 12, src);
        b.setInt(off + 16, dst);
        b.setShort(off + 10, Checksum.finish(Checksum.add(0, b, off, MIN_HEADER_LENGTH)));
    }
}
