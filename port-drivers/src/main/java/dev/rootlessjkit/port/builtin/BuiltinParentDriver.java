package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.OpenFileLimit;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import dev.rootlessjkit.net.api.UdpPortTraffic;
import dev.rootlessjkit.port.HostListenerDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortDriverKind;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.Proto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The builtin port driver's host side: listens on the parent addresses and, per TCP connection or UDP flow, has
 * the child half connect inside the namespace and pass the socket back over {@code $STATE/.bp.sock}. Each port is
 * served by a {@link Forwarder} of its own, on the relay loops shared by all ports.
 */
public final class BuiltinParentDriver extends HostListenerDriver<Forwarder> {
    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(5);

    private final Path socketPath;
    private final Duration udpIdleTimeout;
    private final boolean sourceIpTransparent;
    private final ChildBridge bridge;
    /** Shared by every published TCP port, so that one port's clients cannot take the descriptors of all. */
    private final ConnectionBudget connections;
    /** The threads the forwarders run on, each started with the first port that needs it. */
    private final TcpRelays tcpRelays;
    private final UdpLoops udpLoops;

    /** @param sourceIpTransparent --source-ip-transparent: the child half dials TCP from clients' addresses */
    public BuiltinParentDriver(Path stateDir, boolean sourceIpTransparent, Log log) throws PortDriverException {
        this(stateDir, DEFAULT_UDP_IDLE_TIMEOUT, sourceIpTransparent, log);
    }

    /** @param udpIdleTimeout how long a UDP flow without traffic in either direction is kept */
    public BuiltinParentDriver(Path stateDir, Duration udpIdleTimeout, boolean sourceIpTransparent, Log log)
            throws PortDriverException {
        this(stateDir, udpIdleTimeout, sourceIpTransparent, ConnectionBudget.forOpenFiles(OpenFileLimit.soft()), log);
    }

    BuiltinParentDriver(Path stateDir, Duration udpIdleTimeout, boolean sourceIpTransparent,
            ConnectionBudget connections, Log log) throws PortDriverException {
        super(Sockets.load(), log);
        this.connections = connections;
        this.socketPath = stateDir.resolve(".bp.sock");
        this.udpIdleTimeout = udpIdleTimeout;
        this.sourceIpTransparent = sourceIpTransparent;
        try {
            // A socket left by a killed run would answer nothing; the child half binds a fresh one.
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            throw new PortDriverException("cannot remove stale " + socketPath + ": " + e.getMessage(), e);
        }
        this.bridge = new ChildBridge(sockets, socketPath, log);
        this.tcpRelays = TcpRelays.forOpenFiles(OpenFileLimit.soft(), log);
        this.udpLoops = new UdpLoops(Runtime.getRuntime().availableProcessors(), log);
    }

    @Override
    public PortDriverInfo info() {
        return new PortDriverInfo(PortDriverKind.BUILTIN.cliName, Proto.TCP_AND_UDP, false);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return sourceIpTransparent
                ? Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socketPath.toString(),
                        BuiltinChildDriver.SOURCE_IP_TRANSPARENT_KEY, "true")
                : Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socketPath.toString());
    }

    /** The ports are served once the child half, which dials inside the namespace, is up. */
    @Override
    protected void awaitReady(Duration timeout) throws PortDriverException {
        bridge.connect(timeout);
    }

    @Override
    protected Proto protocol(PortSpec spec) throws PortDriverException {
        final Proto proto = Proto.of(spec.proto()).orElseThrow();
        if (!proto.isTcp() && !proto.isUdp()) {
            throw new PortDriverException("unsupported port protocol " + spec.proto());
        }
        return proto;
    }

    @Override
    protected Forwarder serve(PortSpec spec, Proto proto, int listenFd) throws PortDriverException {
        final ChildTarget target = ChildTarget.of(spec);
        try {
            if (proto.isTcp()) {
                final TcpForwarder tcp = new TcpForwarder(tcpRelays, connections, bridge, target, listenFd,
                        new TcpPortTraffic(), log);
                tcp.start();
                return tcp;
            }
            final UdpLoop loop;
            try {
                loop = udpLoops.next();
            } catch (ErrnoException e) {
                sockets.close(listenFd);
                throw new IOException(e.getMessage(), e);
            }
            final UdpForwarder udp = new UdpForwarder(loop, bridge, target, listenFd, udpIdleTimeout,
                    new UdpPortTraffic(), log);
            udp.start();
            return udp;
        } catch (IOException e) {
            throw new PortDriverException("cannot serve " + spec + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected PortCounters counters(Forwarder forwarder) {
        return forwarder.traffic().counters();
    }

    @Override
    protected void stop(Forwarder forwarder) {
        forwarder.close(REMOVE_TIMEOUT);
    }

    @Override
    protected void closeDriver() {
        tcpRelays.close();
        udpLoops.close();
        bridge.close();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            log.debug("cannot remove " + socketPath + ": " + e.getMessage());
        }
    }
}
