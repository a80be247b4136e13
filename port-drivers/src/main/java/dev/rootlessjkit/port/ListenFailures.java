package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Sysctl;
import java.io.IOException;
import java.nio.file.Path;
import dev.rootlessjkit.linux.Errno;

/** Turns a failed listen on a published port into the exception that tells the user what to do. */
public final class ListenFailures {
    private static final Path UNPRIVILEGED_PORT_START = Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start");

    private ListenFailures() {
    }

    /**
     * @param message Go's net.Listen wording, e.g. {@code listen tcp 127.0.0.1:80: bind: permission denied}
     * @param errno   the errno of the failed bind or listen, 0 when unknown
     * @param port    the host port asked for
     */
    public static ListenException classify(String message, int errno, int port) {
        if (errno == Errno.EADDRINUSE) {
            return new AddressInUseException(message, errno);
        }
        if (errno == Errno.EACCES) {
            final int start = unprivilegedPortStart();
            if (port < start) {
                return new PrivilegedPortException(port, start, message, errno);
            }
        }
        return new ListenException(message, errno);
    }

    private static int unprivilegedPortStart() {
        try {
            return Integer.parseInt(Sysctl.read(UNPRIVILEGED_PORT_START));
        } catch (IOException | NumberFormatException e) {
            return 1024;
        }
    }
}
