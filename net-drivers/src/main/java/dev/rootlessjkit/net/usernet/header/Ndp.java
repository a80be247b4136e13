package dev.rootlessjkit.net.usernet.header;

import io.netty.buffer.ByteBuf;

/**
 * Neighbor Discovery messages (RFC 4861) inside ICMPv6: the solicitations the guest sends and the advertisements the
 * stack answers with, and their options. Offsets are of the ICMPv6 message.
 */
public final class Ndp {
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    /** Every NDP message must arrive with hop limit 255: proof that it was not routed. */
    public static final int HOP_LIMIT = 255;
    public static final int ROUTER_SOLICITATION_LENGTH = 8;
    public static final int NEIGHBOR_SOLICITATION_LENGTH = 24;
    public static final int NEIGHBOR_ADVERTISEMENT_LENGTH = 24;
    public static final int ROUTER_ADVERTISEMENT_LENGTH = 16;
    public static final int OPT_SOURCE_LINK_ADDRESS = 1;
    public static final int OPT_TARGET_LINK_ADDRESS = 2;
    public static final int OPT_PREFIX_INFORMATION = 3;
    public static final int OPT_MTU = 5;
    public static final int OPT_RDNSS = 25;
    public static final int LINK_ADDRESS_OPTION_LENGTH = 8;
    public static final int PREFIX_OPTION_LENGTH = 32;
    public static final int MTU_OPTION_LENGTH = 8;
    public static final int RDNSS_OPTION_LENGTH = 24;
    public static final int NA_FLAG_ROUTER = 0x80;
    public static final int NA_FLAG_SOLICITED = 0x40;
    public static final int NA_FLAG_OVERRIDE = 0x20;
    /** Marks an absent option in {@link #findLinkAddress}. */
    public static final long ABSENT = -1L;

    private Ndp() {
    }

    public static long targetHigh(ByteBuf b, int off) {
        return b.getLong(off + 8);
    }

    public static long targetLow(ByteBuf b, int off) {
        return b.getLong(off + 16);
    }

    /**
     * The link-layer address in the first option of {@code kind} among the options at {@code [from, end)}; {@link
     * #ABSENT} when there is none. Malformed options (length 0, past the end) make the whole message invalid
     * (RFC 4861 section 6.1.1), which is reported by {@link #optionsValid}.
     */
    public static long findLinkAddress(ByteBuf b, int from, int end, int kind) {
        int i = from;
        while (i + 2 <= end) {
            int len = b.getUnsignedByte(i + 1) * 8;
            if (len == 0 || i + len > end) {
                return ABSENT;
            }
            if (b.getUnsignedByte(i) == kind && len == LINK_ADDRESS_OPTION_LENGTH) {
                return MacAddress.get(b, i + 2);
            }
            i += len;
        }
        return ABSENT;
    }

    /** Whether the options at {@code [from, end)} all have a non-zero length that fits. */
    public static boolean optionsValid(ByteBuf b, int from, int end) {
        int i = from;
        while (i < end) {
            if (i + 2 > end) {
                return false;
            }
            int len = b.getUnsignedByte(i + 1) * 8;
            if (len == 0 || i + len > end) {
                return false;
            }
            i += len;
        }
        return true;
    }

    /** A neighbor advertisement for {@code target} with the target link-layer address option; checksum not set. */
    public static void writeNeighborAdvertisement(ByteBuf b, int off, int flags, long targetHigh, long targetLow,
            long mac) {
        b.setInt(off, 0);
        b.setInt(off + 4, flags << 24);
        b.setLong(off + 8, targetHigh);
        b.setLong(off + 16, targetLow);
        writeLinkAddressOption(b, off + NEIGHBOR_ADVERTISEMENT_LENGTH, OPT_TARGET_LINK_ADDRESS, mac);
    }

    /**
     * The fixed part of a router advertisement; checksum not set.
     *
     * @param routerLifetimeSeconds 0 would say "not a default router"
     */
    public static void writeRouterAdvertisement(ByteBuf b, int off, int curHopLimit, int routerLifetimeSeconds) {
        b.setInt(off, 0);
        b.setByte(off + 4, curHopLimit);
        b.setByte(off + 5, 0);
        b.setShort(off + 6, routerLifetimeSeconds);
        b.setInt(off + 8, 0);
        b.setInt(off + 12, 0);
    }

    public static void writeLinkAddressOption(ByteBuf b, int off, int kind, long mac) {
        b.setByte(off, kind);
        b.setByte(off + 1, 1);
        MacAddress.set(b, off + 2, mac);
    }

    public static void writeMtuOption(ByteBuf b, int off, int mtu) {
        b.setByte(off, OPT_MTU);
        b.setByte(off + 1, 1);
        b.setShort(off + 2, 0);
        b.setInt(off + 4, mtu);
    }

    /** A /64 prefix that is on-link and for stateless address autoconfiguration (flags L and A). */
    public static void writePrefixOption(ByteBuf b, int off, long prefixHigh, int validSeconds,
            int preferredSeconds) {
        b.setByte(off, OPT_PREFIX_INFORMATION);
        b.setByte(off + 1, 4);
        b.setByte(off + 2, 64);
        b.setByte(off + 3, 0xc0);
        b.setInt(off + 4, validSeconds);
        b.setInt(off + 8, preferredSeconds);
        b.setInt(off + 12, 0);
        b.setLong(off + 16, prefixHigh);
        b.setLong(off + 24, 0);
    }

    /** One recursive DNS server (RFC 8106). */
    public static void writeRdnssOption(ByteBuf b, int off, int lifetimeSeconds, long serverHigh, long serverLow) {
        b.setByte(off, OPT_RDNSS);
        b.setByte(off + 1, 3);
        b.setShort(off + 2, 0);
        b.setInt(off + 4, lifetimeSeconds);
        b.setLong(off + 8, serverHigh);
        b.setLong(off + 16, serverLow);
    }

    /** The multicast MAC an IPv6 multicast address maps to (RFC 2464): 33:33 and its low 32 bits. */
    public static long multicastMac(long low) {
        return (0x3333L << 32) | (low & 0xffffffffL);
    }
}
