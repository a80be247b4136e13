package dev.rootlessjkit.net.lxcusernic;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.PacketSockets;
import dev.rootlessjkit.messages.NetworkConfig;
import dev.rootlessjkit.net.ChildNetworkContext;
import dev.rootlessjkit.net.ChildNetworkDriver;
import dev.rootlessjkit.net.InterfaceChildDriver;
import dev.rootlessjkit.net.Ipv4Network;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The child half of {@code --net=lxc-user-nic}: the veth the parent's lxc-user-nic moved in is brought up and asks
 * the bridge's DHCP server for address, router and DNS; then the interface is configured, and resolv.conf and
 * hosts written, as for every driver with an interface ({@code addressing}). The lease is renewed for as long as
 * the child JVM stays ({@link LeaseRenewal}).
 */
public final class LxcUserNicChildDriver implements ChildNetworkDriver {
    /** RootlessKit waits 30 s for each DHCP read; one whole exchange gets as long here. */
    static final Duration DHCP_TIMEOUT = Duration.ofSeconds(30);
    /** How long a veth just brought up may take to become operational before the first DISCOVER goes out. */
    private static final Duration LINK_TIMEOUT = Duration.ofSeconds(3);

    private final ChildNetworkContext context;
    private final ChildNetworkDriver addressing;

    public LxcUserNicChildDriver(ChildNetworkContext context) {
        this.context = context;
        // Configures the interface, route and /etc files once DHCP has completed the NetworkConfig.
        this.addressing = new InterfaceChildDriver(context);
    }

    @Override
    public void configure(NetworkConfig config) throws NetworkDriverException {
        if (!config.hasInterface()) {
            throw new NetworkDriverException("the parent's network driver named no interface for the child");
        }
        final String bridge = config.opaque().getOrDefault(LxcUserNicParentDriver.OPAQUE_BRIDGE, "the bridge");
        final DhcpLease granted = dhcp(config.dev(), bridge, "get an address for " + config.dev() + " by DHCP",
                client -> client.acquire());
        context.log().debug("DHCP on " + config.dev() + ": " + Ipv4Network.format(granted.address()) + "/"
                + granted.prefixLength() + " via " + Ipv4Network.format(granted.router()) + ", dns "
                + granted.nameServers().stream().map(Ipv4Network::format).toList() + ", lease "
                + granted.leaseSeconds() + "s from " + Ipv4Network.format(granted.serverId()));
        addressing.configure(new NetworkConfig(config.dev(), Ipv4Network.format(granted.address()),
                granted.prefixLength(), Ipv4Network.format(granted.router()),
                granted.nameServers().stream().map(Ipv4Network::format).toList(), config.mtu(), config.opaque()));
        LeaseRenewal.start(granted, lease -> dhcp(config.dev(), bridge, "renew the DHCP lease of " + config.dev(),
                client -> client.renew(lease)), context.log());
    }

    /** One exchange of the DHCP client. */
    private interface Exchange {
        DhcpLease run(DhcpClient client) throws NetworkDriverException, IOException;
    }

    /** Runs {@code exchange} where {@code dev} is: in this namespace, or in the detached one. */
    private DhcpLease dhcp(String dev, String bridge, String what, Exchange exchange) throws NetworkDriverException {
        final AtomicReference<DhcpLease> lease = new AtomicReference<>();
        context.inNetworkNamespace(what, () -> {
            lease.set(onPacketSocket(dev, bridge, exchange));
            return null;
        });
        return lease.get();
    }

    /** Brings {@code dev} up and runs the exchange on a packet socket of it, open for the exchange only. */
    private DhcpLease onPacketSocket(String dev, String bridge, Exchange exchange)
            throws NetworkDriverException, ErrnoException {
        context.linux().bringUp(dev);
        final PacketSockets sockets = PacketSockets.load();
        final PacketSockets.Bound socket = sockets.open(dev);
        try {
            awaitRunning(sockets, socket, dev);
            return exchange.run(new DhcpClient(transport(sockets, socket), macOf(socket.hardwareAddress()),
                    ThreadLocalRandom.current()::nextInt, DHCP_TIMEOUT, clientId(context.stateDir())));
        } catch (NetworkDriverException e) {
            throw new NetworkDriverException("lxc-user-nic: DHCP on " + dev + " failed: " + e.getMessage()
                    + ": is the DHCP server of " + bridge + " running (lxc-net's dnsmasq: /usr/libexec/lxc/lxc-net "
                    + "start, or systemctl restart lxc-net)?", e);
        } catch (IOException e) {
            throw new NetworkDriverException("lxc-user-nic: DHCP on " + dev + ": " + e.getMessage(), e);
        } finally {
            sockets.close(socket);
        }
    }

    /**
     * Waits until {@code dev} passes packets: a DISCOVER sent before would be dropped and cost a retransmission
     * (a second). Past the bound the exchange starts anyway, and its own deadline tells what is wrong.
     */
    private static void awaitRunning(PacketSockets sockets, PacketSockets.Bound socket, String dev)
            throws ErrnoException {
        final long deadline = System.nanoTime() + LINK_TIMEOUT.toNanos();
        while (!sockets.isRunning(socket, dev) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The DHCP client identifier of the namespace of this state directory: a start with the same --state-dir (as
     * dockerd-rootless.sh always uses), after the previous run ended, is given the same address again at once,
     * without the server's check that a new address is free (lxc-net's dnsmasq pings it for 3 s). Two running
     * instances never share a state directory (it is locked), so never an identifier. The path alone: the child
     * JVM's {@code user.name} is no part of it, because that JVM starts before its uid map is written and reads
     * "nobody" or "root" depending on which comes first (CI saw a restart get another address from it).
     */
    static String clientId(Path stateDir) {
        final MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        final byte[] digest = sha256.digest(stateDir.toAbsolutePath().normalize().toString()
                .getBytes(StandardCharsets.UTF_8));
        return "rootlessjkit-" + HexFormat.of().formatHex(digest, 0, 16);
    }

    private static DhcpTransport transport(PacketSockets sockets, PacketSockets.Bound socket) {
        return new DhcpTransport() {
            @Override
            public void send(byte[] packet) throws IOException {
                sockets.sendBroadcast(socket, packet);
            }

            @Override
            public int receive(byte[] into, int timeoutMillis) throws IOException {
                return sockets.receive(socket, into, timeoutMillis);
            }
        };
    }

    static long macOf(byte[] address) {
        long mac = 0;
        for (byte b : address) {
            mac = mac << 8 | (b & 0xff);
        }
        return mac;
    }
}
