package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/** MAC addresses held in the low 48 bits of a long, so that comparing and storing them never allocates. */
public final class MacAddress {
    public static final long BROADCAST = 0xffff_ffff_ffffL;
    public static final long NONE = -1L;

    private MacAddress() {
    }

    public static long get(ByteBuf b, int off) {
        return ((long) b.getUnsignedShort(off) << 32) | b.getUnsignedInt(off + 2);
    }

    public static void set(ByteBuf b, int off, long mac) {
        b.setShort(off, (int) (mac >>> 32));
        b.setInt(off + 2, (int) mac);
    }

    public static boolean isMulticast(long mac) {
        return ((mac >>> 40) & 1) != 0;
    }

    public static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            if (sb.length() > 0) {
                sb.append(':');
            }
            sb.append(String.format("%02x", (mac >>> shift) & 0xff));
        }
        return sb.toString();
    }
}
