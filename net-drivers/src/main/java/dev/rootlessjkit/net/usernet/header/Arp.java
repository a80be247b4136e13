package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** Accessors of an ARP packet for Ethernet/IPv4 (RFC 826), the only kind the stack answers. */
public final class Arp {
    public static final int LENGTH = 28;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private Arp() {
    }

    /** True for hardware type Ethernet, protocol IPv4 and the matching address lengths. */
    public static boolean isEthernetIpv4(ByteBuf b, int off) {
        return b.getUnsignedShort(off) == 1 && b.getUnsignedShort(off + 2) == Ethernet.TYPE_IPV4
                && b.getUnsignedByte(off + 4) == 6 && b.getUnsignedByte(off + 5) == 4;
    }

    public static int operation(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 6);
    }

    public static long senderMac(ByteBuf b, int off) {
        return MacAddress.get(b, off + 8);
    }

    public static int senderIp(ByteBuf b, int off) {
        return b.getInt(off + 14);
    }

    public static long targetMac(ByteBuf b, int off) {
        return MacAddress.get(b, off + 18);
    }

    public static int targetIp(ByteBuf b, int off) {
        return b.getInt(off + 24);
    }

    public static void write(ByteBuf b, int off, int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        b.setShort(off, 1);
        b.setShort(off + 2, Ethernet.TYPE_IPV4);
        b.setByte(off + 4, 6);
        b.setByte(off + 5, 4);
        b.setShort(off + 6, op);
        MacAddress.set(b, off + 8, senderMac);
        b.setInt(off + 14, senderIp);
        MacAddress.set(b, off + 18, targetMac);
        b.setInt(off + 24, targetIp);
    }
}
