package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** Accessors of ICMPv4 messages (RFC 792). */
public final class Icmp {
    public static final int HEADER_LENGTH = 8;
    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DEST_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int CODE_PORT_UNREACHABLE = 3;

    private Icmp() {
    }

    public static int type(ByteBuf b, int off) {
        return b.getUnsignedByte(off);
    }

    public static int code(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 1);
    }

    public static void setTypeCodeAndChecksum(ByteBuf b, int off, int type, int code, int length) {
        b.setByte(off, type);
        b.setByte(off + 1, code);
        b.setShort(off + 2, 0);
        b.setShort(off + 2, Checksum.finish(Checksum.add(0, b, off, length)));
    }
}
