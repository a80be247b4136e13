package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** Both halves of the builtin driver in this JVM, connected over {@code state/.bp.sock}. */
final class DriverPair implements AutoCloseable {
    final BuiltinParentDriver parent;
    final BuiltinChildDriver child;

    /** @param netns the namespace the child half dials in, or null for this process's */
    DriverPair(Path state, Duration udpIdleTimeout, Path netns, Log log) throws PortDriverException {
        this(state, udpIdleTimeout, netns, false, ConnectionBudget.forOpenFiles(4096), log);
    }

    DriverPair(Path state, Duration udpIdleTimeout, Path netns, ConnectionBudget connections, Log log)
            throws PortDriverException {
        this(state, udpIdleTimeout, netns, false, connections, log);
    }

    /**
     * @param sourceIpTransparent only with a {@code netns} of the test's own: the child half sets up policy routing
     *                            where it dials
     */
    DriverPair(Path state, Duration udpIdleTimeout, Path netns, boolean sourceIpTransparent, Log log)
            throws PortDriverException {
        this(state, udpIdleTimeout, netns, sourceIpTransparent, ConnectionBudget.forOpenFiles(4096), log);
    }

    private DriverPair(Path state, Duration udpIdleTimeout, Path netns, boolean sourceIpTransparent,
            ConnectionBudget connections, Log log) throws PortDriverException {
        parent = new BuiltinParentDriver(state, udpIdleTimeout, sourceIpTransparent, connections, log);
        child = new BuiltinChildDriver(Sockets.load(), Linux.load(), netns, log);
        child.run(parent.opaqueForChild());
        parent.start(Duration.ofSeconds(5));
    }

    /** Publishes {@code proto} on {@code ip}:(a free port) to {@code childPort}; returns the parent port. */
    int publish(String proto, String ip, int childPort) throws PortDriverException, IOException {
        return parent.addPort(new PortSpec(proto, ip, Peers.freePort(), "", childPort)).spec().parentPort();
    }

    @Override
    public void close() {
        parent.close();
        child.close();
    }
}
