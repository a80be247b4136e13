package dev.rootlessjkit.parent;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.net.api.NetworkDriverException;
import dev.rootlessjkit.net.TapHandOver;
import java.time.Duration;

/**
 * The socket pair over which the usernet child passes its TAP device. The handshake pipes cannot carry fds; a
 * pair made before the spawn needs no path in the state directory and reaches the child with --detach-netns too.
 */
final class TapSocket implements AutoCloseable {
    private final Sockets sockets;
    private final int parentEnd;
    private int childEnd;

    private TapSocket(Sockets sockets, int parentEnd, int childEnd) {
        this.sockets = sockets;
        this.parentEnd = parentEnd;
        this.childEnd = childEnd;
    }

    static TapSocket open() throws ParentException {
        final Sockets sockets = Sockets.load();
        try {
            // SEQPACKET: the one message and its fd arrive together, and the child's close reads as EOF.
            final int[] pair = sockets.socketPair(Sockets.Type.SEQPACKET);
            return new TapSocket(sockets, pair[0], pair[1]);
        } catch (SocketCallException e) {
            throw new ParentException("failed to create the socket for the child's TAP device: " + e.getMessage(),
                    e);
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

    /** The TAP fd the child sent; the caller owns it. */
    int receive(Linux linux, Duration timeout) throws NetworkDriverException {
        return TapHandOver.receive(linux, sockets, parentEnd, timeout);
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
