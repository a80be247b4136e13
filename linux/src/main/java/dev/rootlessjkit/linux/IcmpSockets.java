package dev.rootlessjkit.linux;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Unprivileged ICMP echo ("ping") sockets: datagram sockets of protocol ICMP, which the kernel allows when the
 * caller's group is within {@code net.ipv4.ping_group_range} (and refuses with EACCES otherwise). The kernel fills
 * in the echo identifier and checksum and delivers only the replies to this socket's own requests.
 */
public final class IcmpSockets {
    public static final int EACCES = 13;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int IPPROTO_ICMP = 1;
    private static final int AF_INET6 = 10;
    private static final int IPPROTO_ICMPV6 = 58;

    private final NetLib lib;
    private final Runtime runtime;

    private IcmpSockets(NetLib lib) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
    }

    public static IcmpSockets load() {
        return new IcmpSockets(LibraryLoader.create(NetLib.class).failImmediately().load("c"));
    }

    /** A new non-blocking, close-on-exec IPv4 ping socket. */
    public int openEcho() throws ErrnoException {
        final int fd = lib.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
        if (fd < 0) {
            final int errno = runtime.getLastError();
            throw new ErrnoException("socket", "AF_INET ICMP (ping)", errno, lib.strerror(errno));
        }
        return fd;
    }

    /** As {@link #openEcho()} for ICMPv6 echo (the same ping_group_range governs both). */
    public int openEcho6() throws ErrnoException {
        final int fd = lib.socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
        if (fd < 0) {
            final int errno = runtime.getLastError();
            throw new ErrnoException("socket", "AF_INET6 ICMPv6 (ping)", errno, lib.strerror(errno));
        }
        return fd;
    }
}
