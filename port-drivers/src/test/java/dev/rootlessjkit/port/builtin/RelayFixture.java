package dev.rootlessjkit.port.builtin;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.TcpPortTraffic;
import dev.rootlessjkit.port.PortSpec;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The builtin driver's TCP path with a chosen relay: both halves in this JVM, a {@link TcpForwarder} per published
 * port, relaying with the given {@link SpliceRelays} or, when that is null, through buffers only.
 */
final class RelayFixture implements AutoCloseable {
    static final String LOOP_THREADS = "test-port";
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    final SpliceRelays splicing;
    private final Log log;
    private final Sockets sockets = Sockets.load();
    private final BuiltinChildDriver child;
    private final ChildBridge bridge;
    private final EventLoopGroup group = new EpollEventLoopGroup(2, new DefaultThreadFactory(LOOP_THREADS, true));
    private final List<TcpForwarder> forwarders = new ArrayList<>();
    final ConnectionBudget connections = ConnectionBudget.forOpenFiles(4096);

    RelayFixture(Path state, SpliceRelays splicing, Log log) throws Exception {
        this.splicing = splicing;
        this.log = log;
        final Path socket = state.resolve(".bp.sock");
        child = new BuiltinChildDriver(sockets, Linux.load(), null, log);
        child.run(Map.of(BuiltinChildDriver.SOCKET_PATH_KEY, socket.toString()));
        bridge = new ChildBridge(sockets, socket, log);
        bridge.connect(Duration.ofSeconds(5));
    }

    /** Splice relays as the driver makes them, but with room for {@code relays} relays' pipes. */
    static SpliceRelays splicing(long relays, Log log) {
        return new SpliceRelays(2, relays * SpliceRelays.FDS_PER_RELAY, SpliceRelays.PIPE_BYTES, log);
    }

    /**
     * Publishes 127.0.0.1:(a free port) to 127.0.0.1:{@code targetPort}; returns the forwarder, its port and its
     * counters.
     */
    Published publish(int targetPort) throws Exception {
        final int port = Peers.freePort();
        final int fd = sockets.bindInet(Sockets.Type.STREAM, LOOPBACK, port, false, 128, "127.0.0.1:" + port);
        final TcpPortTraffic traffic = new TcpPortTraffic();
        final TcpForwarder forwarder = new TcpForwarder(group, connections, bridge,
                ChildTarget.of(new PortSpec("tcp", "127.0.0.1", port, "", targetPort)), fd, splicing, traffic, log);
        forwarder.start();
        forwarders.add(forwarder);
        return new Published(forwarder, port, traffic);
    }

    record Published(TcpForwarder forwarder, int port, TcpPortTraffic traffic) {
    }

    @Override
    public void close() {
        forwarders.forEach(f -> f.close(Duration.ofSeconds(5)));
        if (splicing != null) {
            splicing.close();
        }
        bridge.close();
        child.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
