package dev.rootlessjkit.port.builtin;

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
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The builtin driver's half inside the namespace: listens on {@code .bp.sock} (mode 0600) and, for each request,
 * connects a socket inside this network namespace and passes it back. Uses no Netty, so the child JVM stays lean:
 * one accept thread, one reader thread per parent connection, and workers only for connects that do not complete
 * at once (loopback connects, the common case, complete inside connect(2)).
 */
public final class BuiltinChildDriver implements ChildPortDriver {
    static final String SOCKET_PATH_KEY = "builtin.socketpath";
    private static final int CONNECT_TIMEOUT_MILLIS = 30_000;

    private final Sockets sockets;
    private final Log log;
    private final Set<Integer> connections = ConcurrentHashMap.newKeySet();
    private final ThreadPoolExecutor workers;
    private volatile boolean closed;
    private int listener = -1;

    public BuiltinChildDriver(Sockets sockets, Log log) {
        this.sockets = sockets;
        this.log = log;
        this.workers = new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon(r, "builtin-port-connect"), new ThreadPoolExecutor.CallerRunsPolicy());
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
        try {
            listener = sockets.listenUnix(Path.of(path), Sockets.Type.SEQPACKET, false, 0600, 16);
        } catch (SocketCallException e) {
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
        } finally {
            connections.remove(conn);
            sockets.close(conn);
        }
    }

    private void connect(int conn, ConnectRequest req) {
        final Sockets.Type type = req.tcp() ? Sockets.Type.STREAM : Sockets.Type.DGRAM;
        final String subject = describe(req);
        final Sockets.Connecting c;
        try {
            c = sockets.connectInet(type, req.address(), req.port(), subject);
        } catch (SocketCallException e) {
            log.debug("builtin port driver: " + e.getMessage());
            reply(conn, req.id(), e.errno(), -1);
            return;
        }
        if (c.completed()) {
            reply(conn, req.id(), 0, c.fd());
            return;
        }
        workers.execute(() -> {
            try {
                sockets.awaitConnected(c.fd(), CONNECT_TIMEOUT_MILLIS, subject);
                reply(conn, req.id(), 0, c.fd());
            } catch (SocketCallException e) {
                log.debug("builtin port driver: " + e.getMessage());
                reply(conn, req.id(), e.errno(), -1);
            }
        });
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
        workers.shutdownNow();
    }
}
