package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.net.usernet.UsernetConfig.Limits;
import dev.rootlessjkit.net.usernet.UsernetConfig.TableLimits;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The stack tests' {@link UsernetConfig}: slirp4netns' defaults, so that a test names only what it changes, e.g.
 * {@code TestConfig.defaults().mtu(1500).ipv6().build()}. The defaults are {@value UsernetConfig#DEFAULT_CIDR}, MTU
 * {@value UsernetConfig#DEFAULT_MTU}, the host's loopback reachable through the gateway, no DNS upstreams, IPv4 only
 * and {@link Limits#DEFAULT}.
 */
final class TestConfig {
    private int mtu = UsernetConfig.DEFAULT_MTU;
    private boolean disableHostLoopback;
    private List<InetSocketAddress> dnsUpstreams = List.of();
    private boolean ipv6;
    private Limits limits = Limits.DEFAULT;
    private Duration tcpConnectTimeout = Limits.DEFAULT.tcpConnectTimeout();
    private int tcpReceiveBuffer = Limits.DEFAULT.tcpReceiveBuffer();
    private int tcpSendBuffer = Limits.DEFAULT.tcpSendBuffer();
    private long tcpReorderBudget = Limits.DEFAULT.tcpReorderBudget();

    private TestConfig() {
    }

    static TestConfig defaults() {
        return new TestConfig();
    }

    TestConfig mtu(int bytes) {
        mtu = bytes;
        return this;
    }

    TestConfig ipv6() {
        ipv6 = true;
        return this;
    }

    TestConfig disableHostLoopback(boolean disable) {
        disableHostLoopback = disable;
        return this;
    }

    TestConfig dnsUpstreams(List<InetSocketAddress> resolvers) {
        dnsUpstreams = resolvers;
        return this;
    }

    /** Connections the guest opens. */
    TestConfig tcpOutbound(TableLimits table) {
        limits = limits.withTcp(table, limits.tcpInbound());
        return this;
    }

    /** Connections of published ports' clients. */
    TestConfig tcpInbound(TableLimits table) {
        limits = limits.withTcp(limits.tcpOutbound(), table);
        return this;
    }

    /** Guest UDP sources. */
    TestConfig udpOutbound(TableLimits table) {
        limits = limits.withUdp(table, limits.udpInbound());
        return this;
    }

    TestConfig tcpConnectTimeout(Duration timeout) {
        tcpConnectTimeout = timeout;
        return this;
    }

    TestConfig tcpBuffers(int receive, int send) {
        tcpReceiveBuffer = receive;
        tcpSendBuffer = send;
        return this;
    }

    TestConfig tcpReorderBudget(long bytes) {
        tcpReorderBudget = bytes;
        return this;
    }

    UsernetConfig build() {
        Limits l = limits;
        return new UsernetConfig(UsernetConfig.DEFAULT_CIDR, mtu, disableHostLoopback, dnsUpstreams, new Limits(
                l.tcpOutbound(), l.tcpInbound(), l.udpOutbound(), l.udpInbound(), l.udpIdleTimeout(),
                l.dnsQueryTimeout(), tcpConnectTimeout, l.tcpTimeWait(), tcpReceiveBuffer, tcpSendBuffer,
                l.maxReassemblies(), l.reassemblyTimeout(), l.tcpIdleTimeout(), l.tcpHalfClosedIdleTimeout(),
                tcpReorderBudget), ipv6);
    }
}
