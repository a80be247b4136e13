package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import java.io.IOException;
import dev.rootlessjkit.linux.Errno;

/** The child half could not connect inside the namespace, or could not be asked to. */
final class ConnectFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final TcpPortTraffic.Failure failure;

    /** @param failure the class of the failure, for the port's counters */
    ConnectFailedException(String message, TcpPortTraffic.Failure failure) {
        super(message);
        this.failure = failure;
    }

    /** The child half has ended, or its socket was never there. */
    static ConnectFailedException childGone() {
        return new ConnectFailedException("the builtin port driver's child half is gone", TcpPortTraffic.Failure.OTHER);
    }

    /** The failure class of a connect(2) that failed inside with {@code errno}. */
    static TcpPortTraffic.Failure classify(int errno) {
        if (errno == Errno.ECONNREFUSED) {
            return TcpPortTraffic.Failure.REFUSED;
        }
        if (errno == Errno.ETIMEDOUT) {
            return TcpPortTraffic.Failure.TIMEOUT;
        }
        if (errno == Errno.ENETUNREACH || errno == Errno.EHOSTUNREACH) {
            return TcpPortTraffic.Failure.UNREACHABLE;
        }
        return TcpPortTraffic.Failure.OTHER;
    }

    TcpPortTraffic.Failure failure() {
        return failure;
    }
}
