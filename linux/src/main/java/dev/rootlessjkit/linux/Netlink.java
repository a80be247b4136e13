package dev.rootlessjkit.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

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
    private static final int EINTR = 4;

    /** An answer: its type and its payload (after the header). */
    record Reply(short type, ByteBuffer payload) {
    }

    private final LibC lib;
    private final Runtime runtime;
    private final int fd;
    private final byte[] buffer = new byte[8192];
    private int sequence;

    private Netlink(LibC lib, int fd) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
        this.fd = fd;
    }

    /** @param protocol NETLINK_ROUTE (0), NETLINK_SOCK_DIAG (4), ... */
    static Netlink open(int protocol, String subject) throws ErrnoException {
        final LibC lib = LibraryLoader.create(LibC.class).load("c");
        final int fd = lib.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            final int errno = Runtime.getRuntime(lib).getLastError();
            throw new ErrnoException("socket", subject, errno, lib.strerror(errno));
        }
        return new Netlink(lib, fd);
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
        long n;
        while ((n = lib.write(fd, bytes, bytes.length)) < 0 && runtime.getLastError() == EINTR) {
            // retried
        }
        if (n != bytes.length) {
            throw error("sendto", subject);
        }
        while (true) {
            while ((n = lib.read(fd, buffer, buffer.length)) < 0 && runtime.getLastError() == EINTR) {
                // retried
            }
            if (n < 0) {
                throw error("recv", subject);
            }
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
                            throw new ErrnoException("netlink", subject, errno, lib.strerror(errno));
                        }
                    }
                    return new Reply(type, payload);
                }
                r.position(Math.min(r.limit(), start + ((length + 3) & ~3)));
            }
        }
    }

    private ErrnoException error(String call, String subject) {
        final int errno = runtime.getLastError();
        return new ErrnoException(call, subject, errno, lib.strerror(errno));
    }

    @Override
    public void close() {
        lib.close(fd);
    }
}
