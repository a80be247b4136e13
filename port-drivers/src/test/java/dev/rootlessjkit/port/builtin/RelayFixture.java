package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import dev.rootlessjkit.port.PortSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The builtin driver's TCP path with chosen relays: both halves in this JVM, a {@link TcpForwarder} per published
 * port, relaying with the given {@link TcpRelays} (through pipes while their budget lasts, then through buffers).
 */
final class RelayFixture implements AutoCloseable {
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    final TcpRelays relays;
    private final Log log;
    private final Sockets sockets = Sockets.load();
    private final BuiltinChildDriver child;
    private final ChildBridge bridge;
    private final List<TcpForwarder> forwarders = new ArrayList<>();
    final ConnectionBudget connections = ConnectionBudget.forOpenFiles(4096);

    RelayFixture(Path state, TcpRelays relays, Log log) throws Exception {
        this.relays = relays;
        this.log = log;
        final Path socket = state.resolve(".bp.sock");
        child = new BuiltinChildDriver(sockets, Linux.load(), null, log);
        child.run(Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socket.toString()));
        bridge = new ChildBridge(sockets, socket, log);
        bridge.connect(Duration.ofSeconds(5));
    }

    /** Relays as the driver makes them, but with room for {@code spliced} relays' pipes. */
    static TcpRelays relays(long spliced, Log log) {
        return new TcpRelays(2, spliced * TcpRelays.FDS_PER_RELAY, TcpRelays.PIPE_BYTES, log);
    }

    /** Relays with no room for pipes: every connection goes through buffers. */
    static TcpRelays buffersOnly(Log log) {
        return relays(0, log);
    }

    /**
     * Publishes 127.0.0.1:(a free port) to 127.0.0.1:{@code targetPort}; returns the forwarder, its port and its
     * counters.
     */
    Published publish(int targetPort) throws Exception {
        final int port = Peers.freePort();
        final int fd = sockets.bindInet(Sockets.Type.STREAM, LOOPBACK, port, false, 128, "127.0.0.1:" + port);
        final TcpPortTraffic traffic = new TcpPortTraffic();
        final TcpForwarder forwarder = new TcpForwarder(relays, connections, bridge,
                ChildTarget.of(new PortSpec("tcp", "127.0.0.1", port, "", targetPort)), fd, traffic, log);
        forwarder.start();
        forwarders.add(forwarder);
        return new Published(forwarder, port, traffic);
    }

    record Published(TcpForwarder forwarder, int port, TcpPortTraffic traffic) {
    }

    @Override
    public void close() {
        forwarders.forEach(f -> f.close(Duration.ofSeconds(5)));
        relays.close();
        bridge.close();
        child.close();
    }
}
