package dev.rootlessjkit.net.api;

/**
 * What a network driver that carries the namespace's traffic in its own stack (usernet) offers a port driver:
 * serving a host socket into the namespace, so the server inside sees each client's own address. The port driver
 * keeps the socket's bookkeeping (IDs, conflicts, the API); the stack only moves the traffic.
 */
public interface PortPublisher {
    /**
     * Serves the listening, non-blocking TCP socket {@code listenFd} (its backlog too) by connecting each client to
     * {@code guestIp:guestPort} inside. Takes ownership of the fd, also when it throws.
     *
     * @param guestIp an IPv4 address inside as a big-endian int, or 0 for the namespace's own address
     * @return the port's counters, and a close that stops listening and resets the port's connections before it
     *         returns
     * @throws NetworkDriverException the network is not running, or the stack could not take the socket
     */
    CountedPort publishTcp(int listenFd, int guestIp, int guestPort) throws NetworkDriverException;

    /** As {@link #publishTcp} for a bound UDP socket, whose queued datagrams are passed on now. */
    CountedPort publishUdp(int fd, int guestIp, int guestPort) throws NetworkDriverException;

    /**
     * As {@link #publishTcp} into the namespace over IPv6 ({@code tcp6}, or an IPv6 child IP).
     *
     * @param guestIp a 16-byte IPv6 address inside, or null for the namespace's own; with null and a network
     *         without IPv6, the namespace's own IPv4 address
     * @throws NetworkDriverException also when {@code guestIp} is given and the network has no IPv6
     */
    CountedPort publishTcp6(int listenFd, byte[] guestIp, int guestPort) throws NetworkDriverException;

    /** As {@link #publishTcp6} for a bound UDP socket. */
    CountedPort publishUdp6(int fd, byte[] guestIp, int guestPort) throws NetworkDriverException;
}
