package dev.rootlessjkit.net.usernet;

import dev.rootlessjkit.linux.ErrnoException;
import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.linux.Tap;
import dev.rootlessjkit.net.ChildNetworkContext;
import dev.rootlessjkit.net.api.NetworkDriverException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child's part of usernet before the parent's stack starts: creating the TAP device where only the child has
 * CAP_NET_ADMIN (its network namespace) and handing the fd to the parent over the socket the parent gave it at
 * spawn. The device lives on as long as the parent holds the fd; the child keeps no copy.
 */
final class TapHandOver {
    /** Frames carry a virtio_net_hdr, so the kernel may hand the stack unchecksummed 64 KiB TCP segments. */
    static final int OPEN_FLAGS = Tap.VNET_HDR;
    static final int OFFLOADS = Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6;
    private static final byte[] TAG = {'t'};

    private TapHandOver() {
    }

    /** Creates {@code name} and sends its fd over {@code socket}; closes both. */
    static void send(ChildNetworkContext context, String name, int socket) throws NetworkDriverException {
        final Sockets sockets = Sockets.load();
        try {
            final AtomicInteger tapFd = new AtomicInteger(-1);
            context.inNetworkNamespace("create " + name, () -> {
                tapFd.set(open(name, sockets));
                return null;
            });
            try {
                sockets.send(socket, TAG, tapFd.get());
            } catch (SocketCallException e) {
                throw new NetworkDriverException("failed to pass " + name + " to the parent: " + e.getMessage(), e);
            } finally {
                sockets.close(tapFd.get());
            }
            context.log().debug("created " + name + " and passed it to the parent");
        } finally {
            sockets.close(socket);
        }
    }

    /**
     * The parent's side: waits for the child's fd on {@code socket} (the child sends it before
     * ChildInitUserNSCompleted, so it is normally there already) and returns it.
     */
    static int receive(Linux linux, Sockets sockets, int socket, Duration timeout)
            throws NetworkDriverException {
        try {
            if (!linux.awaitReadable(socket, (int) timeout.toMillis())) {
                throw new NetworkDriverException("the child passed no TAP device within " + timeout.toSeconds()
                        + "s");
            }
            final Sockets.Received received = sockets.receive(socket, new byte[TAG.length]);
            if (received.fd() < 0) {
                throw new NetworkDriverException(received.length() == 0 ? "the child closed the TAP socket "
                        + "without passing its TAP device" : "the child's message carried no TAP device"
                        + (received.fdDropped() ? " (out of file descriptors?)" : ""));
            }
            return received.fd();
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to receive the child's TAP device: " + e.getMessage(), e);
        }
    }

    private static int open(String name, Sockets sockets) throws NetworkDriverException {
        final Tap tap = Tap.load();
        final int fd;
        try {
            fd = tap.open(name, OPEN_FLAGS);
        } catch (ErrnoException e) {
            throw new NetworkDriverException("failed to create " + name + ": " + e.getMessage(), e);
        }
        try {
            tap.setOffload(fd, OFFLOADS);
        } catch (ErrnoException e) {
            sockets.close(fd);
            throw new NetworkDriverException("failed to set the offloads of " + name + ": " + e.getMessage(), e);
        }
        return fd;
    }
}
