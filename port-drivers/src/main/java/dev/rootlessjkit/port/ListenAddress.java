package dev.rootlessjkit.port;

/**
 * Where the parent listens for a spec, with Go's net.Listen semantics that RootlessKit users rely on:
 * {@code tcp}/{@code udp} on an unspecified address (empty, 0.0.0.0, ::) is one dual-stack IPv6 socket,
 * {@code tcp4}/{@code udp4} IPv4 only, {@code tcp6}/{@code udp6} IPv6 only (IPV6_V6ONLY).
 *
 * @param display the address as Go's errors print it: {@code 127.0.0.1:80}, {@code [::1]:80}, {@code :80}
 */
record ListenAddress(byte[] address, boolean v6only, String display) {
    private static final byte[] ANY4 = new byte[4];
    private static final byte[] ANY6 = new byte[16];

    static ListenAddress of(PortSpec spec, Proto proto) throws ListenException {
        final String ip = spec.parentIP();
        final String display = (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + spec.parentPort();
        final byte[] parsed = ip.isEmpty() ? null : IpLiteral.parse(ip);
        final boolean unspecified = parsed == null || isZero(parsed);
        switch (proto.family()) {
            case V4 -> {
                if (parsed != null && parsed.length != 4) {
                    throw new ListenException("listen " + spec.proto() + " " + display + ": address " + ip
                            + ": not an IPv4 address", 0);
                }
                return new ListenAddress(parsed == null ? ANY4 : parsed, false, display);
            }
            case V6 -> {
                if (parsed != null && parsed.length != 16) {
                    throw new ListenException("listen " + spec.proto() + " " + display + ": address " + ip
                            + ": not an IPv6 address", 0);
                }
                return new ListenAddress(parsed == null ? ANY6 : parsed, true, display);
            }
            default -> {
                return unspecified ? new ListenAddress(ANY6, false, display)
                        : new ListenAddress(parsed, false, display);
            }
        }
    }

    /** The IPv4 fallback of a dual-stack address, for hosts without IPv6. */
    ListenAddress ipv4Only() {
        return new ListenAddress(ANY4, false, display);
    }

    boolean dualStack() {
        return address.length == 16 && !v6only && isZero(address);
    }

    private static boolean isZero(byte[] a) {
        for (byte b : a) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
