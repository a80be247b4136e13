package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.ChildHalfException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parent's one connection to the child half's {@code .bp.sock}. Requests are multiplexed by ID over the
 * SOCK_SEQPACKET socket (message boundaries and the fds attached to them are kept by the kernel), so a
 * connection costs one sendmsg and one recvmsg rather than a new unix connection. One reader thread completes
 * the futures; callers hop back to their own event loop.
 */
final class ChildBridge implements AutoCloseable {
    private final Sockets sockets;
    private final Path socketPath;
    private final Log log;
    private final Map<Integer, CompletableFuture<Integer>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
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
                final Thread reader = new Thread(this::readLoop, "builtin-port-bridge");
                reader.setDaemon(true);
                reader.start();
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
        final CompletableFuture<Integer> f = new CompletableFuture<>();
        final int id = nextId.incrementAndGet();
        // Under the lock so that the reader cannot close the fd (and the kernel reuse its number) mid-send.
        synchronized (this) {
            if (closed || fd < 0) {
                f.completeExceptionally(new ConnectFailedException("the builtin port driver's child half is gone"));
                return f;
            }
            pending.put(id, f);
            try {
                sockets.send(fd, new ConnectRequest(id, tcp, address, port).encode(), -1);
            } catch (SocketCallException e) {
                pending.remove(id);
                f.completeExceptionally(new ConnectFailedException("cannot reach the child half: " + e.getMessage()));
            }
        }
        return f;
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
                if (reply.errno() != 0) {
                    f.completeExceptionally(new ConnectFailedException("connect: " + sockets.describe(reply.errno())));
                } else if (r.fd() < 0) {
                    // The kernel drops a passed fd when this process is at its fd limit (EMFILE): MSG_CTRUNC.
                    f.completeExceptionally(new ConnectFailedException(r.fdDropped()
                            ? "the connected socket was dropped: " + sockets.describe(Sockets.EMFILE)
                            : "the child half passed no socket"));
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
                sockets.close(socket);
            }
            pending.values().forEach(f -> f.completeExceptionally(
                    new ConnectFailedException("the builtin port driver's child half is gone")));
            pending.clear();
        }
    }

    @Override
    public synchronized void close() {
        if (!closed && fd >= 0) {
            // The reader wakes up at end of stream, fails what is pending and closes the fd.
            sockets.shutdown(fd);
        }
        closed = true;
    }
}
