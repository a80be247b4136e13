package dev.rootlessjkit.linux;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Socket calls the JDK and Netty do not offer: listeners with an exact address family and IPV6_V6ONLY setting,
 * unix sockets made private (chmod) before they listen, SOCK_SEQPACKET, and passing fds with SCM_RIGHTS. Every fd
 * it returns is close-on-exec; inet sockets are non-blocking (ready for Netty to adopt), unix ones blocking unless
 * asked otherwise. Thread-safe: every call uses its own native memory.
 */
public final class Sockets {
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ECONNABORTED = 103;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EINPROGRESS = 115;

    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_ERROR = 4;
    private static final int SO_TYPE = 3;
    private static final int F_DUPFD_CLOEXEC = 1030;
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

    private final LibC lib;
    private final Runtime runtime;

    private Sockets(LibC lib) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
    }

    /**
     * Binds each function on its first call, as {@link Linux} does: binding all of them up front cost the builtin
     * driver's child half ~100-200 ms on the way to its first forwarded connection, and each user of this class
     * calls only some of them; every one of them is in any glibc.
     */
    public static Sockets load() {
        return new Sockets(LibraryLoader.create(LibC.class).load("c"));
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
        final int fd = socket(address.length == 4 ? AF_INET : AF_INET6, type.value | SOCK_NONBLOCK, subject);
        boolean ok = false;
        try {
            if (type == Type.STREAM) {
                setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR", subject);
            }
            if (address.length == 16) {
                setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? 1 : 0, "setsockopt IPV6_V6ONLY", subject);
            }
            final Pointer sa = inetAddress(address, port);
            if (lib.bind(fd, sa, (int) sa.size()) != 0) {
                throw error("bind", subject);
            }
            if (type == Type.STREAM && lib.listen(fd, backlog) != 0) {
                throw error("listen", subject);
            }
            ok = true;
            return fd;
        } finally {
            if (!ok) {
                lib.close(fd);
            }
        }
    }

    /** Starts connecting a new non-blocking inet socket; errors that the kernel reports at once are thrown. */
    public Connecting connectInet(Type type, byte[] address, int port, String subject) throws SocketCallException {
        return startConnect(socket(address.length == 4 ? AF_INET : AF_INET6, type.value | SOCK_NONBLOCK, subject),
                address, port, subject);
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
        final int fd = socket(v4 ? AF_INET : AF_INET6, Type.STREAM.value | SOCK_NONBLOCK, subject);
        boolean ok = false;
        try {
            setIntOption(fd, v4 ? SOL_IP : IPPROTO_IPV6, v4 ? IP_TRANSPARENT : IPV6_TRANSPARENT, 1,
                    v4 ? "setsockopt IP_TRANSPARENT" : "setsockopt IPV6_TRANSPARENT", subject);
            setIntOption(fd, SOL_SOCKET, SO_MARK, mark, "setsockopt SO_MARK", subject);
            if (sourcePort != 0) {
                setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR", subject);
            }
            final Pointer sa = inetAddress(source, sourcePort);
            if (lib.bind(fd, sa, (int) sa.size()) != 0) {
                throw error("bind", subject);
            }
            ok = true;
        } finally {
            if (!ok) {
                lib.close(fd);
            }
        }
        return startConnect(fd, address, port, subject);
    }

    /** Whether {@code address} is assigned in this thread's network namespace (a socket can bind to it). */
    public boolean isLocalAddress(byte[] address) throws SocketCallException {
        final int fd = socket(address.length == 4 ? AF_INET : AF_INET6, Type.DGRAM.value, "");
        try {
            final Pointer sa = inetAddress(address, 0);
            if (lib.bind(fd, sa, (int) sa.size()) == 0) {
                return true;
            }
            final int errno = runtime.getLastError();
            if (errno == EADDRNOTAVAIL) {
                return false;
            }
            throw new SocketCallException("bind", "", errno, lib.strerror(errno));
        } finally {
            lib.close(fd);
        }
    }

    /** Connects {@code fd}, non-blocking; closes it when the kernel refuses at once. */
    private Connecting startConnect(int fd, byte[] address, int port, String subject) throws SocketCallException {
        final Pointer sa = inetAddress(address, port);
        while (true) {
            if (lib.connect(fd, sa, (int) sa.size()) == 0) {
                return new Connecting(fd, true);
            }
            final int errno = runtime.getLastError();
            if (errno == EINPROGRESS) {
                return new Connecting(fd, false);
            }
            if (errno != EINTR) {
                lib.close(fd);
                throw new SocketCallException("connect", subject, errno, lib.strerror(errno));
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
        final Pointer pollfds = Memory.allocateDirect(runtime, (long) (count + 1) * POLLFD_BYTES, true);
        for (int i = 0; i < count; i++) {
            pollfds.putInt((long) i * POLLFD_BYTES, connecting[i]);
            pollfds.putShort((long) i * POLLFD_BYTES + 4, POLLOUT);
        }
        pollfds.putInt((long) count * POLLFD_BYTES, wakeFd);
        pollfds.putShort((long) count * POLLFD_BYTES + 4, POLLIN);
        int n;
        while ((n = lib.poll(pollfds, count + 1, timeoutMillis)) < 0) {
            if (runtime.getLastError() != EINTR) {
                throw error("poll", "");
            }
        }
        final BitSet ready = new BitSet(count + 1);
        for (int i = 0; n > 0 && i <= count; i++) {
            if (pollfds.getShort((long) i * POLLFD_BYTES + 6) != 0) {
                ready.set(i);
            }
        }
        return ready;
    }

    /**
     * Whether {@code fd} is a socket of {@code type} bound to {@code address:port} (4 or 16 address bytes); false for
     * anything else, including fds that are not sockets.
     */
    public boolean isBoundTo(int fd, Type type, byte[] address, int port) {
        final Pointer value = Memory.allocateDirect(runtime, 4, true);
        final Pointer len = Memory.allocateDirect(runtime, 4, true);
        len.putInt(0, 4);
        if (lib.getsockopt(fd, SOL_SOCKET, SO_TYPE, value, len) != 0 || value.getInt(0) != type.value) {
            return false;
        }
        final Pointer sa = Memory.allocateDirect(runtime, 28, true);
        len.putInt(0, 28);
        if (lib.getsockname(fd, sa, len) != 0) {
            return false;
        }
        final int family = sa.getShort(0);
        final int boundPort = ((sa.getByte(2) & 0xff) << 8) | (sa.getByte(3) & 0xff);
        if (boundPort != port || family != (address.length == 4 ? AF_INET : AF_INET6)) {
            return false;
        }
        final byte[] bound = new byte[address.length];
        sa.get(address.length == 4 ? 4 : 8, bound, 0, bound.length);
        return Arrays.equals(bound, address);
    }

    /** A new fd, close-on-exec, for the socket (the open file) behind {@code fd}. */
    public int duplicate(int fd) throws SocketCallException {
        final int copy = lib.fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0) {
            throw error("fcntl F_DUPFD_CLOEXEC", "fd " + fd);
        }
        return copy;
    }

    /** The outcome of a finished non-blocking connect: 0, or the errno it failed with (SO_ERROR). */
    public int connectResult(int fd) throws SocketCallException {
        final Pointer value = Memory.allocateDirect(runtime, 4, true);
        final Pointer len = Memory.allocateDirect(runtime, 4, true);
        len.putInt(0, 4);
        if (lib.getsockopt(fd, SOL_SOCKET, SO_ERROR, value, len) != 0) {
            throw error("getsockopt SO_ERROR", "");
        }
        return value.getInt(0);
    }

    /** A blocking unix socket connected to {@code path}. */
    public int connectUnix(Path path, Type type) throws SocketCallException {
        final String subject = path.toString();
        final Pointer sa = unixAddress(path);
        final int fd = socket(AF_UNIX, type.value, subject);
        while (lib.connect(fd, sa, (int) sa.size()) != 0) {
            final int errno = runtime.getLastError();
            if (errno != EINTR) {
                lib.close(fd);
                throw new SocketCallException("connect", subject, errno, lib.strerror(errno));
            }
        }
        return fd;
    }

    /** A connected pair of blocking unix sockets, e.g. to pass fds to a child process that inherits one end. */
    public int[] socketPair(Type type) throws SocketCallException {
        final int[] fds = new int[2];
        if (lib.socketpair(AF_UNIX, type.value | SOCK_CLOEXEC, 0, fds) != 0) {
            throw error("socketpair", "");
        }
        return fds;
    }

    /** Blocks until a connection arrives on a blocking listener. */
    public int accept(int listener) throws SocketCallException {
        while (true) {
            final int fd = lib.accept4(listener, null, null, SOCK_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
            final int errno = runtime.getLastError();
            if (errno != EINTR) {
                throw new SocketCallException("accept4", "", errno, lib.strerror(errno));
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
            if (e.errno() == EAGAIN) {
                return false;
            }
            throw e;
        }
    }

    private void sendMessage(int socket, byte[] data, int fdToPass, int flags) throws SocketCallException {
        final Pointer buf = Memory.allocateDirect(runtime, Math.max(1, data.length));
        buf.put(0, data, 0, data.length);
        final Pointer control = fdToPass < 0 ? null : Memory.allocateDirect(runtime, CMSG_SPACE_ONE_FD, true);
        if (control != null) {
            control.putLong(0, CMSG_HEADER + 4);
            control.putInt(8, SOL_SOCKET);
            control.putInt(12, SCM_RIGHTS);
            control.putInt(CMSG_HEADER, fdToPass);
        }
        final Pointer msg = message(buf, data.length, control);
        while (lib.sendmsg(socket, msg, MSG_NOSIGNAL | flags) < 0) {
            final int errno = runtime.getLastError();
            if (errno != EINTR) {
                throw new SocketCallException("sendmsg", "", errno, lib.strerror(errno));
            }
        }
    }

    /** Receives one message into {@code into}, and the fd passed with it if any (close-on-exec). */
    public Received receive(int socket, byte[] into) throws SocketCallException {
        final Pointer buf = Memory.allocateDirect(runtime, into.length);
        final Pointer control = Memory.allocateDirect(runtime, CMSG_SPACE_ONE_FD, true);
        final Pointer msg = message(buf, into.length, control);
        long n;
        while ((n = lib.recvmsg(socket, msg, MSG_CMSG_CLOEXEC)) < 0) {
            final int errno = runtime.getLastError();
            if (errno != EINTR) {
                throw new SocketCallException("recvmsg", "", errno, lib.strerror(errno));
            }
        }
        buf.get(0, into, 0, (int) n);
        int fd = -1;
        if (msg.getLong(MSG_CONTROLLEN) >= CMSG_HEADER + 4 && control.getInt(8) == SOL_SOCKET
                && control.getInt(12) == SCM_RIGHTS) {
            fd = control.getInt(CMSG_HEADER);
        }
        final boolean dropped = (msg.getInt(MSG_FLAGS) & MSG_CTRUNC) != 0;
        return new Received((int) n, fd, dropped);
    }

    /** shutdown(SHUT_RDWR): wakes a thread blocked on the socket without the fd-reuse race of close. */
    public void shutdown(int fd) {
        lib.shutdown(fd, SHUT_RDWR);
    }

    public void close(int fd) {
        lib.close(fd);
    }

    /** strerror with Go's lower-case first letter. */
    public String describe(int errno) {
        final String s = lib.strerror(errno);
        return s == null || s.isEmpty() ? "errno " + errno : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private int socket(int domain, int type, String subject) throws SocketCallException {
        final int fd = lib.socket(domain, type | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw error("socket", subject);
        }
        return fd;
    }

    private void setIntOption(int fd, int level, int name, int value, String call, String subject)
            throws SocketCallException {
        final Pointer v = Memory.allocateDirect(runtime, 4);
        v.putInt(0, value);
        if (lib.setsockopt(fd, level, name, v, 4) != 0) {
            throw error(call, subject);
        }
    }

    private Pointer message(Pointer buf, int length, Pointer control) {
        final Pointer iov = Memory.allocateDirect(runtime, IOVEC_BYTES, true);
        iov.putPointer(0, buf);
        iov.putLong(8, length);
        final Pointer msg = Memory.allocateDirect(runtime, MSGHDR_BYTES, true);
        msg.putPointer(MSG_IOV, iov);
        msg.putLong(MSG_IOVLEN, 1);
        if (control != null) {
            msg.putPointer(MSG_CONTROL, control);
            msg.putLong(MSG_CONTROLLEN, CMSG_SPACE_ONE_FD);
        }
        return msg;
    }

    private Pointer inetAddress(byte[] address, int port) {
        final boolean v4 = address.length == 4;
        final Pointer sa = Memory.allocateDirect(runtime, v4 ? 16 : 28, true);
        sa.putShort(0, (short) (v4 ? AF_INET : AF_INET6));
        sa.putByte(2, (byte) (port >>> 8));
        sa.putByte(3, (byte) port);
        sa.put(v4 ? 4 : 8, address, 0, address.length);
        return sa;
    }

    private Pointer unixAddress(Path path) throws SocketCallException {
        final byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            throw new SocketCallException("bind", path.toString(), 0,
                    "socket path is " + name.length + " bytes, longer than the " + (SUN_PATH_MAX - 1) + " allowed");
        }
        final Pointer sa = Memory.allocateDirect(runtime, 2 + name.length + 1, true);
        sa.putShort(0, (short) AF_UNIX);
        sa.put(2, name, 0, name.length);
        return sa;
    }

    private SocketCallException error(String call, String subject) {
        final int errno = runtime.getLastError();
        return new SocketCallException(call, subject, errno, lib.strerror(errno));
    }
}
