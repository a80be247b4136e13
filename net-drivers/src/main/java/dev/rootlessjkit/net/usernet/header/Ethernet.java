package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** Field offsets and accessors of an Ethernet II header; a view over the frame, nothing is copied. */
public final class Ethernet {
    public static final int HEADER_LENGTH = 14;
    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_IPV6 = 0x86dd;

    private Ethernet() {
    }

    public static long destination(ByteBuf b, int off) {
        return MacAddress.get(b, off);
    }

    public static long source(ByteBuf b, int off) {
        return MacAddress.get(b, off + 6);
    }

    public static int etherType(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 12);
    }

    public static void write(ByteBuf b, int off, long destination, long source, int etherType) {
        MacAddress.set(b, off, destination);
        MacAddress.set(b, off + 6, source);
        b.setShort(off + 12, etherType);
    }
}
