package dev.rootlessjkit.net.usernet;

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
 */
public record UsernetConfig(String cidr, int mtu, boolean disableHostLoopback, List<InetSocketAddress> dnsUpstreams,
        Limits limits) {

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
     * Caps and timeouts.
     *
     * @param maxTcpFlows connections beyond this are refused with a RST
     * @param maxUdpFlows UDP flows beyond this are dropped
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
     *         reset both ways (as a NAT forgets it; netfilter's default for established connections is 5 days)
     * @param tcpHalfClosedIdleTimeout the same once either side has sent its FIN, when a vanished peer is the
     *         likelier reason for the silence
     */
    public record Limits(int maxTcpFlows, int maxUdpFlows, Duration udpIdleTimeout, Duration dnsQueryTimeout,
            Duration tcpConnectTimeout, Duration tcpTimeWait, int tcpReceiveBuffer,
            int tcpSendBuffer, int maxReassemblies, Duration reassemblyTimeout, Duration tcpIdleTimeout,
            Duration tcpHalfClosedIdleTimeout) {

        public static final Limits DEFAULT = new Limits(4096, 1024, Duration.ofSeconds(240), Duration.ofSeconds(2),
                Duration.ofSeconds(20), Duration.ofSeconds(2), 4 << 20, 4 << 20, 64,
                Duration.ofSeconds(30), Duration.ofDays(5), Duration.ofMinutes(2));

        public Limits {
            if (maxTcpFlows < 1 || maxUdpFlows < 1 || maxReassemblies < 0) {
                throw new IllegalArgumentException("flow limits must be positive");
            }
            if (tcpIdleTimeout.isNegative() || tcpIdleTimeout.isZero() || tcpHalfClosedIdleTimeout.isNegative()
                    || tcpHalfClosedIdleTimeout.isZero()) {
                throw new IllegalArgumentException("TCP idle timeouts must be positive");
            }
            if (tcpReceiveBuffer < 4096 || tcpSendBuffer < 4096) {
                throw new IllegalArgumentException("TCP buffers must be at least 4096 bytes");
            }
        }
    }
}
