package dev.rootlessjkit.net;

/**
 * An IPv4 network such as {@code 10.0.2.0/24}, and the addresses user-mode drivers place in it the way
 * slirp4netns does: the child at +100, the gateway (the host) at +2, the DNS forwarder at +3.
 *
 * @param network      the network address, host bits zero
 * @param prefixLength 0..32
 */
public record Ipv4Network(int network, int prefixLength) {
    /** slirp4netns' and pasta's default, and RootlessKit's. */
    public static final Ipv4Network DEFAULT = parse("10.0.2.0/24");
    private static final int CHILD_OFFSET = 100;
    private static final int GATEWAY_OFFSET = 2;
    private static final int DNS_OFFSET = 3;

    public Ipv4Network {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range: " + prefixLength);
        }
        if ((network & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("cidr must be like " + format(network & mask(prefixLength)) + "/"
                    + prefixLength + ", not like " + format(network) + "/" + prefixLength);
        }
    }

    /** Parses {@code A.B.C.D/N}; the message of the exception is fit for the user. */
    public static Ipv4Network parse(String cidr) {
        final int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid CIDR address: " + cidr);
        }
        final int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid CIDR address: " + cidr, e);
        }
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("invalid CIDR address: " + cidr);
        }
        return new Ipv4Network(parseAddress(cidr.substring(0, slash)), prefix);
    }

    /** The network of {@code cidr}, or {@link #DEFAULT} when null or empty. */
    public static Ipv4Network orDefault(String cidr) {
        return cidr == null || cidr.isEmpty() ? DEFAULT : parse(cidr);
    }

    /** Dotted-quad IPv4 only: no name lookup ever happens here. */
    public static int parseAddress(String text) {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            final int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            value = value << 8 | octet;
        }
        return value;
    }

    public static byte[] toBytes(int address) {
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }

    public static String format(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
    }

    public String childAddress() {
        return host(CHILD_OFFSET);
    }

    public String gateway() {
        return host(GATEWAY_OFFSET);
    }

    public String dns() {
        return host(DNS_OFFSET);
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefixLength;
    }

    /** network + offset, refused when it leaves the network (a /26 has no +100). */
    private String host(int offset) {
        final long size = 1L << (32 - prefixLength);
        if (offset >= size - 1) {
            throw new IllegalArgumentException("cidr " + this + " is too small: it has no room for ." + offset);
        }
        return format(network + offset);
    }

    private static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }
}
