package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (RFC 1071) over regions of a {@link ByteBuf}, read eight bytes at a time because it runs
 * over every TCP payload in both directions.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Adds the bytes {@code [offset, offset+length)} to a running 32-bit-folded sum (not yet complemented). */
    public static long add(long sum, ByteBuf buf, int offset, int length) {
        int i = offset;
        int end = offset + length;
        long acc = sum;
        while (end - i >= 8) {
            long v = buf.getLong(i);
            // Summing the two 32-bit halves in 64 bits keeps every carry; folding happens at the end.
            acc += (v >>> 32) + (v & 0xffffffffL);
            i += 8;
        }
        if (end - i >= 4) {
            acc += buf.getUnsignedInt(i);
            i += 4;
        }
        if (end - i >= 2) {
            acc += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            acc += (buf.getUnsignedByte(i) << 8);
        }
        return foldTo32(acc);
    }

    public static long addWord(long sum, int word16) {
        return sum + (word16 & 0xffff);
    }

    public static long addInt(long sum, int value32) {
        return sum + (value32 >>> 16) + (value32 & 0xffff);
    }

    /** Folds the running sum to 16 bits and complements it: the value to put into a header. */
    public static int finish(long sum) {
        long s = foldTo32(sum);
        s = (s >>> 16) + (s & 0xffff);
        s = (s >>> 16) + (s & 0xffff);
        s = (s >>> 16) + (s & 0xffff);
        return (int) (~s & 0xffff);
    }

    /** Folds the running sum to 16 bits without complementing it: what a partial (offloaded) checksum holds. */
    public static int fold(long sum) {
        return ~finish(sum) & 0xffff;
    }

    /** The pseudo-header sum for TCP and UDP over IPv4. */
    public static long pseudoHeader(int src, int dst, int protocol, int l4Length) {
        long s = 0;
        s = addInt(s, src);
        s = addInt(s, dst);
        s += protocol;
        s += l4Length;
        return s;
    }

    /** The pseudo-header sum for upper layers over IPv6 (RFC 8200 section 8.1). */
    public static long pseudoHeaderIpv6(long srcHigh, long srcLow, long dstHigh, long dstLow, int nextHeader,
            int length) {
        long s = addLong(0, srcHigh);
        s = addLong(s, srcLow);
        s = addLong(s, dstHigh);
        s = addLong(s, dstLow);
        return s + nextHeader + (length >>> 16) + (length & 0xffff);
    }

    private static long addLong(long sum, long value64) {
        return sum + (value64 >>> 32) + (value64 & 0xffffffffL);
    }

    /** True when a region whose checksum field is included sums to zero, i.e. the checksum is right. */
    public static boolean verifies(long sum) {
        return finish(sum) == 0;
    }

    private static long foldTo32(long acc) {
        long a = acc;
        while ((a >>> 32) != 0) {
            a = (a >>> 32) + (a & 0xffffffffL);
        }
        return a;
    }
}
