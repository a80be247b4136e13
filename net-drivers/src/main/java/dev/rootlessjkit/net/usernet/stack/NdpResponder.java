package dev.rootlessjkit.net.usernet.stack;

import dev.rootlessjkit.net.usernet.Counter;
import dev.rootlessjkit.net.usernet.Counters;
import dev.rootlessjkit.net.usernet.Ipv6Address;
import dev.rootlessjkit.net.usernet.Timers;
import dev.rootlessjkit.net.usernet.header.Icmpv6;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import dev.rootlessjkit.net.usernet.header.MacAddress;
import dev.rootlessjkit.net.usernet.header.Ndp;
import io.netty.buffer.ByteBuf;

/**
 * Neighbor Discovery for the stack's IPv6 addresses, as libslirp's ndp.c: neighbor solicitations for the gateway and
 * the DNS forwarder (fd00::2, fd00::3 and their link-local fe80::2, fe80::3) are answered with advertisements of the
 * stack's MAC; router solicitations with a router advertisement from fe80::2 carrying the fd00::/64 prefix for
 * SLAAC, the MTU and the DNS server. An advertisement also goes out at start and every {@link #ADVERTISE_INTERVAL_NANOS}
 * so the guest's default route and address never expire. Solicitations for other addresses (the guest's duplicate
 * address detection of its own) get no answer, so the guest's addresses are never reported as duplicates.
 */
public final class NdpResponder {
    /** libslirp's NDP_AdvDefaultLifetime: three times the longest advertisement interval. */
    static final int ROUTER_LIFETIME_SECONDS = 1800;
    static final long ADVERTISE_INTERVAL_NANOS = 600_000_000_000L;
    /** libslirp's NDP_AdvValidLifetime and NDP_AdvPrefLifetime. */
    static final int PREFIX_VALID_SECONDS = 86400;
    static final int PREFIX_PREFERRED_SECONDS = 14400;
    private static final int RA_LENGTH = Ndp.ROUTER_ADVERTISEMENT_LENGTH + Ndp.LINK_ADDRESS_OPTION_LENGTH
            + Ndp.MTU_OPTION_LENGTH + Ndp.PREFIX_OPTION_LENGTH + Ndp.RDNSS_OPTION_LENGTH;
    private static final int NA_LENGTH = Ndp.NEIGHBOR_ADVERTISEMENT_LENGTH + Ndp.LINK_ADDRESS_OPTION_LENGTH;

    private final Ipv6Output out;
    private final Counters counters;
    private final Destinations destinations;
    private final long ourMac;
    private final Timers timers;
    private Timers.Timeout nextAdvertisement;

    public NdpResponder(Ipv6Output out, Counters counters, Destinations destinations, long ourMac, Timers timers) {
        this.out = out;
        this.counters = counters;
        this.destinations = destinations;
        this.ourMac = ourMac;
        this.timers = timers;
    }

    /** Sends the first unsolicited advertisement and schedules the next ones. */
    public void start() {
        advertise();
        scheduleAdvertisement();
    }

    public void stop() {
        if (nextAdvertisement != null) {
            nextAdvertisement.cancel();
            nextAdvertisement = null;
        }
    }

    private void scheduleAdvertisement() {
        nextAdvertisement = timers.schedule(() -> {
            advertise();
            scheduleAdvertisement();
        }, ADVERTISE_INTERVAL_NANOS);
    }

    /**
     * A neighbor solicitation (RFC 4861 section 7.1.1 checks) at {@code packet[off, off+len)}, answered to the
     * link-layer address it names, else to the guest's MAC (learned from the frame).
     */
    public void neighborSolicitation(ByteBuf packet, int ipOffset, int off, int len, long srcHigh, long srcLow) {
        if (!validNdp(packet, ipOffset, off, len, Ndp.NEIGHBOR_SOLICITATION_LENGTH)) {
            return;
        }
        long targetHigh = Ndp.targetHigh(packet, off);
        long targetLow = Ndp.targetLow(packet, off);
        long optionMac = Ndp.findLinkAddress(packet, off + Ndp.NEIGHBOR_SOLICITATION_LENGTH, off + len,
                Ndp.OPT_SOURCE_LINK_ADDRESS);
        boolean unspecified = srcHigh == 0 && srcLow == 0;
        if (Ipv6.isMulticast(targetHigh) || (unspecified && optionMac != Ndp.ABSENT)) {
            counters.increment(Counter.NDP_MALFORMED);
            return;
        }
        if (!destinations.ownsIpv6Address(targetHigh, targetLow)) {
            counters.increment(Counter.NDP_NOT_OURS);
            return;
        }
        ByteBuf f = out.allocate(NA_LENGTH);
        int at = f.writerIndex();
        int flags = Ndp.NA_FLAG_ROUTER | Ndp.NA_FLAG_OVERRIDE | (unspecified ? 0 : Ndp.NA_FLAG_SOLICITED);
        Ndp.writeNeighborAdvertisement(f, at, flags, targetHigh, targetLow, ourMac);
        f.writerIndex(at + NA_LENGTH);
        // Duplicate address detection by the guest of one of our addresses: the answer goes to all nodes.
        long dstHigh = unspecified ? Ipv6Address.ALL_NODES.high() : srcHigh;
        long dstLow = unspecified ? Ipv6Address.ALL_NODES.low() : srcLow;
        Icmpv6.setTypeCodeAndChecksum(f, at, Ndp.TYPE_NEIGHBOR_ADVERTISEMENT, 0, NA_LENGTH, targetHigh, targetLow,
                dstHigh, dstLow);
        counters.increment(Counter.NDP_NEIGHBOR_ADVERTISEMENTS);
        if (optionMac != Ndp.ABSENT && !MacAddress.isMulticast(optionMac)) {
            out.sendTo(f, optionMac, Ipv6.NEXT_ICMPV6, Ndp.HOP_LIMIT, targetHigh, targetLow, dstHigh, dstLow);
        } else {
            out.send(f, Ipv6.NEXT_ICMPV6, Ndp.HOP_LIMIT, targetHigh, targetLow, dstHigh, dstLow);
        }
    }

    /** A router solicitation (RFC 4861 section 6.1.1 checks): answered with an advertisement to all nodes. */
    public void routerSolicitation(ByteBuf packet, int ipOffset, int off, int len, long srcHigh, long srcLow) {
        if (!validNdp(packet, ipOffset, off, len, Ndp.ROUTER_SOLICITATION_LENGTH)) {
            return;
        }
        if (srcHigh == 0 && srcLow == 0 && Ndp.findLinkAddress(packet, off + Ndp.ROUTER_SOLICITATION_LENGTH,
                off + len, Ndp.OPT_SOURCE_LINK_ADDRESS) != Ndp.ABSENT) {
            counters.increment(Counter.NDP_MALFORMED);
            return;
        }
        advertise();
    }

    private boolean validNdp(ByteBuf packet, int ipOffset, int off, int len, int fixedLength) {
        if (Ipv6.hopLimit(packet, ipOffset) != Ndp.HOP_LIMIT || Icmpv6.code(packet, off) != 0 || len < fixedLength
                || !Ndp.optionsValid(packet, off + fixedLength, off + len)) {
            counters.increment(Counter.NDP_MALFORMED);
            return false;
        }
        return true;
    }

    private void advertise() {
        ByteBuf f = out.allocate(RA_LENGTH);
        int at = f.writerIndex();
        Ndp.writeRouterAdvertisement(f, at, Ipv6.DEFAULT_HOP_LIMIT, ROUTER_LIFETIME_SECONDS);
        int o = at + Ndp.ROUTER_ADVERTISEMENT_LENGTH;
        Ndp.writeLinkAddressOption(f, o, Ndp.OPT_SOURCE_LINK_ADDRESS, ourMac);
        o += Ndp.LINK_ADDRESS_OPTION_LENGTH;
        Ndp.writeMtuOption(f, o, out.mtu());
        o += Ndp.MTU_OPTION_LENGTH;
        Ndp.writePrefixOption(f, o, Ipv6Address.PREFIX, PREFIX_VALID_SECONDS, PREFIX_PREFERRED_SECONDS);
        o += Ndp.PREFIX_OPTION_LENGTH;
        Ndp.writeRdnssOption(f, o, ROUTER_LIFETIME_SECONDS, Ipv6Address.DNS.high(), Ipv6Address.DNS.low());
        f.writerIndex(at + RA_LENGTH);
        Ipv6Address from = Ipv6Address.GATEWAY_LINK_LOCAL;
        Ipv6Address to = Ipv6Address.ALL_NODES;
        Icmpv6.setTypeCodeAndChecksum(f, at, Ndp.TYPE_ROUTER_ADVERTISEMENT, 0, RA_LENGTH, from.high(), from.low(),
                to.high(), to.low());
        counters.increment(Counter.NDP_ROUTER_ADVERTISEMENTS);
        out.send(f, Ipv6.NEXT_ICMPV6, Ndp.HOP_LIMIT, from.high(), from.low(), to.high(), to.low());
    }
}
