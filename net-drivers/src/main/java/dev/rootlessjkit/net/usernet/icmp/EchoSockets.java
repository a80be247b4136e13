package dev.rootlessjkit.net.usernet.icmp;

import java.io.IOException;

/** Opens unprivileged ICMP echo sockets; behind an interface so tests can stand in for a host that refuses them. */
@FunctionalInterface
public interface EchoSockets {
    /**
     * A new non-blocking IPv4 ping socket's fd.
     *
     * @throws IOException when the host does not allow them (net.ipv4.ping_group_range) or is out of descriptors
     */
    int open() throws IOException;

    /** A new non-blocking IPv6 ping socket's fd; none unless the implementation says so. */
    default int open6() throws IOException {
        throw new IOException("no IPv6 ping sockets here");
    }
}
