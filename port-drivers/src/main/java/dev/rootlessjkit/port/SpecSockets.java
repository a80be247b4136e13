package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Sockets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Sockets bound for -p specs and not handed on yet, in the order they were bound: whoever takes one owns it, and
 * the ones nobody took are closed together. What {@link PreboundListeners} and {@link EarlyListeners} both hold.
 */
final class SpecSockets {
    private final Map<PortSpec, Integer> fds = new LinkedHashMap<>();

    void put(PortSpec spec, int fd) {
        fds.put(spec, fd);
    }

    boolean contains(PortSpec spec) {
        return fds.containsKey(spec);
    }

    /** The specs with a socket not taken yet, in the order they were bound. */
    Set<PortSpec> specs() {
        return fds.keySet();
    }

    int size() {
        return fds.size();
    }

    /** The socket bound for {@code spec}, the caller's from now on; -1 when none was. */
    int take(PortSpec spec) {
        final Integer fd = fds.remove(spec);
        return fd == null ? -1 : fd;
    }

    /** Closes the sockets nobody took; {@code sockets} may be null when none was ever bound. */
    void closeAll(Sockets sockets) {
        for (int fd : fds.values()) {
            sockets.close(fd);
        }
        fds.clear();
    }
}
