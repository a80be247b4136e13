package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import dev.rootlessjkit.port.ChildHalfException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parent's one connection to the child half's {@code .bp.sock}. Requests are multiplexed by ID over the
 * SOCK_SEQPACKET socket (message boundaries and the fds attached to them are kept by the kernel), so a
 * connection costs one sendmsg and one recvmsg rather than a new unix connection. One reader thread completes
 * the futures; callers hop back to their own event loop.
 *
 * <p>Callers are event loops, so a request is sent without blocking; when the socket's buffer is full (a burst
 * of connections, or a child half that stopped reading) requests wait in a bounded backlog that a writer thread
 * sends in order, and past that bound a connection is refused with a message saying so.
 */
final class ChildBridge implements AutoCloseable {
    static final int MAX_BACKLOG = 4096;
    private static final byte[] NO_SOURCE = {};
    private final Sockets sockets;
    private final Path socketPath;
    private final Log log;
    private final Map<Integer, CompletableFuture<Integer>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    /** Requests that did not fit in the socket's send buffer, oldest first; guarded by {@code this}. */
    private final ArrayDeque<byte[]> backlog = new ArrayDeque<>();
    /** The reader and the writer: the last of them to stop closes the socket, so no fd number is reused early. */
    private final AtomicInteger users = new AtomicInteger(2);
    private volatile int fd = -1;
    private volatile boolean closed;

    ChildBridge(Sockets sockets, Path socketPath, Log log) {
        this.sockets = sockets;
        this.socketPath = socketPath;
        this.log = log;
    }

    /** Connects to the child half, retrying while it is not listening yet. */
    void connect(Duration timeout) throws ChildHalfException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        SocketCallException last;
        do {
            try {
                fd = sockets.connectUnix(socketPath, Sockets.Type.SEQPACKET);
                daemon(this::readLoop, "builtin-port-bridge").start();
                daemon(this::writeLoop, "builtin-port-bridge-writer").start();
                return;
            } catch (SocketCallException e) {
                last = e;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChildHalfException("interrupted while waiting for the builtin port driver's child half");
            }
        } while (System.nanoTime() < deadline);
        throw new ChildHalfException("the builtin port driver's child half did not start within "
                + timeout.toMillis() + " ms: " + last.getMessage(), last);
    }

    /** Asks the child to connect to {@code address:port} inside the namespace; completes with the connected fd. */
    CompletableFuture<Integer> open(boolean tcp, byte[] address, int port) {
        return open(tcp, address, port, null);
    }

    /**
     * Like {@link #open(boolean, byte[], int)}, telling the child half who the client is ({@code client}, null when
     * unknown), so that with --source-ip-transparent it can dial from the client's address.
     */
    CompletableFuture<Integer> open(boolean tcp, byte[] address, int port, InetSocketAddress client) {
        final CompletableFuture<Integer> f = new CompletableFuture<>();
        final int id = nextId.incrementAndGet();
        final byte[] source = client == null || client.getAddress() == null ? NO_SOURCE
                : client.getAddress().getAddress();
        final byte[] request = new ConnectRequest(id, tcp, address, port, source,
                source.length == 0 ? 0 : client.getPort()).encode();
        // Under the lock so that the socket cannot be closed (and the kernel reuse its number) mid-send, and so
        // that nothing overtakes the backlog.
        synchronized (this) {
            if (closed || fd < 0) {
                f.completeExceptionally(ConnectFailedException.childGone());
                return f;
            }
            pending.put(id, f);
            try {
                if (backlog.isEmpty() && sockets.trySend(fd, request, -1)) {
                    return f;
                }
            } catch (SocketCallException e) {
                pending.remove(id);
                f.completeExceptionally(new ConnectFailedException("cannot reach the child half: " + e.getMessage(),
                        TcpPortTraffic.Failure.OTHER));
                return f;
            }
            if (backlog.size() >= MAX_BACKLOG) {
                pending.remove(id);
                f.completeExceptionally(new ConnectFailedException("refused: " + MAX_BACKLOG
                        + " connections are already waiting for the child half", TcpPortTraffic.Failure.LIMIT));
                return f;
            }
            backlog.add(request);
            notifyAll();
        }
        return f;
    }

    /** Sends the backlog in order, blocking outside the lock so that {@link #open} never waits for it. */
    private void writeLoop() {
        final int socket = fd;
        try {
            while (true) {
                final byte[] request;
                synchronized (this) {
                    while (backlog.isEmpty() && !closed) {
                        wait();
                    }
                    if (closed) {
                        return;
                    }
                    request = backlog.peek();
                }
                sockets.send(socket, request, -1);
                synchronized (this) {
                    backlog.poll();
                }
            }
        } catch (SocketCallException e) {
            if (!closed) {
                log.warn("builtin port driver: cannot reach the child half: " + e.getMessage());
            }
            // The reader wakes up at end of stream and fails what is pending.
            sockets.shutdown(socket);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            release(socket);
        }
    }

    private void release(int socket) {
        if (users.decrementAndGet() == 0) {
            sockets.close(socket);
        }
    }

    private void readLoop() {
        final byte[] buf = new byte[ConnectReply.BYTES];
        final int socket = fd;
        try {
            while (true) {
                final Sockets.Received r = sockets.receive(socket, buf);
                if (r.length() == 0) {
                    break;
                }
                final ConnectReply reply = ConnectReply.decode(buf, r.length());
                final CompletableFuture<Integer> f = reply == null ? null : pending.remove(reply.id());
                if (f == null) {
                    if (r.fd() >= 0) {
                        sockets.close(r.fd());
                    }
                    continue;
                }
                if (reply.errno() == Errno.EAGAIN) {
                    f.completeExceptionally(new ConnectFailedException("refused: " + PendingDials.MAX_PER_TARGET
                            + " connects to this target are already in progress inside the namespace",
                            TcpPortTraffic.Failure.LIMIT));
                } else if (reply.errno() != 0) {
                    f.completeExceptionally(new ConnectFailedException("connect: " + sockets.describe(reply.errno()),
                            ConnectFailedException.classify(reply.errno())));
                } else if (r.fd() < 0) {
                    // The kernel drops a passed fd when this process is at its fd limit (EMFILE): MSG_CTRUNC.
                    f.completeExceptionally(new ConnectFailedException(r.fdDropped()
                            ? "the connected socket was dropped: " + sockets.describe(Errno.EMFILE)
                            : "the child half passed no socket", TcpPortTraffic.Failure.OTHER));
                } else if (!f.complete(r.fd())) {
                    sockets.close(r.fd());
                }
            }
        } catch (SocketCallException e) {
            if (!closed) {
                log.warn("builtin port driver: lost the child half: " + e.getMessage());
            }
        } finally {
            synchronized (this) {
                closed = true;
                backlog.clear();
                notifyAll();
            }
            release(socket);
            pending.values().forEach(f -> f.completeExceptionally(
                    ConnectFailedException.childGone()));
            pending.clear();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        final Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public synchronized void close() {
        if (!closed && fd >= 0) {
            // The reader wakes up at end of stream, fails what is pending and closes the fd.
            sockets.shutdown(fd);
        }
        closed = true;
        notifyAll();
    }
}
