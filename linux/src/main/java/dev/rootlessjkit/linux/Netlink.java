package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.Libc.CLOSE;
import static dev.rootlessjkit.linux.Libc.READ;
import static dev.rootlessjkit.linux.Libc.SOCKET;
import static dev.rootlessjkit.linux.Libc.WRITE;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One netlink socket to the kernel, in the network namespace of the thread that opened it, for requests that
 * are answered by one message: the answer, or an error (NLMSG_ERROR) thrown. Not thread-safe.
 */
final class Netlink implements AutoCloseable {
    static final short NLM_F_REQUEST = 1;
    static final short NLM_F_ACK = 4;
    static final short NLM_F_EXCL = 0x200;
    static final short NLM_F_CREATE = 0x400;
    static final int HEADER_BYTES = 16;
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final short NLMSG_ERROR = 2;
    private static final int BUFFER_BYTES = 8192;

    /** An answer: its type and its payload (after the header). */
    record Reply(short type, ByteBuffer payload) {
    }

    private final NativeCalls c;
    private final MemoryIO memory;
    private final int fd;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    /** Native memory for one request or answer at a time, freed at {@link #close()}. */
    private final NativeCalls.Scratch scratch;
    private final long nativeBuffer;
    private int sequence;

    private Netlink(NativeCalls calls, int fd) {
        this.c = calls;
        this.memory = calls.memory();
        this.fd = fd;
        this.scratch = calls.scratch();
        this.nativeBuffer = scratch.allocate(BUFFER_BYTES);
    }

    /** @param protocol NETLINK_ROUTE (0), NETLINK_SOCK_DIAG (4), ... */
    static Netlink open(int protocol, String subject) throws ErrnoException {
        final NativeCalls calls = NativeCalls.load();
        final int fd = calls.callInt(SOCKET, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw calls.failure("socket", subject);
        }
        return new Netlink(calls, fd);
    }

    /** A request of {@code payload} bytes after the header, in native byte order, positioned at the payload. */
    ByteBuffer message(short type, short flags, int payload) {
        final ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + payload).order(ByteOrder.nativeOrder());
        b.putInt(HEADER_BYTES + payload).putShort(type).putShort(flags).putInt(++sequence).putInt(0);
        return b;
    }

    /**
     * Sends a request made by {@link #message} and returns the kernel's answer to it: the acknowledgement of a
     * request with NLM_F_ACK (type NLMSG_ERROR, error 0), or its reply.
     *
     * @throws ErrnoException the error the kernel answered with
     */
    Reply request(ByteBuffer b, String subject) throws ErrnoException {
        final byte[] bytes = b.array();
        if (bytes.length > BUFFER_BYTES) {
            throw new ErrnoException("sendto", subject, Errno.EMSGSIZE, "netlink request of "
                    + bytes.length + " bytes, more than " + BUFFER_BYTES);
        }
        memory.putByteArray(nativeBuffer, bytes, 0, bytes.length);
        long n;
        while ((n = c.call(WRITE, fd, nativeBuffer, bytes.length)) < 0 && c.errno() == Errno.EINTR) {
            // retried
        }
        if (n != bytes.length) {
            throw c.failure("sendto", subject);
        }
        while (true) {
            while ((n = c.call(READ, fd, nativeBuffer, BUFFER_BYTES)) < 0 && c.errno() == Errno.EINTR) {
                // retried
            }
            if (n < 0) {
                throw c.failure("recv", subject);
            }
            memory.getByteArray(nativeBuffer, buffer, 0, (int) n);
            final ByteBuffer r = ByteBuffer.wrap(buffer, 0, (int) n).order(ByteOrder.nativeOrder());
            while (r.remaining() >= HEADER_BYTES) {
                final int start = r.position();
                final int length = r.getInt();
                final short type = r.getShort();
                r.getShort();
                final int seq = r.getInt();
                r.getInt();
                if (length < HEADER_BYTES || start + length > r.limit()) {
                    break;
                }
                if (seq == sequence) {
                    final ByteBuffer payload = r.slice(r.position(), length - HEADER_BYTES)
                            .order(ByteOrder.nativeOrder());
                    if (type == NLMSG_ERROR) {
                        final int errno = -payload.getInt(0);
                        if (errno != 0) {
                            throw new ErrnoException("netlink", subject, errno, c.describe(errno));
                        }
                    }
                    return new Reply(type, payload);
                }
                r.position(Math.min(r.limit(), start + ((length + 3) & ~3)));
            }
        }
    }


    @Override
    public void close() {
        c.call(CLOSE, fd);
        scratch.close();
    }
}
