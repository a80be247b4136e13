package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Epoll;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One published TCP connection relayed with splice(2): each direction moves socket → its own pipe → the other
 * socket inside the kernel. Lives on one {@link SpliceLoop} and is touched only by its thread.
 *
 * <p>Exact by construction: a direction reads only while its pipe has room and writes what its pipe holds, so
 * every byte read is written once. End of input on one socket becomes shutdown(SHUT_WR) on the other after the
 * pipe has drained (TCP half-close); both sockets close when both directions have ended, or at once on an error
 * (a reset, EPIPE, EPOLLERR). A write that would block (EAGAIN) parks its direction until the destination is
 * writable again, and a parked direction does not read either, so a peer that stops reading stops its sender
 * through TCP's window, with nothing buffered but the pipe and the sockets' own buffers.
 */
final class SpliceRelay {
    /** The fds and the relay's place in the owner's books, released by {@link #close} exactly once. */
    interface Owner {
        /** The relay is running; false when the owner was closed meanwhile (the relay then closes at once). */
        boolean track(SpliceRelay relay);

        /**
         * The relay has ended and closed its pipes, and its sockets too unless {@code socketsClosed} is false:
         * then {@link #fallBack} follows.
         */
        void untrack(SpliceRelay relay, boolean socketsClosed);

        /**
         * Splice cannot carry this connection; nothing was read from or written to either socket, which are
         * open and the owner's again.
         */
        void fallBack(String why);

        /** The port's counters, where the bytes the relay writes out are counted. */
        TcpPortTraffic traffic();
    }

    private final SpliceLoop loop;
    private final Splice splice;
    final long id;
    private final int client;
    private final int backend;
    private final int growTo;
    private final Owner owner;
    private final TcpPortTraffic traffic;
    private final Direction upstream;
    private final Direction downstream;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private boolean moved;
    private boolean open = true;

    /** One way through the relay: what {@code from} sends goes through the pipe to {@code to}. */
    private static final class Direction {
        final int from;
        final int to;
        final int pipeOut;
        final int pipeIn;
        int capacity = Splice.DEFAULT_PIPE_BYTES;
        boolean grown;
        long inPipe;
        boolean endOfInput;
        boolean parked;
        boolean ended;

        Direction(int from, int to, int[] pipe) {
            this.from = from;
            this.to = to;
            this.pipeOut = pipe[0];
            this.pipeIn = pipe[1];
        }
    }

    /**
     * @param upPipe, downPipe {read end, write end} of the client → backend and backend → client pipes, of the
     *                         kernel's default size
     * @param growTo           the size a pipe is grown to once a single read fills it, or 0 to keep the default
     */
    SpliceRelay(SpliceLoop loop, Splice splice, long id, int client, int backend, int[] upPipe, int[] downPipe,
            int growTo, Owner owner) {
        this.loop = loop;
        this.splice = splice;
        this.id = id;
        this.client = client;
        this.backend = backend;
        this.growTo = growTo;
        this.owner = owner;
        this.traffic = owner.traffic();
        this.upstream = new Direction(client, backend, upPipe);
        this.downstream = new Direction(backend, client, downPipe);
    }

    int client() {
        return client;
    }

    int backend() {
        return backend;
    }

    /** An event on the client's socket ({@code backendSide} false) or the backend's. */
    void onEvent(boolean backendSide, int events) {
        if ((events & Epoll.ERR) != 0) {
            close();
            return;
        }
        final Direction in = backendSide ? downstream : upstream;
        final Direction out = backendSide ? upstream : downstream;
        if ((events & (Epoll.OUT | Epoll.HUP)) != 0 && out.parked) {
            out.parked = false;
            pump(out);
        }
        if (open && (events & (Epoll.IN | Epoll.HUP)) != 0 && !in.parked && !in.ended) {
            pump(in);
        }
    }

    /**
     * Moves what {@code d} can until its source is empty (EAGAIN on an empty pipe: epoll reports the next
     * bytes), its destination is full (parked until EPOLLOUT), or it has ended.
     */
    private void pump(Direction d) {
        while (true) {
            boolean progress = false;
            if (!d.endOfInput && d.inPipe < d.capacity) {
                final long n = splice.move(d.from, d.pipeIn, d.capacity - d.inPipe);
                if (n > 0) {
                    d.inPipe += n;
                    moved = true;
                    progress = true;
                    if (d.inPipe >= d.capacity && !d.grown) {
                        grow(d);
                    }
                } else if (n == 0) {
                    d.endOfInput = true;
                    progress = true;
                } else if (n != -Splice.EAGAIN) {
                    fail((int) -n);
                    return;
                }
            }
            if (d.inPipe > 0) {
                final long n = splice.move(d.pipeOut, d.to, d.inPipe);
                if (n > 0) {
                    d.inPipe -= n;
                    progress = true;
                    if (d == upstream) {
                        traffic.toChild(n);
                    } else {
                        traffic.fromChild(n);
                    }
                } else if (n == -Splice.EAGAIN) {
                    d.parked = true;
                    return;
                } else {
                    fail(n == 0 ? Splice.EPIPE : (int) -n);
                    return;
                }
            }
            if (d.endOfInput && d.inPipe == 0) {
                end(d);
                return;
            }
            if (!progress) {
                return;
            }
        }
    }

    /**
     * A read that fills the pipe marks a bulk transfer: a larger pipe then moves it in fewer calls. Connections
     * that never fill 64 KiB (requests, interactive sessions) keep the default, and their user's pipe pages
     * (/proc/sys/fs/pipe-user-pages-soft, shared with every pipe the user's containers make) are not spent on them.
     */
    private void grow(Direction d) {
        d.grown = true;
        if (growTo > d.capacity) {
            final int size = splice.resizePipe(d.pipeIn, growTo);
            if (size > d.capacity) {
                d.capacity = size;
            }
        }
    }

    private void end(Direction d) {
        d.ended = true;
        if (splice.shutdownOutput(d.to) != 0) {
            close();
        } else if (upstream.ended && downstream.ended) {
            close();
        }
    }

    /**
     * EINVAL before any byte moved means the kernel does not splice these sockets: the buffer relay takes them
     * over untouched. Any other failure (or a late EINVAL) ends the connection.
     */
    private void fail(int errno) {
        if (errno == Splice.EINVAL && !moved) {
            loop.release(this, false);
            owner.fallBack(splice.error("splice", errno).getMessage());
            return;
        }
        close();
    }

    /** Closes both sockets and both pipes; the second call does nothing. Loop thread only. */
    void close() {
        if (open) {
            loop.release(this, true);
        }
    }

    /**
     * Closes the pipes and, unless {@code withSockets} is false (the buffer relay takes them over), the sockets;
     * the loop has already stopped watching them.
     */
    void releaseFds(boolean withSockets) {
        open = false;
        for (Direction d : new Direction[] {upstream, downstream}) {
            splice.close(d.pipeOut);
            splice.close(d.pipeIn);
        }
        if (withSockets) {
            splice.close(client);
            splice.close(backend);
        }
        owner.untrack(this, withSockets);
        closed.complete(null);
    }

    /** Closes the relay from any thread; completes once it is closed. */
    CompletableFuture<Void> closeAsync() {
        try {
            loop.execute(this::close);
        } catch (RejectedExecutionException e) {
            // The loop has stopped, closing every relay it had.
        }
        return closed;
    }
}
