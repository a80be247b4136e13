package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.linux.OpenFileLimit;
import dev.rootlessjkit.net.usernet.header.Ipv6;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Everything the stack can be told. Addresses follow slirp4netns: in a /N network the gateway is the 2nd host
 * address, the DNS forwarder the 3rd and the guest the 100th.
 *
 * @param cidr the guest network, e.g. {@code 10.0.2.0/24}
 * @param mtu the TAP device's MTU; bounds the segments sent to the guest
 * @param disableHostLoopback refuse connections to the gateway and to 127.0.0.0/8 instead of mapping the gateway
 *         to the host's 127.0.0.1
 * @param dnsUpstreams the resolvers the DNS forwarder asks, tried in order
 * @param limits caps and timeouts
 * @param ipv6 also serve IPv6 on fd00::/64 as slirp4netns --enable-ipv6 does (see {@link Ipv6Address})
 */
public record UsernetConfig(String cidr, int mtu, boolean disableHostLoopback, List<InetSocketAddress> dnsUpstreams,
        Limits limits, boolean ipv6) {

    public static final String DEFAULT_CIDR = "10.0.2.0/24";
    public static final int DEFAULT_MTU = 65520;
    /** IPv4 needs 68; Linux refuses a TAP MTU above 65521 and IPv4 cannot carry more than 65535 bytes. */
    public static final int MIN_MTU = 576;
    public static final int MAX_MTU = 65520;

    public UsernetConfig {
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("MTU " + mtu + " is outside " + MIN_MTU + ".." + MAX_MTU);
        }
        dnsUpstreams = List.copyOf(dnsUpstreams);
        if (limits == null) {
            limits = Limits.DEFAULT;
        }
        prefixLength(cidr);
        if (ipv6 && mtu < Ipv6.MIN_MTU) {
            throw new IllegalArgumentException("IPv6 needs an MTU of at least " + Ipv6.MIN_MTU + ", not " + mtu);
        }
    }

    /** An IPv4-only network. */
    public UsernetConfig(String cidr, int mtu, boolean disableHostLoopback, List<InetSocketAddress> dnsUpstreams,
            Limits limits) {
        this(cidr, mtu, disableHostLoopback, dnsUpstreams, limits, false);
    }

    /** slirp4netns' defaults with the given upstream resolvers. */
    public static UsernetConfig defaults(List<InetSocketAddress> dnsUpstreams) {
        return new UsernetConfig(DEFAULT_CIDR, DEFAULT_MTU, false, dnsUpstreams, Limits.DEFAULT);
    }

    public int prefixLength() {
        return prefixLength(cidr);
    }

    public int network() {
        int p = prefixLength();
        return Ipv4Address.parse(cidr.substring(0, cidr.indexOf('/'))) & netmask(p);
    }

    public int netmask() {
        return netmask(prefixLength());
    }

    public int gateway() {
        return network() + 2;
    }

    public int dns() {
        return network() + 3;
    }

    public int guest() {
        return network() + 100;
    }

    private static int netmask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    private static int prefixLength(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR (want e.g. 10.0.2.0/24): " + cidr);
        }
        Ipv4Address.parse(cidr.substring(0, slash));
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a CIDR (want e.g. 10.0.2.0/24): " + cidr, e);
        }
        // The guest sits at host number 100, so the network needs at least 128 addresses.
        if (prefix < 8 || prefix > 25) {
            throw new IllegalArgumentException("CIDR prefix of " + cidr + " must be between 8 and 25");
        }
        return prefix;
    }

    /**
     * The caps of one flow table (one protocol, one direction).
     *
     * @param capacity flows in the table at most
     * @param perSource flows one source (who opened them) may hold: the guest's address outbound, a client's address
     *         inbound
     * @param perDestination flows to one destination: a host address and port outbound, a published port inbound
     */
    public record TableLimits(int capacity, int perSource, int perDestination) {
        public TableLimits {
            if (capacity < 1 || perSource < 1 || perDestination < 1) {
                throw new IllegalArgumentException("flow table caps must be positive");
            }
        }
    }

    /**
     * Caps and timeouts.
     *
     * @param tcpOutbound connections the guest opens; beyond the caps the oldest idle one of the group is reset, or
     *         the new one refused with a RST when none is idle
     * @param tcpInbound connections of published ports' clients into the guest
     * @param udpOutbound guest UDP sources (one host socket each); beyond the caps the oldest is dropped
     * @param udpInbound clients of published UDP ports
     * @param udpIdleTimeout a UDP flow without traffic either way for this long is closed
     * @param dnsQueryTimeout a DNS query without an answer for this long goes to the next upstream
     * @param tcpConnectTimeout host connects that take longer are answered with a RST
     * @param tcpTimeWait how long a closed connection keeps answering retransmitted FINs
     * @param tcpReceiveBuffer bytes of guest data we accept beyond what the host socket took: the window we advertise
     * @param tcpSendBuffer bytes of host data we hold for the guest (in flight or waiting for its window); reading
     *         from the host socket stops above it
     * @param maxReassemblies IPv4 datagrams being reassembled at once
     * @param reassemblyTimeout fragments of an incomplete datagram are dropped after this long
     * @param tcpIdleTimeout a connection with no segment from the guest and no data from the host for this long is
     *         reset both ways (as a NAT forgets it)
     * @param tcpHalfClosedIdleTimeout the same once either side has sent its FIN, when a vanished peer is the
     *         likelier reason for the silence
     * @param tcpReorderBudget bytes that out-of-order guest segments may pin across all connections together (each
     *         connection is also held to its receive buffer); beyond it they are dropped and the guest resends
     */
    public record Limits(TableLimits tcpOutbound, TableLimits tcpInbound, TableLimits udpOutbound,
            TableLimits udpInbound, Duration udpIdleTimeout, Duration dnsQueryTimeout,
            Duration tcpConnectTimeout, Duration tcpTimeWait, int tcpReceiveBuffer,
            int tcpSendBuffer, int maxReassemblies, Duration reassemblyTimeout, Duration tcpIdleTimeout,
            Duration tcpHalfClosedIdleTimeout, long tcpReorderBudget) {

        /**
         * Descriptors kept out of the flow tables: the JVM's own (jars, epoll and event fds), the TAP device, the API
         * server and its clients, published ports' listeners, the pipes to the child, the DNS forwarder's sockets.
         */
        static final long RESERVED_FDS = 512;
        /**
         * No table grows beyond this whatever the descriptor limit: an idle flow with its host channel costs a few
         * KiB of heap, so 64 Ki flows per table stay within a few hundred MiB.
         */
        static final int MAX_TABLE = 65536;
        /** A table is never smaller than this, so that a tiny descriptor limit still leaves a working network. */
        static final int MIN_TABLE = 64;
        /**
         * Clients of published UDP ports share the port's socket and hold no descriptor of their own; bounded by
         * memory (~200 bytes each), with eviction of the oldest when full.
         */
        static final int UDP_INBOUND_FLOWS = 16384;
        /**
         * A TAP device delivers a guest's segments in order, so out-of-order data is rare and brief in honest
         * traffic; 32 MiB is eight connections' whole receive windows at once, and bounds what a guest that sends
         * out of order on purpose across thousands of connections can pin in direct memory.
         */
        static final long TCP_REORDER_BUDGET = 32L << 20;

        /** Limits for a process whose RLIMIT_NOFILE soft limit is 4096, the size the tests assume. */
        public static final Limits DEFAULT = forOpenFiles(4096);

        /**
         * Limits sized from the descriptors the process may open ({@link OpenFileLimit#soft()}): half of what is left
         * after {@link #RESERVED_FDS} for connections the guest opens (the busier direction in a container), 3/10 for
         * published ports' clients, 2/10 for guest UDP sources. Per destination (outbound) and per client address
         * (inbound) at most a quarter of the table, so that one peer cannot take it. The guest's own address may
         * use all of the outbound tables: every container behind the namespace's NAT shares it.
         *
         * <p>Timeouts: established TCP idle 2 h 4 min and transitory (half-closed) 4 min, RFC 5382's minimums for a
         * NAT; UDP 4 min, above RFC 4787's 2 min minimum. Half-open connections end sooner by themselves: a host
         * connect after 20 s, an unanswered SYN or SYN-ACK after its retransmissions (about a minute).
         */
        public static Limits forOpenFiles(long softLimit) {
            long usable = Math.max(0, softLimit - RESERVED_FDS);
            TableLimits tcpOut = table(usable * 5 / 10, true);
            TableLimits tcpIn = table(usable * 3 / 10, false);
            TableLimits udpOut = table(usable * 2 / 10, true);
            TableLimits udpIn = new TableLimits(UDP_INBOUND_FLOWS, UDP_INBOUND_FLOWS / 4, UDP_INBOUND_FLOWS);
            return new Limits(tcpOut, tcpIn, udpOut, udpIn, Duration.ofMinutes(4), Duration.ofSeconds(2),
                    Duration.ofSeconds(20), Duration.ofSeconds(2), 4 << 20, 4 << 20, 64,
                    Duration.ofSeconds(30), Duration.ofMinutes(124), Duration.ofMinutes(4), TCP_REORDER_BUDGET);
        }

        private static TableLimits table(long fds, boolean outbound) {
            int capacity = (int) Math.max(MIN_TABLE, Math.min(MAX_TABLE, fds));
            int quarter = Math.max(1, capacity / 4);
            // Outbound: the guest's address is the one source; each host endpoint a destination. Inbound: each
            // client address a source; a published port may take the whole table.
            return outbound ? new TableLimits(capacity, capacity, quarter) : new TableLimits(capacity, quarter,
                    capacity);
        }

        public Limits {
            if (maxReassemblies < 0) {
                throw new IllegalArgumentException("maxReassemblies must not be negative");
            }
            if (tcpIdleTimeout.isNegative() || tcpIdleTimeout.isZero() || tcpHalfClosedIdleTimeout.isNegative()
                    || tcpHalfClosedIdleTimeout.isZero()) {
                throw new IllegalArgumentException("TCP idle timeouts must be positive");
            }
            if (tcpReceiveBuffer < 4096 || tcpSendBuffer < 4096) {
                throw new IllegalArgumentException("TCP buffers must be at least 4096 bytes");
            }
            if (tcpReorderBudget < tcpReceiveBuffer) {
                throw new IllegalArgumentException("the TCP reorder budget must hold at least one receive buffer");
            }
        }

        /** The same limits with other TCP tables (tests). */
        public Limits withTcp(TableLimits outbound, TableLimits inbound) {
            return new Limits(outbound, inbound, udpOutbound, udpInbound, udpIdleTimeout, dnsQueryTimeout,
                    tcpConnectTimeout, tcpTimeWait, tcpReceiveBuffer, tcpSendBuffer, maxReassemblies,
                    reassemblyTimeout, tcpIdleTimeout, tcpHalfClosedIdleTimeout, tcpReorderBudget);
        }

        /** The same limits with other UDP tables (tests). */
        public Limits withUdp(TableLimits outbound, TableLimits inbound) {
            return new Limits(tcpOutbound, tcpInbound, outbound, inbound, udpIdleTimeout, dnsQueryTimeout,
                    tcpConnectTimeout, tcpTimeWait, tcpReceiveBuffer, tcpSendBuffer, maxReassemblies,
                    reassemblyTimeout, tcpIdleTimeout, tcpHalfClosedIdleTimeout, tcpReorderBudget);
        }
    }
}
