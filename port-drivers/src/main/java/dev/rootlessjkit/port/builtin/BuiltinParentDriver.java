package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.OpenFileLimit;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.ChildHalfException;
import dev.rootlessjkit.port.ListenException;
import dev.rootlessjkit.port.ListenFailures;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecValidator;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.Proto;
import dev.rootlessjkit.port.UnknownPortException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The builtin port driver's host side: listens on the parent addresses and, per TCP connection or UDP flow, has
 * the child half connect inside the namespace and pass the socket back over {@code $STATE/.bp.sock}.
 */
public final class BuiltinParentDriver implements ParentPortDriver {
    public static final String NAME = "builtin";
    public static final List<String> PROTOS = List.of("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6");
    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(5);
    private static final int EAFNOSUPPORT = 97;

    private final Path socketPath;
    private final Duration udpIdleTimeout;
    private final boolean sourceIpTransparent;
    private final Log log;
    private final Sockets sockets;
    private final ChildBridge bridge;
    /** Shared by every published TCP port, so that one port's clients cannot take the descriptors of all. */
    private final ConnectionBudget connections;
    private final Map<Integer, Entry> ports = new TreeMap<>();
    private EventLoopGroup group;
    private SpliceRelays splicing;
    private int nextId = 1;
    private boolean closed;

    private record Entry(PortStatus status, Forwarder forwarder) {
    }

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
        this.connections = connections;
        this.socketPath = stateDir.resolve(".bp.sock");
        this.udpIdleTimeout = udpIdleTimeout;
        this.sourceIpTransparent = sourceIpTransparent;
        this.log = log;
        try {
            // A socket left by a killed run would answer nothing; the child half binds a fresh one.
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            throw new PortDriverException("cannot remove stale " + socketPath + ": " + e.getMessage(), e);
        }
        this.sockets = Sockets.load();
        this.bridge = new ChildBridge(sockets, socketPath, log);
    }

    @Override
    public PortDriverInfo info() {
        return new PortDriverInfo(NAME, PROTOS, false);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return sourceIpTransparent
                ? Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socketPath.toString(),
                        BuiltinChildDriver.SOURCE_IP_TRANSPARENT_KEY, "true")
                : Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socketPath.toString());
    }

    @Override
    public synchronized void start(Duration timeout) throws PortDriverException {
        if (group != null) {
            return;
        }
        bridge.connect(timeout);
        group = new EpollEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("builtin-port", true));
        splicing = SpliceRelays.forOpenFiles(OpenFileLimit.soft(), log);
    }

    @Override
    public PortStatus addPort(PortSpec spec) throws PortDriverException {
        synchronized (this) {
            if (group == null || closed) {
                throw new ChildHalfException("the builtin port driver is not running");
            }
            PortSpecValidator.validate(spec, ports.values().stream().map(Entry::status).toList());
            final Proto proto = Proto.of(spec.proto()).orElseThrow();
            if (!proto.isTcp() && !proto.isUdp()) {
                throw new PortDriverException("unsupported port protocol " + spec.proto());
            }
            final ListenAddress address = ListenAddress.of(spec, proto);
            final int fd = listen(spec, proto, address);
            final ChildTarget target = ChildTarget.of(spec);
            final Forwarder forwarder;
            try {
                if (proto.isTcp()) {
                    final TcpForwarder tcp = new TcpForwarder(group, connections, bridge, target, fd, splicing,
                            log);
                    tcp.start();
                    forwarder = tcp;
                } else {
                    final UdpForwarder udp = new UdpForwarder(group, bridge, target, fd, udpIdleTimeout, log);
                    udp.start();
                    forwarder = udp;
                }
            } catch (IOException e) {
                throw new PortDriverException("listen " + spec.proto() + " " + address.display() + ": "
                        + e.getMessage(), e);
            }
            final PortStatus status = new PortStatus(nextId++, spec);
            ports.put(status.id(), new Entry(status, forwarder));
            log.debug("published " + status);
            return status;
        }
    }

    private int listen(PortSpec spec, Proto proto, ListenAddress address) throws ListenException {
        final Sockets.Type type = proto.isTcp() ? Sockets.Type.STREAM : Sockets.Type.DGRAM;
        try {
            try {
                return sockets.bindInet(type, address.address(), spec.parentPort(), address.v6only(), 4096,
                        address.display());
            } catch (SocketCallException e) {
                if (e.errno() == EAFNOSUPPORT && address.dualStack()) {
                    final ListenAddress v4 = address.ipv4Only();
                    return sockets.bindInet(type, v4.address(), spec.parentPort(), false, 4096, v4.display());
                }
                throw e;
            }
        } catch (SocketCallException e) {
            final String message = "listen " + spec.proto() + " " + address.display() + ": " + e.call() + ": "
                    + e.description();
            throw ListenFailures.classify(message, e.errno(), spec.parentPort());
        }
    }

    @Override
    public synchronized List<PortStatus> listPorts() {
        final List<PortStatus> list = new ArrayList<>(ports.size());
        ports.values().forEach(e -> list.add(e.status()));
        return list;
    }

    @Override
    public void removePort(int id) throws PortDriverException {
        final Entry entry;
        synchronized (this) {
            entry = ports.remove(id);
        }
        if (entry == null) {
            throw new UnknownPortException(id);
        }
        entry.forwarder().close(REMOVE_TIMEOUT);
        log.debug("removed " + entry.status());
    }

    @Override
    public void close() {
        final List<Entry> entries;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            entries = new ArrayList<>(ports.values());
            ports.clear();
        }
        entries.forEach(e -> e.forwarder().close(REMOVE_TIMEOUT));
        if (splicing != null) {
            splicing.close();
        }
        bridge.close();
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            log.debug("cannot remove " + socketPath + ": " + e.getMessage());
        }
    }
}
