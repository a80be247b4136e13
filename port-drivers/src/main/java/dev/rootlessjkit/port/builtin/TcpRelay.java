package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Epoll;
import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.Splice;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One published TCP connection, relayed between the client's socket and the one dialled inside the namespace. Each
 * direction holds what it has read and not yet written in a pipe, moved with splice(2) so that the bytes never
 * leave the kernel; or, where no pipe can be had (the fds set aside for pipes are spent, the kernel refuses one)
 * or the kernel will not splice these sockets, in a buffer of native memory, moved with read(2) and write(2).
 * Lives on one {@link RelayLoop} and is touched only by its thread.
 *
 * <p>Exact by construction: a direction reads only while its holder has room and writes what its holder holds, so
 * every byte read is written once. End of input on one socket becomes shutdown(SHUT_WR) on the other after the
 * holder has drained (TCP half-close); both sockets close when both directions have ended, or at once on an error
 * (a reset, EPIPE, EPOLLERR). A write that would block (EAGAIN) parks its direction until the destination is
 * writable again, and a parked direction does not read either, so a peer that stops reading stops its sender
 * through TCP's window, with nothing buffered but the holder and the sockets' own buffers.
 */
final class TcpRelay {
    /** The relay's place in its forwarder's books. */
    interface Owner {
        /** The relay is running; false when the owner was closed meanwhile (the relay then closes at once). */
        boolean track(TcpRelay relay);

        /** The relay has ended and closed its sockets. */
        void untrack(TcpRelay relay);

        /** The port's counters, where the bytes the relay writes out are counted. */
        TcpPortTraffic traffic();
    }

    private final RelayLoop loop;
    private final Splice calls;
    final long id;
    private final int client;
    private final int backend;
    private final Owner owner;
    private final TcpPortTraffic traffic;
    private Direction upstream;
    private Direction downstream;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private boolean moved;
    private boolean open = true;

    /** One way through the relay: what {@code from} sends is held here until {@code to} takes it. */
    private abstract static class Direction {
        final int from;
        final int to;
        /** Bytes read from {@code from} and not yet written to {@code to}. */
        long held;
        boolean endOfInput;
        boolean parked;
        boolean ended;

        Direction(int from, int to) {
            this.from = from;
            this.to = to;
        }

        /** Whether another read fits. */
        abstract boolean hasRoom();

        /** Reads what fits: the bytes read (added to {@link #held}), 0 at end of input, or -errno. */
        abstract long fill(Splice calls);

        /** Writes what is held: the bytes written (taken off {@link #held}), or -errno. */
        abstract long drain(Splice calls);

        /** Closes or frees what holds the bytes. */
        abstract void release(Splice calls);
    }

    /** Holds the bytes in a pipe: socket → pipe → socket with splice(2), inside the kernel. */
    private static final class Spliced extends Direction {
        final int pipeOut;
        final int pipeIn;
        /** The size a pipe that fills is grown to, or 0 to keep the default. */
        final int growTo;
        int capacity = Splice.DEFAULT_PIPE_BYTES;
        boolean grown;

        Spliced(int from, int to, int[] pipe, int growTo) {
            super(from, to);
            this.pipeOut = pipe[0];
            this.pipeIn = pipe[1];
            this.growTo = growTo;
        }

        @Override
        boolean hasRoom() {
            return held < capacity;
        }

        @Override
        long fill(Splice calls) {
            final long n = calls.move(from, pipeIn, capacity - held);
            if (n > 0) {
                held += n;
                if (held >= capacity && !grown) {
                    grow(calls);
                }
            }
            return n;
        }

        /**
         * A read that fills the pipe marks a bulk transfer: a larger pipe then moves it in fewer calls. Connections
         * that never fill 64 KiB (requests, interactive sessions) keep the default, and their user's pipe pages
         * (/proc/sys/fs/pipe-user-pages-soft, shared with every pipe the user's containers make) are not spent on
         * them.
         */
        private void grow(Splice calls) {
            grown = true;
            if (growTo > capacity) {
                final int size = calls.resizePipe(pipeIn, growTo);
                if (size > capacity) {
                    capacity = size;
                }
            }
        }

        @Override
        long drain(Splice calls) {
            final long n = calls.move(pipeOut, to, held);
            if (n > 0) {
                held -= n;
            }
            return n;
        }

        @Override
        void release(Splice calls) {
            calls.close(pipeOut);
            calls.close(pipeIn);
        }
    }

    /**
     * Holds the bytes in native memory, read(2) in and write(2) out. The buffer exists only while it holds bytes: a
     * connection that goes quiet holds none, and one whose peer stops reading holds at most {@link #BYTES}.
     */
    private static final class Buffered extends Direction {
        static final int BYTES = 64 * 1024;
        /** 0 while nothing is held. */
        long buffer;
        /** Offset of the first byte held; what follows it up to {@link #BYTES} is room. */
        int start;

        Buffered(int from, int to) {
            super(from, to);
        }

        @Override
        boolean hasRoom() {
            return start + held < BYTES;
        }

        @Override
        long fill(Splice calls) {
            if (buffer == 0) {
                buffer = calls.allocate(BYTES);
            }
            final long n = calls.read(from, buffer + start + held, BYTES - start - held);
            if (n > 0) {
                held += n;
            } else if (held == 0) {
                freeBuffer(calls);
            }
            return n;
        }

        @Override
        long drain(Splice calls) {
            final long n = calls.write(to, buffer + start, held);
            if (n > 0) {
                held -= n;
                start += (int) n;
                if (held == 0) {
                    freeBuffer(calls);
                }
            }
            return n;
        }

        private void freeBuffer(Splice calls) {
            calls.free(buffer);
            buffer = 0;
            start = 0;
        }

        @Override
        void release(Splice calls) {
            if (buffer != 0) {
                freeBuffer(calls);
            }
        }
    }

    /**
     * A relay through pipes when {@code upPipe} and {@code downPipe} are given, else through buffers.
     *
     * @param upPipe, downPipe {read end, write end} of the client → backend and backend → client pipes, of the
     *                         kernel's default size; or both null
     * @param growTo           the size a pipe is grown to once a single read fills it, or 0 to keep the default
     */
    TcpRelay(RelayLoop loop, Splice calls, long id, int client, int backend, int[] upPipe, int[] downPipe, int growTo,
            Owner owner) {
        this.loop = loop;
        this.calls = calls;
        this.id = id;
        this.client = client;
        this.backend = backend;
        this.owner = owner;
        this.traffic = owner.traffic();
        if (upPipe != null) {
            this.upstream = new Spliced(client, backend, upPipe, growTo);
            this.downstream = new Spliced(backend, client, downPipe, growTo);
        } else {
            useBuffers();
        }
    }

    private void useBuffers() {
        upstream = new Buffered(client, backend);
        downstream = new Buffered(backend, client);
    }

    int client() {
        return client;
    }

    int backend() {
        return backend;
    }

    /** Whether the relay holds pipes, whose fds count against the pipes' budget. */
    boolean splices() {
        return upstream instanceof Spliced;
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
     * Moves what {@code d} can until its source is empty (EAGAIN: epoll reports the next bytes), its destination is
     * full (parked until EPOLLOUT), or it has ended.
     */
    private void pump(Direction d) {
        while (true) {
            boolean progress = false;
            if (!d.endOfInput && d.hasRoom()) {
                final long n = d.fill(calls);
                if (n > 0) {
                    moved = true;
                    progress = true;
                } else if (n == 0) {
                    d.endOfInput = true;
                    progress = true;
                } else if (n != -Errno.EAGAIN) {
                    fail((int) -n, d);
                    return;
                }
            }
            if (d.held > 0) {
                final long n = d.drain(calls);
                if (n > 0) {
                    progress = true;
                    if (d == upstream) {
                        traffic.toChild(n);
                    } else {
                        traffic.fromChild(n);
                    }
                } else if (n == -Errno.EAGAIN) {
                    d.parked = true;
                    return;
                } else {
                    fail(n == 0 ? Errno.EPIPE : (int) -n, d);
                    return;
                }
            }
            if (d.endOfInput && d.held == 0) {
                end(d);
                return;
            }
            if (!progress) {
                return;
            }
        }
    }

    private void end(Direction d) {
        d.ended = true;
        if (calls.shutdownOutput(d.to) != 0) {
            close();
        } else if (upstream.ended && downstream.ended) {
            close();
        }
    }

    /**
     * EINVAL from splice before any byte moved means the kernel does not splice these sockets: the relay gives its
     * pipes back and carries the connection through buffers, from the first byte. Any other failure (or a late
     * EINVAL) ends the connection.
     */
    private void fail(int errno, Direction d) {
        if (errno == Errno.EINVAL && !moved && d instanceof Spliced) {
            upstream.release(calls);
            downstream.release(calls);
            loop.pipesReleased();
            useBuffers();
            // Both sockets are watched edge-triggered: what was pending is read now, not at the next event.
            pump(upstream);
            if (open) {
                pump(downstream);
            }
            return;
        }
        close();
    }

    /** Closes both sockets and what holds their bytes; the second call does nothing. Loop thread only. */
    void close() {
        if (open) {
            loop.release(this);
        }
    }

    /** Closes the holders and the sockets; the loop has already stopped watching them. */
    void releaseFds() {
        open = false;
        upstream.release(calls);
        downstream.release(calls);
        calls.close(client);
        calls.close(backend);
        owner.untrack(this);
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
