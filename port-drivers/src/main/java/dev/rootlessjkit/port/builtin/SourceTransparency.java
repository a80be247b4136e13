package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.PolicyRouting;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.linux.Sysctl;
import dev.rootlessjkit.linux.TcpListeners;
import dev.rootlessjkit.log.Log;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code --source-ip-transparent} in the child half: TCP connections from clients that are not on the host's
 * loopback are dialled from the client's own address (IP_TRANSPARENT), so the server inside sees who connected.
 *
 * <p>The server answers to an address the namespace does not have; policy routing brings those answers back:
 * the dialling socket marks its packets ({@value #MARK}), {@code tcp_fwmark_accept} gives the server's accepted
 * socket that mark, and a rule sends marked packets to a table ({@value #TABLE}) whose one route delivers
 * everything locally. RootlessKit does the same with iptables CONNMARK rules; socket marks need no iptables. Two
 * consequences shape {@link #dial}. The dialling socket's own packets follow that table too, so only targets that
 * are addresses of the namespace are dialled this way (a packet to anywhere else would be delivered locally). And
 * only answers from a local listener carry the mark: the kernel's RST from a port where nothing listens does not,
 * nor does anything from another namespace that a DNAT rule inside sends the connection to (Docker with
 * userland-proxy off, CNI portmap), so such a dial would hang; a target is dialled this way only when a listener
 * takes it (sock_diag), and a dial from the client's address that is still unanswered after
 * {@value #ANSWER_MILLIS} ms (a DNAT rule in front of a listener) is made again without it, as are later ones to
 * that target.
 *
 * <p>UDP keeps the child half's address: a UDP server answers from a socket that no SYN marked, so the answer
 * would follow the main table out of the namespace (RootlessKit found the same, rootlesskit#592).
 */
final class SourceTransparency implements AutoCloseable {
    static final int MARK = 100;
    static final int TABLE = 100;
    static final int PRIORITY = 100;
    static final int ANSWER_MILLIS = 3000;
    private static final int MAX_UNANSWERED_TARGETS = 1024;
    private static final Path PORT_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private final Sockets sockets;
    private final Linux linux;
    private final Log log;
    private boolean prepared;
    private boolean ipv4;
    private boolean ipv6;
    private int ephemeralLow;
    private int ephemeralHigh;
    private TcpListeners listeners;
    private ThreadPoolExecutor redials;
    /** Targets that left a dial from a client's address unanswered; guarded by {@code this}. */
    private final Set<String> unanswered = new HashSet<>();

    SourceTransparency(Sockets sockets, Linux linux, Log log) {
        this.sockets = sockets;
        this.linux = linux;
        this.log = log;
    }

    /**
     * Sets up the policy routing in the calling thread's network namespace, the first time only; when the kernel
     * refuses a step, that address family is dialled as without the flag and one debug line says why.
     */
    synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        try {
            // Local routes on a device that is down are refused; the network driver brings lo up too, later.
            linux.bringUp("lo");
            PolicyRouting.acceptSynMarks();
        } catch (IOException e) {
            fallBack("IPv4 and IPv6", e);
            return;
        }
        try (PolicyRouting routing = PolicyRouting.open()) {
            listeners = TcpListeners.open();
            ipv4 = route(routing, false);
            ipv6 = route(routing, true);
        } catch (ErrnoException e) {
            fallBack("IPv4 and IPv6", e);
            return;
        }
        ephemeralPorts();
        // Started here, so that its thread is in this namespace: a dial made again must be made inside.
        redials = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(PendingDials.MAX_TOTAL), r -> {
                    final Thread t = new Thread(r, "builtin-port-redial");
                    t.setDaemon(true);
                    return t;
                });
        redials.prestartAllCoreThreads();
    }

    private boolean route(PolicyRouting routing, boolean v6) {
        try {
            routing.addLocalDefaultRoute(v6, TABLE);
            routing.addFwmarkRule(v6, MARK, TABLE, PRIORITY);
            return true;
        } catch (ErrnoException e) {
            fallBack(v6 ? "IPv6" : "IPv4", e);
            return false;
        }
    }

    private void fallBack(String families, IOException why) {
        log.debug("builtin port driver: --source-ip-transparent: " + why.getMessage() + "; " + families
                + " clients are dialled from the namespace's own address instead of theirs");
    }

    /**
     * A client's port is kept when it is in the namespace's ephemeral range, where the kernel picks ports of its own
     * connections; a port outside it (say 80) could keep a server inside from binding that port while the
     * connection lasts, so the kernel picks one instead.
     */
    private void ephemeralPorts() {
        try {
            final String[] range = Sysctl.read(PORT_RANGE).split("\\s+");
            ephemeralLow = Integer.parseInt(range[0]);
            ephemeralHigh = Integer.parseInt(range[1]);
        } catch (IOException | RuntimeException e) {
            log.debug("builtin port driver: cannot read " + PORT_RANGE + " (" + e.getMessage()
                    + "): dials from clients' addresses use ports the kernel picks");
        }
    }

    /**
     * Starts a dial from the client's address, or returns null when this request is to be dialled as without the
     * flag: UDP, no client address, a client on the host's loopback (RootlessKit's rule: 127.0.0.1 inside is the
     * namespace's own), a family the set-up failed for, a target that is not an address of the namespace, one where
     * no listener takes the connection, or one that left such a dial unanswered before. A refusal that is not the
     * target's answer (the kernel refusing IP_TRANSPARENT, say) or a refusal at once is logged and gives null too.
     * Called by one thread, inside the namespace.
     */
    Sockets.Connecting dial(ConnectRequest req, String subject) {
        if (!req.tcp() || !req.hasSource() || isLoopbackOrUnspecified(req.source())) {
            return null;
        }
        final byte[] source = req.source();
        if (source.length != req.address().length) {
            log.debug("builtin port driver: " + subject + ": the client " + literal(source) + " and the target differ"
                    + " in address family; dialled from the namespace's own address");
            return null;
        }
        if (!(source.length == 4 ? ipv4 : ipv6)) {
            return null;
        }
        synchronized (this) {
            if (unanswered.contains(subject)) {
                return null;
            }
        }
        try {
            if (!isLoopbackOrUnspecified(req.address()) && !sockets.isLocalAddress(req.address())) {
                log.debug("builtin port driver: " + subject + " is not an address of the namespace, where answers"
                        + " to the client's address could be routed back; dialled from the namespace's own address");
                return null;
            }
            if (!listeners.listening(req.address(), req.port())) {
                log.debug("builtin port driver: " + subject + ": no listener there (a DNAT rule may take the"
                        + " connection elsewhere, where answers to the client's address cannot come back); dialled"
                        + " from the namespace's own address");
                return null;
            }
        } catch (ErrnoException e) {
            log.debug("builtin port driver: --source-ip-transparent: " + e.getMessage()
                    + "; dialled from the namespace's own address");
            return null;
        }
        final int port = req.sourcePort() >= ephemeralLow && req.sourcePort() <= ephemeralHigh ? req.sourcePort() : 0;
        return transparent(req, subject, port);
    }

    private Sockets.Connecting transparent(ConnectRequest req, String subject, int port) {
        try {
            return sockets.connectTransparent(req.address(), req.port(), req.source(), port, MARK, subject);
        } catch (SocketCallException e) {
            if (port != 0 && (e.errno() == Errno.EADDRINUSE || e.errno() == Errno.EADDRNOTAVAIL)) {
                // The client's port is taken inside, e.g. by its connection to another published port.
                return transparent(req, subject, 0);
            }
            if (e.call().equals("connect") && e.errno() == Errno.ECONNREFUSED) {
                logRefused(subject);
            } else {
                log.debug("builtin port driver: --source-ip-transparent: " + e.getMessage()
                        + "; dialled from the namespace's own address");
            }
            return null;
        }
    }

    /**
     * For a dial from a client's address that failed with {@code errno}: runs {@code dial}, the same dial from the
     * namespace's own address, on a thread inside the namespace, and returns true; false when {@code errno} is an
     * answer to pass on as it is, or too many wait. A target that left the dial unanswered is dialled from the
     * namespace's own address from now on: something (a DNAT rule) takes its connections where answers cannot come
     * back.
     */
    boolean redial(String subject, int errno, Runnable dial) {
        if (errno == Errno.ETIMEDOUT) {
            synchronized (this) {
                if (unanswered.size() < MAX_UNANSWERED_TARGETS) {
                    unanswered.add(subject);
                }
            }
            log.debug("builtin port driver: " + subject + ": no answer to the client's address within "
                    + ANSWER_MILLIS + " ms (a DNAT rule inside?); dialling it from the namespace's own address from"
                    + " now on");
        } else if (errno == Errno.ECONNREFUSED) {
            logRefused(subject);
        } else {
            return false;
        }
        try {
            redials.execute(dial);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void logRefused(String subject) {
        log.debug("builtin port driver: " + subject + ": refused to the client's address; dialling again from the"
                + " namespace's own");
    }

    private static boolean isLoopbackOrUnspecified(byte[] a) {
        if (a.length == 4) {
            return a[0] == 127 || a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0;
        }
        for (int i = 0; i < 15; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[15] == 1 || a[15] == 0;
    }

    private static String literal(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of " + address.length + " bytes", e);
        }
    }

    @Override
    public synchronized void close() {
        if (redials != null) {
            redials.shutdownNow();
        }
        if (listeners != null) {
            listeners.close();
        }
    }
}
