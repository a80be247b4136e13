package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.linux.Errno;

/**
 * The host socket of a published port, made by the parent itself: listening for TCP, bound for UDP, non-blocking.
 * A port driver may take it before it can serve the port; until then the kernel keeps what arrives (connections in
 * the listen backlog, datagrams in the receive buffer) instead of refusing it.
 */
public final class HostListeners {
    /** Connections the kernel holds for a port while the driver is busy or not serving yet. */
    public static final int BACKLOG = 4096;

    private HostListeners() {
    }

    /**
     * Binds {@code spec}'s parent address with Go's net.Listen semantics (see {@link ListenAddress}): an
     * unspecified address of {@code tcp}/{@code udp} is dual-stack, or IPv4 on a host without IPv6.
     *
     * @param proto TCP or UDP (the caller has turned other protocols away)
     * @return the socket's fd, the caller's to close
     * @throws ListenException in Go's wording, e.g. {@code listen tcp 127.0.0.1:80: bind: address already in use}
     */
    public static int listen(Sockets sockets, PortSpec spec, Proto proto) throws ListenException {
        final ListenAddress address = ListenAddress.of(spec, proto);
        final Sockets.Type type = proto.isTcp() ? Sockets.Type.STREAM : Sockets.Type.DGRAM;
        try {
            try {
                return sockets.bindInet(type, address.address(), spec.parentPort(), address.v6only(), BACKLOG,
                        address.display());
            } catch (SocketCallException e) {
                if (e.errno() == Errno.EAFNOSUPPORT && address.dualStack()) {
                    final ListenAddress v4 = address.ipv4Only();
                    return sockets.bindInet(type, v4.address(), spec.parentPort(), false, BACKLOG, v4.display());
                }
                throw e;
            }
        } catch (SocketCallException e) {
            final String message = "listen " + spec.proto() + " " + address.display() + ": " + e.call() + ": "
                    + e.description();
            throw ListenFailures.classify(message, e.errno(), spec.parentPort());
        }
    }
}
