package dev.rootlessjkit.port.usernet;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.usernet.Ipv4Address;
import dev.rootlessjkit.net.usernet.UsernetException;
import dev.rootlessjkit.net.usernet.UsernetNetwork;
import dev.rootlessjkit.port.GoText;
import dev.rootlessjkit.port.IpLiteral;
import dev.rootlessjkit.port.ListenException;
import dev.rootlessjkit.port.ListenFailures;
import dev.rootlessjkit.port.ParentPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortSpecValidator;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.UnknownPortException;
import io.netty.channel.unix.Errors;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@code --port-driver=usernet} (with {@code --net=usernet} only): our stack listens on the host and opens each
 * connection into the namespace itself, so the server inside sees the client's real address. A loopback client
 * cannot keep 127.0.0.1 (inside, that is the namespace's own loopback) and appears as the gateway (cidr+2, e.g.
 * 10.0.2.2), as do IPv6 clients and addresses of the namespace's own network; every other client keeps its
 * address. Parent only: the child runs CMD without a half of ours. TCP and UDP over IPv4 inside (the usernet network
 * has no IPv6); IDs are never reused.
 */
public final class UsernetPortDriver implements ParentPortDriver {
    public static final String NAME = "usernet";
    public static final List<String> PROTOS = List.of("tcp", "tcp4", "udp", "udp4");
    private static final int EADDRINUSE = 98;
    private static final int EACCES = 13;

    private final Supplier<UsernetNetwork> networkSource;
    private final Log log;
    private final Map<Integer, Entry> ports = new TreeMap<>();
    private UsernetNetwork network;
    private int nextId = 1;
    private boolean closed;

    private record Entry(PortStatus status, AutoCloseable published) {
    }

    /** @param networkSource the running network once the network driver has started it (null before) */
    public UsernetPortDriver(Supplier<UsernetNetwork> networkSource, Log log) {
        this.networkSource = networkSource;
        this.log = log;
    }

    @Override
    public PortDriverInfo info() {
        // A loopback child IP would be the namespace's own loopback, which no packet from outside may reach.
        return new PortDriverInfo(NAME, PROTOS, true);
    }

    @Override
    public Map<String, String> opaqueForChild() {
        return Map.of();
    }

    /** The network driver started the stack before the port driver starts; this picks it up. */
    @Override
    public synchronized void start(Duration timeout) throws PortDriverException {
        final UsernetNetwork running = networkSource.get();
        if (running == null) {
            throw new PortDriverException("the usernet port driver found no running usernet network");
        }
        network = running;
    }

    @Override
    public synchronized PortStatus addPort(PortSpec spec) throws PortDriverException {
        if (network == null || closed) {
            throw new PortDriverException("the usernet port driver is not running");
        }
        PortSpecValidator.validate(spec, ports.values().stream().map(Entry::status).toList());
        if (!PROTOS.contains(spec.proto())) {
            throw new PortDriverException("unsupported protocol " + GoText.quote(spec.proto())
                    + " (the usernet port driver forwards " + String.join(", ", PROTOS) + ")");
        }
        final InetSocketAddress bind = listenAddress(spec);
        final int guestIp = guestAddress(spec);
        final AutoCloseable published;
        try {
            published = spec.proto().startsWith("tcp") ? network.publishTcp(bind, guestIp, spec.childPort())
                    : network.publishUdp(bind, guestIp, spec.childPort());
        } catch (UsernetException e) {
            throw listenError(spec, e.getCause());
        }
        final PortStatus status = new PortStatus(nextId++, spec);
        ports.put(status.id(), new Entry(status, published));
        log.debug("published " + status);
        return status;
    }

    /** Empty: every address, of both families for {@code tcp}/{@code udp}, of IPv4 for {@code tcp4}/{@code udp4}. */
    private static InetSocketAddress listenAddress(PortSpec spec) throws PortDriverException {
        final String ip = spec.parentIP();
        final byte[] parsed = ip.isEmpty() ? null : IpLiteral.parse(ip);
        if (!ip.isEmpty() && parsed == null) {
            throw new PortDriverException("invalid IP: " + GoText.quote(ip));
        }
        final boolean v4only = spec.proto().endsWith("4");
        if (v4only && parsed != null && parsed.length != 4) {
            throw new ListenException("listen " + spec.proto() + " " + display(spec) + ": address " + ip + ": not an IPv4 address",
                    0);
        }
        try {
            if (parsed == null) {
                return v4only
                        ? new InetSocketAddress(InetAddress.getByAddress(new byte[4]), spec.parentPort())
                        : new InetSocketAddress(spec.parentPort());
            }
            return new InetSocketAddress(InetAddress.getByAddress(parsed), spec.parentPort());
        } catch (UnknownHostException e) {
            throw new PortDriverException("invalid IP: " + GoText.quote(ip), e);
        }
    }

    /** The spec's child IP when given (IPv4: the namespace has no other), else 0 for the address it was given. */
    static int guestAddress(PortSpec spec) throws PortDriverException {
        if (spec.childIP().isEmpty()) {
            return 0;
        }
        final byte[] ip = IpLiteral.parse(spec.childIP());
        if (ip == null) {
            throw new PortDriverException("invalid IP: " + GoText.quote(spec.childIP()));
        }
        if (ip.length != 4) {
            throw new PortDriverException("unsupported child IP (v6?): " + spec.childIP()
                    + " (the usernet network is IPv4 only)");
        }
        return Ipv4Address.fromInet(inet(ip));
    }

    private static InetAddress inet(byte[] ip) throws PortDriverException {
        try {
            return InetAddress.getByAddress(ip);
        } catch (UnknownHostException e) {
            throw new PortDriverException("invalid IP: " + e.getMessage(), e);
        }
    }

    /** Go's net.Listen wording, which users and scripts know: {@code listen tcp 127.0.0.1:80: bind: ...}. */
    private static ListenException listenError(PortSpec spec, Throwable cause) {
        final int errno = cause instanceof Errors.NativeIoException n ? -n.expectedErr() : 0;
        final String message = "listen " + spec.proto() + " " + display(spec) + ": " + describe(errno, cause);
        return ListenFailures.classify(message, errno, spec.parentPort());
    }

    private static String describe(int errno, Throwable cause) {
        return switch (errno) {
            case EADDRINUSE -> "bind: address already in use";
            case EACCES -> "bind: permission denied";
            default -> cause == null ? "unknown error" : String.valueOf(cause.getMessage());
        };
    }

    private static String display(PortSpec spec) {
        final String ip = spec.parentIP();
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + spec.parentPort();
    }

    @Override
    public synchronized List<PortStatus> listPorts() {
        final List<PortStatus> list = new ArrayList<>(ports.size());
        ports.values().forEach(e -> list.add(e.status()));
        return list;
    }

    @Override
    public synchronized void removePort(int id) throws PortDriverException {
        final Entry entry = ports.remove(id);
        if (entry == null) {
            throw new UnknownPortException(id);
        }
        try {
            entry.published().close();
        } catch (Exception e) {
            throw new PortDriverException("cannot remove port " + id + ": " + e.getMessage(), e);
        }
        log.debug("removed " + entry.status());
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
                e.published().close();
            } catch (Exception ex) {
                log.debug("cannot close " + e.status() + ": " + ex.getMessage());
            }
        }
        ports.clear();
    }
}
