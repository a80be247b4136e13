package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.OpenFileLimit;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.Ipv4Network;
import dev.rootlessjkit.net.NetworkOptions;
import dev.rootlessjkit.net.api.CountedPort;
import dev.rootlessjkit.net.api.NetworkContext;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.PacketCapture;
import dev.rootlessjkit.net.api.ParentNetworkDriver;
import dev.rootlessjkit.net.api.PortPublisher;
import io.netty.channel.epoll.EpollEventLoopGroup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Our own user-mode network in the parent JVM: the stack answers on the TAP device the child created and passed
 * over (see {@link TapHandOver}), as gateway (cidr+2) and DNS forwarder (cidr+3), with host sockets for the rest.
 */
public final class UsernetParentDriver implements ParentNetworkDriver {
    /** How long the child may take to pass its TAP device once it says its namespace is ready. */
    private static final Duration TAP_TIMEOUT = Duration.ofSeconds(60);

    private final NetworkOptions options;
    private final Path resolvConf;
    private final Linux linux;
    private final Log log;
    /** The stack's event loop, made from the driver's construction on while the child JVM boots. */
    private final CompletableFuture<EpollEventLoopGroup> loop;
    /** Read by the port driver's threads (API requests). */
    private volatile UsernetNetwork network;

    public UsernetParentDriver(NetworkOptions options, UsernetOptions own, Linux linux, Log log) {
        this.options = options;
        this.resolvConf = own.resolvConf();
        this.linux = linux;
        this.log = log;
        this.loop = UsernetNetwork.prepareLoop();
    }

    @Override
    public NetworkConfig start(NetworkContext context) throws NetworkDriverException {
        if (context.driverSocket() < 0) {
            throw new NetworkDriverException("the usernet network driver has no socket to receive the child's TAP "
                    + "device on");
        }
        final UsernetConfig config = config();
        final int tapFd = TapHandOver.receive(linux, Sockets.load(), context.driverSocket(), TAP_TIMEOUT);
        try {
            network = UsernetNetwork.start(config, tapFd, true, log::warn, preparedLoop());
        } catch (UsernetException e) {
            throw new NetworkDriverException("failed to start the usernet stack: " + e.getMessage()
                    + (e.getCause() == null ? "" : ": " + e.getCause().getMessage()), e);
        }
        final Ipv4Network net = Ipv4Network.parse(config.cidr());
        log.debug("usernet stack up on " + options.interfaceName() + ", " + config.cidr() + ", mtu " + config.mtu()
                + ", dns upstreams " + config.dnsUpstreams());
        return networkConfig(config, options.interfaceName(), net);
    }

    /**
     * What the child configures; with IPv6, as RootlessKit does for slirp4netns --enable-ipv6, fd00::3 as a second
     * name server (in resolv.conf and the API's info), and the static address fd00::100/64 via fd00::2.
     */
    static NetworkConfig networkConfig(UsernetConfig config, String dev, Ipv4Network net) {
        if (!config.ipv6()) {
            return new NetworkConfig(dev, net.childAddress(), net.prefixLength(), net.gateway(), List.of(net.dns()),
                    config.mtu(), Map.of());
        }
        return new NetworkConfig(dev, net.childAddress(), net.prefixLength(), net.gateway(),
                List.of(net.dns(), Ipv6Address.DNS.toString()), config.mtu(),
                Map.of(UsernetChildDriver.IPV6_ADDRESS, Ipv6Address.GUEST + "/" + Ipv6Address.PREFIX_LENGTH,
                        UsernetChildDriver.IPV6_GATEWAY, Ipv6Address.GATEWAY.toString()));
    }

    private UsernetConfig config() throws NetworkDriverException {
        final List<InetSocketAddress> upstreams;
        try {
            upstreams = ResolvConf.nameservers(resolvConf);
        } catch (IOException e) {
            throw new NetworkDriverException("cannot read " + resolvConf + ": " + e.getMessage(), e);
        }
        if (upstreams.isEmpty()) {
            log.warn("no IPv4 nameserver in " + resolvConf + ": names will not resolve inside the namespace");
        }
        final String cidr = options.cidr() == null || options.cidr().isEmpty() ? UsernetConfig.DEFAULT_CIDR
                : options.cidr();
        try {
            return new UsernetConfig(cidr, options.mtu() > 0 ? options.mtu() : UsernetConfig.DEFAULT_MTU,
                    options.disableHostLoopback(), upstreams, UsernetConfig.Limits.forOpenFiles(OpenFileLimit.soft()),
                    options.ipv6());
        } catch (IllegalArgumentException e) {
            throw new NetworkDriverException("usernet: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<PacketCapture> packetCapture() {
        return Optional.of((port, snapLength, target) -> {
            final UsernetNetwork running = network;
            if (running == null) {
                throw new IOException("the usernet network is not running");
            }
            return running.capture().start(port, snapLength, target);
        });
    }

    @Override
    public Optional<PortPublisher> portPublisher() {
        return Optional.of(new PortPublisher() {
            @Override
            public CountedPort publishTcp(int listenFd, int guestIp, int guestPort) throws NetworkDriverException {
                return publish(listenFd, running -> running.publishTcp(listenFd, guestIp, guestPort));
            }

            @Override
            public CountedPort publishUdp(int fd, int guestIp, int guestPort) throws NetworkDriverException {
                return publish(fd, running -> running.publishUdp(fd, guestIp, guestPort));
            }

            @Override
            public CountedPort publishTcp6(int listenFd, byte[] guestIp, int guestPort)
                    throws NetworkDriverException {
                final Ipv6Address guest = ipv6Guest(listenFd, guestIp);
                return publish(listenFd, running -> options.ipv6() ? running.publishTcp6(listenFd, guest, guestPort)
                        : running.publishTcp(listenFd, 0, guestPort));
            }

            @Override
            public CountedPort publishUdp6(int fd, byte[] guestIp, int guestPort) throws NetworkDriverException {
                final Ipv6Address guest = ipv6Guest(fd, guestIp);
                return publish(fd, running -> options.ipv6() ? running.publishUdp6(fd, guest, guestPort)
                        : running.publishUdp(fd, 0, guestPort));
            }
        });
    }

    /**
     * The IPv6 address inside a port leads to (null: the guest's own). Without --ipv6 the namespace has only its
     * IPv4 address, where a port without a child IP leads (its clients appear as the gateway 10.0.2.2); an IPv6
     * child IP is refused, and the port's socket, which the publisher owns, closed.
     */
    private Ipv6Address ipv6Guest(int fd, byte[] guestIp) throws NetworkDriverException {
        if (guestIp == null) {
            return null;
        }
        if (!options.ipv6()) {
            Sockets.load().close(fd);
            throw new NetworkDriverException("the usernet network has no IPv6 (start it with --ipv6)");
        }
        final ByteBuffer address = ByteBuffer.wrap(guestIp);
        return new Ipv6Address(address.getLong(0), address.getLong(8));
    }

    /** One way of handing a port's socket to the running network. */
    private interface Publication {
        CountedPort on(UsernetNetwork running) throws UsernetException;
    }

    private CountedPort publish(int fd, Publication publication) throws NetworkDriverException {
        try {
            return publication.on(running(fd));
        } catch (UsernetException e) {
            throw new NetworkDriverException(e.getMessage() + (e.getCause() == null ? "" : ": "
                    + e.getCause().getMessage()), e);
        }
    }

    /** The running network for a port's socket, which is closed when there is none: the publisher owns it. */
    private UsernetNetwork running(int fd) throws NetworkDriverException {
        final UsernetNetwork running = network;
        if (running == null) {
            Sockets.load().close(fd);
            throw new NetworkDriverException("the usernet network is not running");
        }
        return running;
    }

    @Override
    public void close() {
        if (network != null) {
            logCounters(network);
            network.close();
            network = null;
        } else {
            // Never started: the loop made for it is ours to stop (once made; a failed one holds nothing).
            loop.thenAccept(group -> group.shutdownGracefully(0, 0, TimeUnit.SECONDS));
        }
    }

    /** The loop made ahead, waiting for it if need be; it is the network's from here on. */
    private EpollEventLoopGroup preparedLoop() throws UsernetException {
        try {
            return loop.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UsernetException cause) {
                throw cause;
            }
            throw new UsernetException("cannot make the usernet event loop", e.getCause());
        }
    }

    /**
     * With --debug, what the stack counted over the run (drops, refusals, limits hit), as the last word on a
     * namespace whose traffic misbehaved.
     */
    private void logCounters(UsernetNetwork running) {
        if (!log.debugEnabled()) {
            return;
        }
        try {
            final StringBuilder line = new StringBuilder("usernet counters:");
            new TreeMap<>(running.counters()).forEach((counter, value) -> line.append(' ')
                    .append(counter.name().toLowerCase(Locale.ROOT)).append('=').append(value));
            log.debug(line.toString());
        } catch (UsernetException e) {
            log.debug(e.getMessage());
        }
    }
}
