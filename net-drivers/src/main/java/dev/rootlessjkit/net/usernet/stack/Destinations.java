package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.UsernetConfig;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import java.net.InetAddress;

/**
 * Where a guest's destination address leads on the host. The gateway stands for the host's own loopback unless
 * that is disabled; other addresses inside the guest network have no host behind them.
 */
public final class Destinations {
    private static final int LOCALHOST = Ipv4Address.parse("127.0.0.1");

    private final int network;
    private final int netmask;
    private final int gateway;
    private final int dns;
    private final boolean hostLoopback;

    public Destinations(UsernetConfig config) {
        this.network = config.network();
        this.netmask = config.netmask();
        this.gateway = config.gateway();
        this.dns = config.dns();
        this.hostLoopback = !config.disableHostLoopback();
    }

    /** The addresses the stack itself answers for (ARP, ping). */
    public boolean ownsAddress(int address) {
        return address == gateway || address == dns;
    }

    /**
     * The IPv6 addresses the stack itself answers for (neighbor solicitations, ping): the gateway and the DNS
     * forwarder, fd00::2 and fd00::3, and their link-local twins.
     */
    public boolean ownsIpv6Address(long high, long low) {
        return (high == Ipv6Address.PREFIX || high == Ipv6Address.LINK_LOCAL_PREFIX) && (low == 2 || low == 3);
    }

    public int gateway() {
        return gateway;
    }

    public int dns() {
        return dns;
    }

    /** The host address a guest connection to {@code dst} goes to, or null when it must be refused. */
    public InetAddress hostAddressFor(int dst) {
        if (dst == gateway) {
            return hostLoopback ? Ipv4Address.toInet(LOCALHOST) : null;
        }
        if (Ipv4Address.isLoopback(dst)) {
            return hostLoopback ? Ipv4Address.toInet(dst) : null;
        }
        if ((dst & netmask) == network || (dst >>> 24) == 0 || (dst >>> 28) >= 0xe) {
            // Our own subnet (no other hosts live there), "this network", multicast, class E and broadcast.
            return null;
        }
        return Ipv4Address.toInet(dst);
    }

    /**
     * The source address a client of a published port appears with inside: its real IPv4 address, except where
     * that address would mean something else in the guest, which then sees the gateway instead: loopback (the
     * guest's own), an address of the guest network (the guest or the stack), an IPv6 client (it cannot appear in an
     * IPv4 packet; an IPv4-mapped client keeps its IPv4 address). Ports into the guest's IPv6 address map their
     * clients with {@link #guestVisibleClientIpv6}.
     */
    public int guestVisibleClient(InetAddress client) {
        byte[] b = client.getAddress();
        int v4;
        if (b.length == 4) {
            v4 = Ipv4Address.fromInet(client);
        } else if (isV4Mapped(b)) {
            v4 = ((b[12] & 0xff) << 24) | ((b[13] & 0xff) << 16) | ((b[14] & 0xff) << 8) | (b[15] & 0xff);
        } else {
            return gateway;
        }
        if (Ipv4Address.isLoopback(v4) || (v4 & netmask) == network || v4 == 0) {
            return gateway;
        }
        return v4;
    }

    /**
     * The path of a published port's client's flow into the guest's {@code guest} address, IPv4 or IPv6: from the
     * client as the guest may see it ({@link #guestVisibleClient}, {@link #guestVisibleClientIpv6}) to the guest.
     */
    public IpPair clientToGuest(InetAddress client, InetAddress guest, Ipv4Output out, Ipv6Output out6) {
        Ipv6Address guest6 = Ipv6Address.fromInet(guest);
        if (guest6 == null) {
            return IpPair.ipv4(out, guestVisibleClient(client), Ipv4Address.fromInet(guest));
        }
        Ipv6Address source = guestVisibleClientIpv6(client);
        return IpPair.ipv6(out6, source.high(), source.low(), guest6.high(), guest6.low());
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    /**
     * The host address a guest connection to the IPv6 {@code high:low} goes to, or null when it must be refused: the
     * gateway fd00::2 is the host's ::1 unless host loopback is disabled (as 10.0.2.2 is 127.0.0.1); the rest of
     * fd00::/64, link-local, multicast, unspecified, loopback and IPv4-mapped addresses lead nowhere on the host.
     */
    public InetAddress hostAddressForIpv6(long high, long low) {
        if (Ipv6Address.GATEWAY.equals(high, low)) {
            return hostLoopback ? Ipv6Address.LOOPBACK.toInet() : null;
        }
        boolean special = high == 0 && (low == 0 || low == 1 || (low >>> 32) == 0xffff);
        if (special || high == Ipv6Address.PREFIX || (high >>> 54) == (Ipv6Address.LINK_LOCAL_PREFIX >>> 54)
                || Ipv6.isMulticast(high)) {
            return null;
        }
        return Ipv6Address.toInet(high, low);
    }

    /**
     * The IPv6 source address a client of a port published into the guest's IPv6 address appears with: its own,
     * except where that would mean something else in the guest (loopback, the guest network, link-local) or cannot
     * be a source on the wire (an IPv4 client, IPv4-mapped): then the gateway fd00::2, as {@link
     * #guestVisibleClient} maps IPv4 clients to 10.0.2.2.
     */
    public Ipv6Address guestVisibleClientIpv6(InetAddress client) {
        Ipv6Address a = Ipv6Address.fromInet(client);
        if (a == null || hostAddressForIpv6(a.high(), a.low()) == null) {
            return Ipv6Address.GATEWAY;
        }
        return a;
    }

    /** As {@link #guestVisibleSource} over IPv6: the host's ::1 is the gateway fd00::2. */
    public Ipv6Address guestVisibleSourceIpv6(Ipv6Address host) {
        return hostLoopback && host.equals(Ipv6Address.LOOPBACK) ? Ipv6Address.GATEWAY : host;
    }

    /** The source address the guest sees for a packet from {@code host}: the host's 127.0.0.1 is the gateway. */
    public int guestVisibleSource(int host) {
        return hostLoopback && host == LOCALHOST ? gateway : host;
    }
}
