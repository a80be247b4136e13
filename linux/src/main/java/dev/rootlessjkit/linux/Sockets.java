package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.Libc.ACCEPT4;
import static dev.rootlessjkit.linux.Libc.BIND;
import static dev.rootlessjkit.linux.Libc.CHMOD;
import static dev.rootlessjkit.linux.Libc.CLOSE;
import static dev.rootlessjkit.linux.Libc.CONNECT;
import static dev.rootlessjkit.linux.Libc.GETSOCKNAME;
import static dev.rootlessjkit.linux.Libc.GETSOCKOPT;
import static dev.rootlessjkit.linux.Libc.LISTEN;
import static dev.rootlessjkit.linux.Libc.POLL;
import static dev.rootlessjkit.linux.Libc.RECVMSG;
import static dev.rootlessjkit.linux.Libc.SENDMSG;
import static dev.rootlessjkit.linux.Libc.SETSOCKOPT;
import static dev.rootlessjkit.linux.Libc.SHUTDOWN;
import static dev.rootlessjkit.linux.Libc.SOCKET;
import static dev.rootlessjkit.linux.Libc.SOCKETPAIR;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Socket calls the JDK and Netty do not offer: listeners with an exact address family and IPV6_V6ONLY setting,
 * unix sockets made private (chmod) before they listen, SOCK_SEQPACKET, and passing fds with SCM_RIGHTS. Every fd
 * it returns is close-on-exec; inet sockets are non-blocking (ready for Netty to adopt), unix ones blocking unless
 * asked otherwise. Thread-safe: every call uses native memory of its own, freed before it returns.
 *
 * <p>Calls libc through {@link NativeCalls} (jffi), as {@link Linux} does, not through jnr-ffi: the builtin port
 * driver's child half and the parent's adoption of -p sockets are on the way to a published port's first
 * connection, and jnr-ffi's interface binding cost them ~100 ms there on a cold JVM.
 */
public final class Sockets {

    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_ERROR = 4;
    private static final int SO_TYPE = 3;
    private static final int SO_MARK = 36;
    private static final int SOL_IP = 0;
    private static final int IP_TRANSPARENT = 19;
    private static final int IPV6_TRANSPARENT = 75;
    private static final int SCM_RIGHTS = 1;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SHUT_RDWR = 2;
    private static final short POLLIN = 1;
    private static final short POLLOUT = 4;
    private static final int POLLFD_BYTES = 8;
    private static final int SUN_PATH_MAX = 108;
    private static final int SOCKADDR_IN_BYTES = 16;
    private static final int SOCKADDR_IN6_BYTES = 28;
    // struct msghdr / iovec / cmsghdr on LP64 Linux (x86-64 and arm64 alike).
    private static final int MSGHDR_BYTES = 56;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int IOVEC_BYTES = 16;
    private static final int CMSG_HEADER = 16;
    private static final int CMSG_SPACE_ONE_FD = 24;
    /** One allocation holds a message's msghdr, iovec and control buffer, then its data. */
    private static final int MESSAGE_HEADERS_BYTES = MSGHDR_BYTES + IOVEC_BYTES + CMSG_SPACE_ONE_FD;

    /** The socket(2) type. */
    public enum Type {
        STREAM(1), DGRAM(2), SEQPACKET(5);

        final int value;

        Type(int value) {
            this.value = value;
        }
    }

    /** A connect(2) started on a non-blocking socket; {@code completed} is false while it is in progress. */
    public record Connecting(int fd, boolean completed) {
    }

    /**
     * What {@link #receive} got: {@code length} bytes (0 at end of stream), and the passed fd or -1.
     * {@code fdDropped} means the sender passed one but the kernel could not install it (this process is out of fds).
     */
    public record Received(int length, int fd, boolean fdDropped) {
    }

    private final NativeCalls c;
    private final MemoryIO memory;

    private Sockets(NativeCalls calls) {
        this.c = calls;
        this.memory = calls.memory();
    }

    /** Finds libc's socket functions, each on its first call. */
    public static Sockets load() {
        return new Sockets(NativeCalls.load());
    }

    /**
     * A bound (and for streams listening) non-blocking inet socket.
     *
     * @param address 4 bytes for AF_INET, 16 for AF_INET6
     * @param v6only  IPV6_V6ONLY for AF_INET6 sockets; false makes an unspecified address dual-stack
     * @param subject how errors name the address, e.g. {@code 127.0.0.1:8080}
     */
    public int bindInet(Type type, byte[] address, int port, boolean v6only, int backlog, String subject)
            throws SocketCallException {
        final int fd = socket(family(address), type.value | SOCK_NONBLOCK, subject);
        boolean ok = false;
        try (NativeCalls.Scratch scratch = c.scratch()) {
            if (type == Type.STREAM) {
                setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR", subject);
            }
            if (address.length == 16) {
                setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? 1 : 0, "setsockopt IPV6_V6ONLY", subject);
            }
            if (c.callInt(BIND, fd, inetAddress(scratch, address, port), inetAddressLength(address)) != 0) {
                throw error("bind", subject);
            }
            if (type == Type.STREAM && c.callInt(LISTEN, fd, backlog) != 0) {
                throw error("listen", subject);
            }
            ok = true;
            return fd;
        } finally {
            if (!ok) {
                close(fd);
            }
        }
    }

    /** Starts connecting a new non-blocking inet socket; errors that the kernel reports at once are thrown. */
    public Connecting connectInet(Type type, byte[] address, int port, String subject) throws SocketCallException {
        return startConnect(socket(family(address), type.value | SOCK_NONBLOCK, subject), address, port, subject);
    }

    /**
     * Like {@link #connectInet} for TCP, but from {@code source:sourcePort}, an address that need not be local:
     * IP_TRANSPARENT (IPV6_TRANSPARENT) lets the socket bind to it, so the peer sees that address. The packets the
     * socket sends carry {@code mark} (SO_MARK), for policy routing to bring the answers back to it. A
     * {@code sourcePort} of 0 lets the kernel pick one; otherwise SO_REUSEADDR lets it be bound while another
     * socket of the same port exists, and connect fails (EADDRNOTAVAIL) only when the whole 4-tuple is taken.
     * Needs CAP_NET_ADMIN (or CAP_NET_RAW) in the network namespace; refused (EPERM) otherwise.
     *
     * @param source the same family (length) as {@code address}
     */
    public Connecting connectTransparent(byte[] address, int port, byte[] source, int sourcePort, int mark,
            String subject) throws SocketCallException {
        if (source.length != address.length) {
            throw new SocketCallException("bind", subject, 0, "source and target address families differ");
        }
        final boolean v4 = address.length == 4;
        final int fd = socket(family(address), Type.STREAM.value | SOCK_NONBLOCK, subject);
        boolean ok = false;
        try (NativeCalls.Scratch scratch = c.scratch()) {
            setIntOption(fd, v4 ? SOL_IP : IPPROTO_IPV6, v4 ? IP_TRANSPARENT : IPV6_TRANSPARENT, 1,
                    v4 ? "setsockopt IP_TRANSPARENT" : "setsockopt IPV6_TRANSPARENT", subject);
            setIntOption(fd, SOL_SOCKET, SO_MARK, mark, "setsockopt SO_MARK", subject);
            if (sourcePort != 0) {
                setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR", subject);
            }
            if (c.callInt(BIND, fd, inetAddress(scratch, source, sourcePort), inetAddressLength(source)) != 0) {
                throw error("bind", subject);
            }
            ok = true;
        } finally {
            if (!ok) {
                close(fd);
            }
        }
        return startConnect(fd, address, port, subject);
    }

    /** Whether {@code address} is assigned in this thread's network namespace (a socket can bind to it). */
    public boolean isLocalAddress(byte[] address) throws SocketCallException {
        final int fd = socket(family(address), Type.DGRAM.value, "");
        try (NativeCalls.Scratch scratch = c.scratch()) {
            if (c.callInt(BIND, fd, inetAddress(scratch, address, 0), inetAddressLength(address)) == 0) {
                return true;
            }
            final int errno = c.errno();
            if (errno == Errno.EADDRNOTAVAIL) {
                return false;
            }
            throw new SocketCallException("bind", "", errno, c.describe(errno));
        } finally {
            close(fd);
        }
    }

    /** Connects {@code fd}, non-blocking; closes it when the kernel refuses at once. */
    private Connecting startConnect(int fd, byte[] address, int port, String subject) throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long sa = inetAddress(scratch, address, port);
            while (true) {
                if (c.callInt(CONNECT, fd, sa, inetAddressLength(address)) == 0) {
                    return new Connecting(fd, true);
                }
                final int errno = c.errno();
                if (errno == Errno.EINPROGRESS) {
                    return new Connecting(fd, false);
                }
                if (errno != Errno.EINTR) {
                    close(fd);
                    throw new SocketCallException("connect", subject, errno, c.describe(errno));
                }
            }
        }
    }

    /**
     * Waits, without blocking for longer than {@code timeoutMillis}, until one of {@code connecting[0..count)}
     * is writable (its connect finished, one way or the other) or {@code wakeFd} is readable. Returns a bit set
     * of the ready indexes, {@code count} standing for {@code wakeFd}; empty on timeout.
     */
    public BitSet awaitWritable(int[] connecting, int count, int wakeFd, int timeoutMillis)
            throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long pollfds = scratch.allocate((long) (count + 1) * POLLFD_BYTES);
            for (int i = 0; i < count; i++) {
                memory.putInt(pollfds + (long) i * POLLFD_BYTES, connecting[i]);
                memory.putShort(pollfds + (long) i * POLLFD_BYTES + 4, POLLOUT);
            }
            memory.putInt(pollfds + (long) count * POLLFD_BYTES, wakeFd);
            memory.putShort(pollfds + (long) count * POLLFD_BYTES + 4, POLLIN);
            int n;
            while ((n = c.callInt(POLL, pollfds, count + 1, timeoutMillis)) < 0) {
                if (c.errno() != Errno.EINTR) {
                    throw error("poll", "");
                }
            }
            final BitSet ready = new BitSet(count + 1);
            for (int i = 0; n > 0 && i <= count; i++) {
                if (memory.getShort(pollfds + (long) i * POLLFD_BYTES + 6) != 0) {
                    ready.set(i);
                }
            }
            return ready;
        }
    }

    /**
     * Whether {@code fd} is a socket of {@code type} bound to {@code address:port} (4 or 16 address bytes); false for
     * anything else, including fds that are not sockets.
     */
    public boolean isBoundTo(int fd, Type type, byte[] address, int port) {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long value = scratch.allocate(Integer.BYTES);
            final long length = scratch.allocate(Integer.BYTES);
            memory.putInt(length, Integer.BYTES);
            if (c.callInt(GETSOCKOPT, fd, SOL_SOCKET, SO_TYPE, value, length) != 0
                    || memory.getInt(value) != type.value) {
                return false;
            }
            final long sa = scratch.allocate(SOCKADDR_IN6_BYTES);
            memory.putInt(length, SOCKADDR_IN6_BYTES);
            if (c.callInt(GETSOCKNAME, fd, sa, length) != 0) {
                return false;
            }
            final int boundPort = ((memory.getByte(sa + 2) & 0xff) << 8) | (memory.getByte(sa + 3) & 0xff);
            if (boundPort != port || memory.getShort(sa) != family(address)) {
                return false;
            }
            final byte[] bound = new byte[address.length];
            memory.getByteArray(sa + (address.length == 4 ? 4 : 8), bound, 0, bound.length);
            return Arrays.equals(bound, address);
        }
    }

    /** A new fd, close-on-exec, for the socket (the open file) behind {@code fd}. */
    public int duplicate(int fd) throws ErrnoException {
        return Libc.duplicateAbove(c, fd, 3);
    }

    /** The outcome of a finished non-blocking connect: 0, or the errno it failed with (SO_ERROR). */
    public int connectResult(int fd) throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long value = scratch.allocate(Integer.BYTES);
            final long length = scratch.allocate(Integer.BYTES);
            memory.putInt(length, Integer.BYTES);
            if (c.callInt(GETSOCKOPT, fd, SOL_SOCKET, SO_ERROR, value, length) != 0) {
                throw error("getsockopt SO_ERROR", "");
            }
            return memory.getInt(value);
        }
    }

    /**
     * A listening unix socket at {@code path} that only the modes in {@code mode} may connect to: a stale socket
     * file is removed first, and the file is chmod-ed between bind and listen, so no one else can ever connect.
     */
    public int listenUnix(Path path, Type type, boolean nonBlocking, int mode, int backlog)
            throws SocketCallException {
        final String subject = path.toString();
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final UnixAddress address = unixAddress(scratch, path, "bind");
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new SocketCallException("unlink", subject, 0, String.valueOf(e.getMessage()));
            }
            final int fd = socket(AF_UNIX, type.value | (nonBlocking ? SOCK_NONBLOCK : 0), subject);
            boolean listening = false;
            try {
                if (c.callInt(BIND, fd, address.at(), address.length()) != 0) {
                    throw error("bind", subject);
                }
                if (c.callInt(CHMOD, scratch.string(subject), mode) != 0) {
                    throw error("chmod", subject);
                }
                if (c.callInt(LISTEN, fd, backlog) != 0) {
                    throw error("listen", subject);
                }
                listening = true;
                return fd;
            } finally {
                if (!listening) {
                    close(fd);
                }
            }
        }
    }

    /** A blocking unix socket connected to {@code path}. */
    public int connectUnix(Path path, Type type) throws SocketCallException {
        final String subject = path.toString();
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final UnixAddress address = unixAddress(scratch, path, "connect");
            final int fd = socket(AF_UNIX, type.value, subject);
            while (c.callInt(CONNECT, fd, address.at(), address.length()) != 0) {
                final int errno = c.errno();
                if (errno != Errno.EINTR) {
                    close(fd);
                    throw new SocketCallException("connect", subject, errno, c.describe(errno));
                }
            }
            return fd;
        }
    }

    /** A connected pair of blocking unix sockets, e.g. to pass fds to a child process that inherits one end. */
    public int[] socketPair(Type type) throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long fds = scratch.allocate(2L * Integer.BYTES);
            if (c.callInt(SOCKETPAIR, AF_UNIX, type.value | SOCK_CLOEXEC, 0, fds) != 0) {
                throw error("socketpair", "");
            }
            return new int[] {memory.getInt(fds), memory.getInt(fds + Integer.BYTES)};
        }
    }

    /** Blocks until a connection arrives on a blocking listener. */
    public int accept(int listener) throws SocketCallException {
        while (true) {
            final int fd = c.callInt(ACCEPT4, listener, 0, 0, SOCK_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
            final int errno = c.errno();
            if (errno != Errno.EINTR) {
                throw new SocketCallException("accept4", "", errno, c.describe(errno));
            }
        }
    }

    /** A connection {@link #acceptInet} took: its non-blocking socket and the client's address. */
    public record Accepted(int fd, InetSocketAddress client) {
    }

    /**
     * Takes one connection from a non-blocking inet listener, as a non-blocking socket; null when none is queued
     * (EAGAIN), or when the one queued was aborted before it could be taken (ECONNABORTED: the next call takes the
     * next). Other failures (EMFILE, ENFILE, ENOBUFS) leave the connection queued.
     */
    public Accepted acceptInet(int listener) throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long address = scratch.allocate(SOCKADDR_IN6_BYTES);
            final long length = scratch.allocate(Integer.BYTES);
            while (true) {
                memory.putInt(length, SOCKADDR_IN6_BYTES);
                final int fd = c.callInt(ACCEPT4, listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd >= 0) {
                    final int bytes = Math.min(memory.getInt(length), SOCKADDR_IN6_BYTES);
                    final byte[] sockaddr = new byte[bytes];
                    memory.getByteArray(address, sockaddr, 0, bytes);
                    return new Accepted(fd, DatagramBatch.address(sockaddr, bytes));
                }
                final int errno = c.errno();
                if (errno == Errno.EAGAIN || errno == Errno.ECONNABORTED) {
                    return null;
                }
                if (errno != Errno.EINTR) {
                    throw new SocketCallException("accept4", "", errno, c.describe(errno));
                }
            }
        }
    }

    /** Sends {@code data} as one message, with {@code fdToPass} attached by SCM_RIGHTS unless it is negative. */
    public void send(int socket, byte[] data, int fdToPass) throws SocketCallException {
        sendMessage(socket, data, fdToPass, 0);
    }

    /**
     * Like {@link #send} but never blocks: false, with nothing sent, when the socket's send buffer is full
     * (EAGAIN).
     */
    public boolean trySend(int socket, byte[] data, int fdToPass) throws SocketCallException {
        try {
            sendMessage(socket, data, fdToPass, MSG_DONTWAIT);
            return true;
        } catch (SocketCallException e) {
            if (e.errno() == Errno.EAGAIN) {
                return false;
            }
            throw e;
        }
    }

    private void sendMessage(int socket, byte[] data, int fdToPass, int flags) throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long msg = message(scratch, data.length, fdToPass >= 0);
            memory.putByteArray(msg + MESSAGE_HEADERS_BYTES, data, 0, data.length);
            if (fdToPass >= 0) {
                final long control = msg + MSGHDR_BYTES + IOVEC_BYTES;
                memory.putLong(control, CMSG_HEADER + Integer.BYTES);
                memory.putInt(control + 8, SOL_SOCKET);
                memory.putInt(control + 12, SCM_RIGHTS);
                memory.putInt(control + CMSG_HEADER, fdToPass);
            }
            while (c.call(SENDMSG, socket, msg, MSG_NOSIGNAL | flags) < 0) {
                final int errno = c.errno();
                if (errno != Errno.EINTR) {
                    throw new SocketCallException("sendmsg", "", errno, c.describe(errno));
                }
            }
        }
    }

    /** Receives one message into {@code into}, and the fd passed with it if any (close-on-exec). */
    public Received receive(int socket, byte[] into) throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long msg = message(scratch, into.length, true);
            long n;
            while ((n = c.call(RECVMSG, socket, msg, MSG_CMSG_CLOEXEC)) < 0) {
                final int errno = c.errno();
                if (errno != Errno.EINTR) {
                    throw new SocketCallException("recvmsg", "", errno, c.describe(errno));
                }
            }
            memory.getByteArray(msg + MESSAGE_HEADERS_BYTES, into, 0, (int) n);
            final long control = msg + MSGHDR_BYTES + IOVEC_BYTES;
            int fd = -1;
            if (memory.getLong(msg + MSG_CONTROLLEN) >= CMSG_HEADER + Integer.BYTES
                    && memory.getInt(control + 8) == SOL_SOCKET && memory.getInt(control + 12) == SCM_RIGHTS) {
                fd = memory.getInt(control + CMSG_HEADER);
            }
            final boolean dropped = (memory.getInt(msg + MSG_FLAGS) & MSG_CTRUNC) != 0;
            return new Received((int) n, fd, dropped);
        }
    }

    /** shutdown(SHUT_RDWR): wakes a thread blocked on the socket without the fd-reuse race of close. */
    public void shutdown(int fd) {
        c.call(SHUTDOWN, fd, SHUT_RDWR);
    }

    public void close(int fd) {
        c.call(CLOSE, fd);
    }

    /** strerror with Go's lower-case first letter. */
    public String describe(int errno) {
        final String s = c.describe(errno);
        return s.isEmpty() ? "errno " + errno : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private int socket(int domain, int type, String subject) throws SocketCallException {
        final int fd = c.callInt(SOCKET, domain, type | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw error("socket", subject);
        }
        return fd;
    }

    private void setIntOption(int fd, int level, int name, int value, String call, String subject)
            throws SocketCallException {
        try (NativeCalls.Scratch scratch = c.scratch()) {
            final long v = scratch.allocate(Integer.BYTES);
            memory.putInt(v, value);
            if (c.callInt(SETSOCKOPT, fd, level, name, v, Integer.BYTES) != 0) {
                throw error(call, subject);
            }
        }
    }

    /**
     * A zeroed msghdr for one message of up to {@code length} bytes, with its iovec, control buffer (when
     * {@code withControl}) and data after it, in one allocation: the data starts at {@link #MESSAGE_HEADERS_BYTES}.
     */
    private long message(NativeCalls.Scratch scratch, int length, boolean withControl) {
        final long msg = scratch.allocate(MESSAGE_HEADERS_BYTES + (long) length);
        final long iov = msg + MSGHDR_BYTES;
        memory.putAddress(iov, msg + MESSAGE_HEADERS_BYTES);
        memory.putLong(iov + 8, length);
        memory.putAddress(msg + MSG_IOV, iov);
        memory.putLong(msg + MSG_IOVLEN, 1);
        if (withControl) {
            memory.putAddress(msg + MSG_CONTROL, iov + IOVEC_BYTES);
            memory.putLong(msg + MSG_CONTROLLEN, CMSG_SPACE_ONE_FD);
        }
        return msg;
    }

    private static int family(byte[] address) {
        return address.length == 4 ? AF_INET : AF_INET6;
    }

    private static int inetAddressLength(byte[] address) {
        return address.length == 4 ? SOCKADDR_IN_BYTES : SOCKADDR_IN6_BYTES;
    }

    /** A struct sockaddr_in or sockaddr_in6 for {@code address} (4 or 16 bytes) and {@code port}. */
    private long inetAddress(NativeCalls.Scratch scratch, byte[] address, int port) {
        final long sa = scratch.allocate(inetAddressLength(address));
        memory.putShort(sa, (short) family(address));
        memory.putByte(sa + 2, (byte) (port >>> 8));
        memory.putByte(sa + 3, (byte) port);
        memory.putByteArray(sa + (address.length == 4 ? 4 : 8), address, 0, address.length);
        return sa;
    }

    /** A struct sockaddr_un at {@code at}, of {@code length} bytes (the path and its NUL included). */
    private record UnixAddress(long at, int length) {
    }

    private UnixAddress unixAddress(NativeCalls.Scratch scratch, Path path, String call) throws SocketCallException {
        final byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            throw new SocketCallException(call, path.toString(), Errno.ENAMETOOLONG, "socket path is " + name.length
                    + " bytes, longer than the " + (SUN_PATH_MAX - 1) + " allowed");
        }
        // struct sockaddr_un {sa_family_t sun_family; char sun_path[108];}
        final long sa = scratch.allocate(2 + SUN_PATH_MAX);
        memory.putShort(sa, (short) AF_UNIX);
        memory.putByteArray(sa + 2, name, 0, name.length);
        return new UnixAddress(sa, 2 + name.length + 1);
    }

    private SocketCallException error(String call, String subject) {
        final int errno = c.errno();
        return new SocketCallException(call, subject, errno, c.describe(errno));
    }
}
