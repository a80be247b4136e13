package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;

/**
 * The socket pair between the two halves of a network driver whose registry entry asks for one
 * ({@code NetworkDriverKind.driverSocket}), for fds to pass between them. The handshake pipes cannot carry fds; a pair
 * made before the spawn needs no path in the state directory and reaches the child with --detach-netns too. What
 * goes over it is the driver's business.
 */
final class DriverSocket implements AutoCloseable {
    private final Sockets sockets;
    private final int parentEnd;
    private int childEnd;

    private DriverSocket(Sockets sockets, int parentEnd, int childEnd) {
        this.sockets = sockets;
        this.parentEnd = parentEnd;
        this.childEnd = childEnd;
    }

    static DriverSocket open() throws ParentException {
        final Sockets sockets = Sockets.load();
        try {
            // SEQPACKET: a message and its fds arrive together, and the child's close reads as EOF.
            final int[] pair = sockets.socketPair(Sockets.Type.SEQPACKET);
            return new DriverSocket(sockets, pair[0], pair[1]);
        } catch (SocketCallException e) {
            throw new ParentException("failed to create the socket between the network driver's halves: "
                    + e.getMessage(), e);
        }
    }

    /** The end to give the child at spawn. */
    int childEnd() {
        return childEnd;
    }

    /** Once the child holds its copy, ours must go so that the child's exit reads as EOF. */
    void childSpawned() {
        closeChildEnd();
    }

    /** The end the parent half of the driver uses; this object closes it. */
    int parentEnd() {
        return parentEnd;
    }

    @Override
    public void close() {
        closeChildEnd();
        sockets.close(parentEnd);
    }

    private void closeChildEnd() {
        if (childEnd >= 0) {
            sockets.close(childEnd);
            childEnd = -1;
        }
    }
}
