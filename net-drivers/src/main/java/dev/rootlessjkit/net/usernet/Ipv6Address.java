package dev.rootlessjkit.net.usernet;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv6 address as two longs in network order, the form the stack and its flow keys work with, and the addresses
 * of the guest network: slirp4netns' (libslirp's) fd00::/64 with the gateway at ::2, the DNS forwarder at ::3 and
 * the guest at ::100, and the link-local fe80::2 that router advertisements come from.
 */
public record Ipv6Address(long high, long low) {
    /** fd00::/64, libslirp's default prefix. */
    public static final long PREFIX = 0xfd00_0000_0000_0000L;
    public static final long LINK_LOCAL_PREFIX = 0xfe80_0000_0000_0000L;
    public static final Ipv6Address GATEWAY = new Ipv6Address(PREFIX, 2);
    public static final Ipv6Address DNS = new Ipv6Address(PREFIX, 3);
    public static final Ipv6Address GUEST = new Ipv6Address(PREFIX, 0x100);
    public static final Ipv6Address GATEWAY_LINK_LOCAL = new Ipv6Address(LINK_LOCAL_PREFIX, 2);
    public static final Ipv6Address DNS_LINK_LOCAL = new Ipv6Address(LINK_LOCAL_PREFIX, 3);
    public static final Ipv6Address ALL_NODES = new Ipv6Address(0xff02_0000_0000_0000L, 1);
    public static final Ipv6Address LOOPBACK = new Ipv6Address(0, 1);
    /** The prefix length the guest network is configured with. */
    public static final int PREFIX_LENGTH = 64;

    public boolean equals(long h, long l) {
        return high == h && low == l;
    }

    public InetAddress toInet() {
        return toInet(high, low);
    }

    public static InetAddress toInet(long high, long low) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("sixteen bytes are always an address", e);
        }
    }

    /** The address of an IPv6 {@link InetAddress}, or null for an IPv4 one. */
    public static Ipv6Address fromInet(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return null;
        }
        byte[] b = address.getAddress();
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (b[i] & 0xff);
            low = (low << 8) | (b[8 + i] & 0xff);
        }
        return new Ipv6Address(high, low);
    }

    /** The RFC 5952 text form ({@code fd00::3}), as RootlessKit writes it into resolv.conf and the API. */
    @Override
    public String toString() {
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) (high >>> (48 - 16 * i)) & 0xffff;
            groups[4 + i] = (int) (low >>> (48 - 16 * i)) & 0xffff;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLength - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
    }
}
