package dev.rootlessjkit.linux;

import static dev.rootlessjkit.linux.Libc.SOCKET;


/**
 * Unprivileged ICMP echo ("ping") sockets: datagram sockets of protocol ICMP, which the kernel allows when the
 * caller's group is within {@code net.ipv4.ping_group_range} (and refuses with EACCES otherwise). The kernel fills
 * in the echo identifier and checksum and delivers only the replies to this socket's own requests.
 */
public final class IcmpSockets {
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int IPPROTO_ICMP = 1;
    private static final int AF_INET6 = 10;
    private static final int IPPROTO_ICMPV6 = 58;

    private final NativeCalls c;

    private IcmpSockets(NativeCalls calls) {
        this.c = calls;
    }

    public static IcmpSockets load() {
        return new IcmpSockets(NativeCalls.load());
    }

    /** A new non-blocking, close-on-exec IPv4 ping socket. */
    public int openEcho() throws ErrnoException {
        return open(AF_INET, IPPROTO_ICMP, "AF_INET ICMP (ping)");
    }

    /** As {@link #openEcho()} for ICMPv6 echo (the same ping_group_range governs both). */
    public int openEcho6() throws ErrnoException {
        return open(AF_INET6, IPPROTO_ICMPV6, "AF_INET6 ICMPv6 (ping)");
    }

    private int open(int family, int protocol, String subject) throws ErrnoException {
        final int fd = c.callInt(SOCKET, family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw c.failure("socket", subject);
        }
        return fd;
    }
}
