package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.ChildHalfException;
import dev.rootlessjkit.port.ChildPortDriver;
import dev.rootlessjkit.port.PortDriverException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The builtin driver's half inside the namespace: listens on {@code .bp.sock} (mode 0600) and, for each request,
 * connects a socket inside the network namespace and passes it back. Uses no Netty, so the child JVM stays lean:
 * one accept thread, one reader thread per parent connection, and one thread watching the connects that do not
 * complete at once (loopback connects, the common case, have completed when connect(2) returns).
 *
 * <p>With {@code --detach-netns} the child process stays in the host's network namespace and the namespace to
 * dial in is the one bind-mounted at {@code $STATE/netns}: each reader thread enters it before serving, and the
 * kernel creates a socket in the namespace of the thread that calls socket(2). Dialling from the host's namespace
 * instead would reach the host's own loopback, often the parent's listener for the same port: a loop.
 */
public final class BuiltinChildDriver implements ChildPortDriver {
    static final String SOCKET_PATH_KEY = "builtin.socketpath";
    /** RootlessKit's key: "true" for --source-ip-transparent, absent otherwise. */
    static final String SOURCE_IP_TRANSPARENT_KEY = "builtin.source-ip-transparent";
    private static final int CONNECT_TIMEOUT_MILLIS = 30_000;

    private final Sockets sockets;
    private final Linux linux;
    private final Path detachedNetns;
    private final Log log;
    private final Set<Integer> connections = ConcurrentHashMap.newKeySet();
    private PendingDials pending;
    private SourceTransparency transparency;
    private volatile boolean closed;
    private int listener = -1;

    /**
     * @param linux         enters {@code detachedNetns}, sets up --source-ip-transparent's routing
     * @param detachedNetns the namespace to dial in ({@code $STATE/netns}), or null for this process's own
     */
    public BuiltinChildDriver(Sockets sockets, Linux linux, Path detachedNetns, Log log) {
        this.sockets = sockets;
        this.linux = linux;
        this.detachedNetns = detachedNetns;
        this.log = log;
    }

    /** Whether {@code opaque} came from a builtin parent half. */
    public static boolean handles(Map<String, String> opaque) {
        return opaque.containsKey(SOCKET_PATH_KEY);
    }

    @Override
    public synchronized void run(Map<String, String> opaque) throws PortDriverException {
        final String path = opaque.get(SOCKET_PATH_KEY);
        if (path == null || path.isEmpty()) {
            throw new ChildHalfException("builtin port driver: no " + SOCKET_PATH_KEY + " from the parent");
        }
        if ("true".equals(opaque.get(SOURCE_IP_TRANSPARENT_KEY))) {
            transparency = new SourceTransparency(sockets, linux, log);
        }
        try {
            pending = new PendingDials(sockets, log);
            listener = sockets.listenUnix(Path.of(path), Sockets.Type.SEQPACKET, false, 0600, 16);
        } catch (SocketCallException e) {
            if (pending != null) {
                pending.close();
            }
            throw new ChildHalfException("builtin port driver: " + e.getMessage(), e);
        }
        final int fd = listener;
        daemon(() -> acceptLoop(fd), "builtin-port-accept").start();
    }

    private void acceptLoop(int fd) {
        try {
            while (!closed) {
                final int conn = sockets.accept(fd);
                connections.add(conn);
                daemon(() -> serve(conn), "builtin-port-parent").start();
            }
        } catch (SocketCallException e) {
            if (!closed) {
                log.warn("builtin port driver stopped accepting: " + e.getMessage());
            }
        } finally {
            sockets.close(fd);
        }
    }

    private void serve(int conn) {
        final byte[] buf = new byte[ConnectRequest.MAX_BYTES];
        try {
            if (detachedNetns != null) {
                linux.enterNamespace(detachedNetns.toString(), Linux.CLONE_NEWNET);
            }
            if (transparency != null) {
                transparency.prepare();
            }
            while (true) {
                final Sockets.Received r = sockets.receive(conn, buf);
                if (r.fd() >= 0) {
                    sockets.close(r.fd());
                }
                if (r.length() == 0) {
                    return;
                }
                final ConnectRequest req = ConnectRequest.decode(buf, r.length());
                if (req == null) {
                    log.warn("builtin port driver: ignoring a malformed request of " + r.length() + " bytes");
                    continue;
                }
                connect(conn, req);
            }
        } catch (SocketCallException e) {
            if (!closed) {
                log.warn("builtin port driver: " + e.getMessage());
            }
        } catch (ErrnoException e) {
            log.error("builtin port driver: cannot enter the detached network namespace: " + e.getMessage());
        } finally {
            connections.remove(conn);
            sockets.close(conn);
        }
    }

    /**
     * Never waits for the target: a connect still in progress goes to the watcher, or is refused at its bound. The
     * request is described (for messages and the watcher's per-target bound) only where that is needed: in this
     * JVM's interpreter the description costs ~20 us, on every connection's path.
     */
    private void connect(int conn, ConnectRequest req) {
        if (transparency != null) {
            final String subject = describe(req);
            final Sockets.Connecting c = transparency.dial(req, subject);
            if (c != null) {
                await(conn, req, subject, c, true);
                return;
            }
        }
        dial(conn, req);
    }

    private void dial(int conn, ConnectRequest req) {
        final Sockets.Type type = req.tcp() ? Sockets.Type.STREAM : Sockets.Type.DGRAM;
        final Sockets.Connecting c;
        try {
            c = sockets.connectInet(type, req.address(), req.port(), "");
        } catch (SocketCallException e) {
            log.debug("builtin port driver: " + describe(req) + ": " + e.getMessage());
            reply(conn, req.id(), e.errno(), -1);
            return;
        }
        await(conn, req, null, c, false);
    }

    /**
     * Replies once {@code c} is connected. A dial from the client's address that is refused or unanswered is made
     * again without it (see {@link SourceTransparency#redial}).
     *
     * @param subject the request described, or null when it was not needed so far
     */
    private void await(int conn, ConnectRequest req, String subject, Sockets.Connecting c, boolean transparent) {
        final PendingDials.Outcome outcome = (errno, fd) -> {
            if (!transparent || errno == 0 || !transparency.redial(subject, errno, () -> dial(conn, req))) {
                reply(conn, req.id(), errno, fd);
            }
        };
        if (c.completed()) {
            reply(conn, req.id(), 0, c.fd());
        } else if (finishedAlready(c.fd(), outcome)) {
            return;
        } else {
            final String target = subject != null ? subject : describe(req);
            if (!pending.add(c.fd(), target, transparent ? SourceTransparency.ANSWER_MILLIS : CONNECT_TIMEOUT_MILLIS,
                    outcome)) {
                sockets.close(c.fd());
                log.debug("builtin port driver: " + target + ": too many connects in progress, refusing");
                reply(conn, req.id(), Errno.EAGAIN, -1);
            }
        }
    }

    /**
     * A connect on loopback returns EINPROGRESS, yet the handshake is done by the time connect(2) returns (the
     * answer is processed as the call releases the socket): all of 3,000 loopback dials measured were. One poll
     * without a timeout tells, and spares the hand-over to the watcher thread and its wake-up. When the connect
     * has finished, either way, {@code outcome} gets it here and true is returned.
     */
    private boolean finishedAlready(int fd, PendingDials.Outcome outcome) {
        final int errno;
        try {
            if (!sockets.awaitWritable(new int[] {fd}, 1, -1, 0).get(0)) {
                return false;
            }
            errno = sockets.connectResult(fd);
        } catch (SocketCallException e) {
            return false;
        }
        if (errno != 0) {
            sockets.close(fd);
            outcome.finished(errno, -1);
        } else {
            outcome.finished(0, fd);
        }
        return true;
    }

    /** Sends the reply and closes our copy of the passed socket: the parent owns it from here on. */
    private void reply(int conn, int id, int errno, int fd) {
        try {
            sockets.send(conn, new ConnectReply(id, errno).encode(), fd);
        } catch (SocketCallException e) {
            if (!closed) {
                log.warn("builtin port driver: cannot reply to the parent: " + e.getMessage());
            }
        } finally {
            if (fd >= 0) {
                sockets.close(fd);
            }
        }
    }

    private static String describe(ConnectRequest req) {
        try {
            final String ip = InetAddress.getByAddress(req.address()).getHostAddress();
            return (req.tcp() ? "tcp " : "udp ") + (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + req.port();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of " + req.address().length + " bytes", e);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        final Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listener >= 0) {
            sockets.shutdown(listener);
        }
        connections.forEach(sockets::shutdown);
        if (pending != null) {
            pending.close();
        }
        if (transparency != null) {
            transparency.close();
        }
    }
}
