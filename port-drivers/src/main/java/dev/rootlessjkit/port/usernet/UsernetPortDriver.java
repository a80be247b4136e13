package dev.rootlessjkit.port.usernet;

import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.CountedPort;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.net.api.PortPublisher;
import dev.rootlessjkit.port.GoText;
import dev.rootlessjkit.port.HostListeners;
import dev.rootlessjkit.port.IpLiteral;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortDriverKind;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecValidator;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.Proto;
import dev.rootlessjkit.port.UnknownPortException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code --port-driver=usernet} (with {@code --net=usernet} only): our stack listens on the host and opens each
 * connection into the namespace itself, so the server inside sees the client's real address. A loopback client
 * cannot keep 127.0.0.1 (inside, that is the namespace's own loopback) and appears as the gateway (cidr+2, e.g.
 * 10.0.2.2), as do IPv6 clients and addresses of the namespace's own network; every other client keeps its
 * address. Parent only: the child runs CMD without a half of ours. {@code tcp6}/{@code udp6} (and an IPv6 child IP)
 * lead to the namespace's IPv6 address under --ipv6, where IPv6 clients keep their address (loopback ones appear as
 * the gateway fd00::2); without --ipv6, {@code tcp6}/{@code udp6} lead to its IPv4 address. IDs are never reused.
 */
public final class UsernetPortDriver implements ParentPortDriver {
    public static final List<String> PROTOS = List.of("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6");

    private final PortPublisher stack;
    private final Log log;
    private final Sockets sockets;
    private final Map<Integer, Entry> ports = new TreeMap<>();
    /** What removed ports carried. */
    private PortCounters removed = PortCounters.NONE;
    /** Whether the network driver's stack runs, so that ports are published at once. */
    private boolean started;
    private int nextId = 1;
    private boolean closed;

    /**
     * A published port: its host socket alone (listenFd, not published) until the stack runs, then the stack's
     * handle, which owns the socket. {@code guestIp}: the spec's child IP (4 or 16 bytes), or null for the
     * namespace's own address of the family the protocol names.
     */
    private record Entry(PortStatus status, byte[] guestIp, int listenFd, AutoCloseable published) {
        Entry publishedAs(AutoCloseable handle) {
            return new Entry(status, guestIp, -1, handle);
        }

        /** What the stack counted for the port; nothing yet before the stack has it. */
        PortCounters counters() {
            return published instanceof CountedPort counted ? counted.traffic().counters()
                    : PortCounters.zero(status.spec().proto().startsWith("tcp"));
        }
    }

    /** @param stack the network driver's stack, which runs from {@link #start} on */
    public UsernetPortDriver(PortPublisher stack, Log log) {
        this.stack = stack;
        this.log = log;
        this.sockets = Sockets.load();
    }

    @Override
    public PortDriverInfo info() {
        // A loopback child IP would be the namespace's own loopback, which no packet from outside may reach.
        return new PortDriverInfo(PortDriverKind.USERNET.cliName, PROTOS, true);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return Map.of();
    }

    /**
     * The network driver started the stack before the port driver starts; this picks it up and hands it the ports
     * added so far, with what their sockets held in the meantime.
     */
    @Override
    public synchronized void start(Duration timeout) throws PortDriverException {
        started = true;
        for (Entry entry : new ArrayList<>(ports.values())) {
            if (entry.published() == null) {
                // Out of the table first: a socket the stack fails to take is closed, and its port is gone.
                ports.remove(entry.status().id());
                ports.put(entry.status().id(), publish(entry));
            }
        }
    }

    @Override
    public PortStatus addPort(PortSpec spec) throws PortDriverException {
        return addPort(spec, -1);
    }

    /** Listens at once, before {@link #start} too: until the stack runs, the kernel holds what arrives. */
    @Override
    public synchronized PortStatus addPort(PortSpec spec, int listenFd) throws PortDriverException {
        final Proto proto;
        final byte[] guestIp;
        try {
            proto = check(spec);
            guestIp = guestAddress(spec);
        } catch (PortDriverException e) {
            if (listenFd >= 0) {
                sockets.close(listenFd);
            }
            throw e;
        }
        final Entry listening = new Entry(new PortStatus(nextId, spec), guestIp,
                listenFd >= 0 ? listenFd : HostListeners.listen(sockets, spec, proto), null);
        final Entry entry = started ? publish(listening) : listening;
        nextId++;
        ports.put(entry.status().id(), entry);
        log.debug((started ? "published " : "listening for ") + entry.status());
        return entry.status();
    }

    private Proto check(PortSpec spec) throws PortDriverException {
        if (closed) {
            throw new PortDriverException("the usernet port driver is closed");
        }
        PortSpecValidator.validate(spec, ports.values().stream().map(Entry::status).toList());
        final Proto proto = Proto.of(spec.proto()).orElse(null);
        if (proto == null || !PROTOS.contains(spec.proto())) {
            throw new PortDriverException("unsupported protocol " + GoText.quote(spec.proto())
                    + " (the usernet port driver forwards " + String.join(", ", PROTOS) + ")");
        }
        return proto;
    }

    /** Hands the entry's socket to the stack, which owns it from now on (and has closed it if this throws). */
    private Entry publish(Entry entry) throws PortDriverException {
        final PortSpec spec = entry.status().spec();
        final byte[] guestIp = entry.guestIp();
        final boolean tcp = spec.proto().startsWith("tcp");
        final int fd = entry.listenFd();
        try {
            if (guestIp == null ? spec.proto().endsWith("6") : guestIp.length == 16) {
                return entry.publishedAs(tcp ? stack.publishTcp6(fd, guestIp, spec.childPort())
                        : stack.publishUdp6(fd, guestIp, spec.childPort()));
            }
            final int guestIpv4 = guestIp == null ? 0 : ByteBuffer.wrap(guestIp).getInt();
            return entry.publishedAs(tcp ? stack.publishTcp(fd, guestIpv4, spec.childPort())
                    : stack.publishUdp(fd, guestIpv4, spec.childPort()));
        } catch (NetworkDriverException e) {
            throw new PortDriverException("cannot serve " + spec + ": " + e.getMessage(), e);
        }
    }

    /** The spec's child IP when given (4 or 16 bytes), else null for the address the namespace was given. */
    static byte[] guestAddress(PortSpec spec) throws PortDriverException {
        if (spec.childIP().isEmpty()) {
            return null;
        }
        final byte[] ip = IpLiteral.parse(spec.childIP());
        if (ip == null) {
            throw new PortDriverException("invalid IP: " + GoText.quote(spec.childIP()));
        }
        return ip;
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
        ports.forEach((id, e) -> counters.put(id, e.counters()));
        return counters;
    }

    @Override
    public synchronized PortCounters totalCounters() {
        PortCounters total = removed;
        for (Entry e : ports.values()) {
            total = total.plus(e.counters());
        }
        return total;
    }

    @Override
    public synchronized void removePort(int id) throws PortDriverException {
        final Entry entry = ports.remove(id);
        if (entry == null) {
            throw new UnknownPortException(id);
        }
        try {
            stop(entry);
        } catch (Exception e) {
            throw new PortDriverException("cannot remove port " + id + ": " + e.getMessage(), e);
        } finally {
            removed = removed.plus(entry.counters().ended());
        }
        log.debug("removed " + entry.status());
    }

    private void stop(Entry entry) throws Exception {
        if (entry.published() == null) {
            sockets.close(entry.listenFd());
        } else {
            entry.published().close();
        }
    }

    /** The listeners close here; the stack itself stops with the network driver. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Entry e : ports.values()) {
            try {
                stop(e);
            } catch (Exception ex) {
                log.debug("cannot close " + e.status() + ": " + ex.getMessage());
            }
        }
        ports.clear();
    }
}
