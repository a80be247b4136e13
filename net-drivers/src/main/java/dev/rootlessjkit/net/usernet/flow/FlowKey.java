package dev.rootlessjkit.net.usernet.flow;

/**
 * What identifies a flow, for either address family: the guest's end (address, port) and the peer's end (address,
 * port) as the guest sees them. Addresses are 128 bits; an IPv4 address is kept IPv4-mapped (::ffff:a.b.c.d), so
 * IPv6 flows key into the same tables without a second key type. A peer of all zeros means any peer (a UDP flow is
 * one guest source talking to every peer through one host socket).
 */
public record FlowKey(long guestHigh, long guestLow, int guestPort, long peerHigh, long peerLow, int peerPort) {
    private static final long IPV4_MAPPED = 0xffffL << 32;

    public static FlowKey ipv4(int guest, int guestPort, int peer, int peerPort) {
        return new FlowKey(0, mapped(guest), guestPort, 0, mapped(peer), peerPort);
    }

    /** The flow of a guest source with any peer. */
    public static FlowKey ipv4Source(int guest, int guestPort) {
        return new FlowKey(0, mapped(guest), guestPort, 0, 0, 0);
    }

    private static long mapped(int ipv4) {
        return IPV4_MAPPED | (ipv4 & 0xffffffffL);
    }

    /** The guest's address alone: the group a per-guest-source cap counts in. */
    public Endpoint guestAddress() {
        return new Endpoint(guestHigh, guestLow, 0);
    }

    /** The peer's address and port: the group a per-destination cap counts in. */
    public Endpoint peerEndpoint() {
        return new Endpoint(peerHigh, peerLow, peerPort);
    }

    /** An address (128 bits, IPv4-mapped for IPv4) and a port, 0 when only the address matters. */
    public record Endpoint(long high, long low, int port) {
    }
}
