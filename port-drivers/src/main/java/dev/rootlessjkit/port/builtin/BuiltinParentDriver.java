package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.OpenFileLimit;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.net.api.PortTraffic;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import dev.rootlessjkit.net.api.UdpPortTraffic;
import dev.rootlessjkit.port.ChildHalfException;
import dev.rootlessjkit.port.HostListeners;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortDriverKind;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecValidator;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.Proto;
import dev.rootlessjkit.port.UnknownPortException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The builtin port driver's host side: listens on the parent addresses and, per TCP connection or UDP flow, has
 * the child half connect inside the namespace and pass the socket back over {@code $STATE/.bp.sock}.
 */
public final class BuiltinParentDriver implements ParentPortDriver {
    public static final List<String> PROTOS = List.of("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6");
    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(5);

    private final Path socketPath;
    private final Duration udpIdleTimeout;
    private final boolean sourceIpTransparent;
    private final Log log;
    private final Sockets sockets;
    private final ChildBridge bridge;
    /** Shared by every published TCP port, so that one port's clients cannot take the descriptors of all. */
    private final ConnectionBudget connections;
    private final Map<Integer, Entry> ports = new TreeMap<>();
    /** What removed ports carried; guarded by {@code this}. */
    private PortCounters removed = PortCounters.NONE;
    /** The threads the forwarders run on, each started with the first port that needs it. */
    private final TcpRelays tcpRelays;
    private final UdpLoops udpLoops;
    /** Whether the child half is up and the ports are served. */
    private boolean started;
    private int nextId = 1;
    private boolean closed;

    /**
     * A published port: its listener alone (listenFd, no forwarder) until the driver serves it, then the forwarder
     * that owns the listener and counts in {@code traffic}, the port's counters from its addition on.
     */
    private record Entry(PortStatus status, Proto proto, int listenFd, Forwarder forwarder, PortTraffic traffic) {
        Entry servedBy(Forwarder f) {
            return new Entry(status, proto, -1, f, traffic);
        }
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
        this.tcpRelays = TcpRelays.forOpenFiles(OpenFileLimit.soft(), log);
        this.udpLoops = new UdpLoops(Runtime.getRuntime().availableProcessors(), log);
    }

    @Override
    public PortDriverInfo info() {
        return new PortDriverInfo(PortDriverKind.BUILTIN.cliName, PROTOS, false);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return sourceIpTransparent
                ? Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socketPath.toString(),
                        BuiltinChildDriver.SOURCE_IP_TRANSPARENT_KEY, "true")
                : Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socketPath.toString());
    }

    /**
     * Waits for the child half, then serves every port added so far: what their listeners held in the meantime
     * (connections in the backlog, datagrams in the receive buffer) is forwarded now.
     */
    @Override
    public synchronized void start(Duration timeout) throws PortDriverException {
        if (started) {
            return;
        }
        bridge.connect(timeout);
        started = true;
        for (Entry entry : new ArrayList<>(ports.values())) {
            if (entry.forwarder() == null) {
                // Out of the table first: a listener that fails to be served is closed, and its port is gone.
                ports.remove(entry.status().id());
                ports.put(entry.status().id(), serve(entry));
            }
        }
    }

    @Override
    public PortStatus addPort(PortSpec spec) throws PortDriverException {
        return addPort(spec, -1);
    }

    /**
     * Listens at once, before {@link #start} too: until the driver serves the port, the kernel holds what arrives.
     */
    @Override
    public synchronized PortStatus addPort(PortSpec spec, int listenFd) throws PortDriverException {
        final Proto proto;
        try {
            proto = check(spec);
        } catch (PortDriverException e) {
            if (listenFd >= 0) {
                sockets.close(listenFd);
            }
            throw e;
        }
        final Entry listening = new Entry(new PortStatus(nextId, spec), proto,
                listenFd >= 0 ? listenFd : HostListeners.listen(sockets, spec, proto), null,
                proto.isTcp() ? new TcpPortTraffic() : new UdpPortTraffic());
        final Entry entry = started ? serve(listening) : listening;
        nextId++;
        ports.put(entry.status().id(), entry);
        log.debug((started ? "published " : "listening for ") + entry.status());
        return entry.status();
    }

    private Proto check(PortSpec spec) throws PortDriverException {
        if (closed) {
            throw new ChildHalfException("the builtin port driver is closed");
        }
        PortSpecValidator.validate(spec, ports.values().stream().map(Entry::status).toList());
        final Proto proto = Proto.of(spec.proto()).orElseThrow();
        if (!proto.isTcp() && !proto.isUdp()) {
            throw new PortDriverException("unsupported port protocol " + spec.proto());
        }
        return proto;
    }

    /** Hands the entry's listener to a forwarder, which owns it from now on (and has closed it if this throws). */
    private Entry serve(Entry entry) throws PortDriverException {
        final ChildTarget target = ChildTarget.of(entry.status().spec());
        try {
            if (entry.proto().isTcp()) {
                final TcpForwarder tcp = new TcpForwarder(tcpRelays, connections, bridge, target, entry.listenFd(),
                        (TcpPortTraffic) entry.traffic(), log);
                tcp.start();
                return entry.servedBy(tcp);
            }
            final UdpLoop loop;
            try {
                loop = udpLoops.next();
            } catch (ErrnoException e) {
                sockets.close(entry.listenFd());
                throw new IOException(e.getMessage(), e);
            }
            final UdpForwarder udp = new UdpForwarder(loop, bridge, target, entry.listenFd(), udpIdleTimeout,
                    (UdpPortTraffic) entry.traffic(), log);
            udp.start();
            return entry.servedBy(udp);
        } catch (IOException e) {
            throw new PortDriverException("cannot serve " + entry.status().spec() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<PortStatus> listPorts() {
        final List<PortStatus> list = new ArrayList<>(ports.size());
        ports.values().forEach(e -> list.add(e.status()));
        return list;
    }

    @Override
    public synchronized Map<Integer, PortCounters> portCounters() {
        final Map<Integer, PortCounters> counters = new TreeMap<>();
        ports.forEach((id, e) -> counters.put(id, e.traffic().counters()));
        return counters;
    }

    @Override
    public synchronized PortCounters totalCounters() {
        PortCounters total = removed;
        for (Entry e : ports.values()) {
            total = total.plus(e.traffic().counters());
        }
        return total;
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
        stop(entry);
        synchronized (this) {
            // After the stop, so that what the port's last connections carried is in.
            removed = removed.plus(entry.traffic().counters().ended());
        }
        log.debug("removed " + entry.status());
    }

    private void stop(Entry entry) {
        if (entry.forwarder() == null) {
            sockets.close(entry.listenFd());
        } else {
            entry.forwarder().close(REMOVE_TIMEOUT);
        }
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
        entries.forEach(this::stop);
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
