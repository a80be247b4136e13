package dev.rootlessjkit.port;

import dev.rootlessjkit.linux.Sockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * -p sockets bound with the JDK's own channels as the parent's first act, before the native bindings load (jffi:
 * ~30 ms on a cold JVM, more on a loaded machine, and jnr-ffi took 100 ms and more when it was used): from then on a
 * client that comes early waits in the backlog instead of being refused, as RootlessKit's integration-port.sh
 * expects of a port one second after the launch. {@link EarlyListeners} takes each socket over once they are there. What the JDK cannot bind with Go's semantics (an
 * IPv6-only wildcard needs IPV6_V6ONLY, which the JDK does not set), or cannot bind at all (a port in use, a spec
 * that does not parse), is left to EarlyListeners, which binds it or reports it in Go's words.
 */
public final class PreboundListeners implements AutoCloseable {
    private static final Path OWN_FDS = Path.of("/proc/self/fd");

    private final Map<PortSpec, NetworkChannel> channels = new LinkedHashMap<>();

    private PreboundListeners() {
    }

    /** Nothing bound: for runs without -p, and for tests of what comes after. */
    public static PreboundListeners none() {
        return new PreboundListeners();
    }

    /** Binds what it can of the raw -p {@code specs} that {@code portDriver} serves from sockets of the parent's. */
    public static PreboundListeners bind(PortDriverKind portDriver, List<String> specs) {
        final PreboundListeners prebound = new PreboundListeners();
        final List<String> protos = portDriver.listenedProtos();
        for (String raw : specs) {
            try {
                final PortSpec spec = PortSpecParser.parse(raw);
                final Proto proto = Proto.of(spec.proto()).orElse(null);
                if (proto != null && protos.contains(spec.proto()) && !prebound.channels.containsKey(spec)) {
                    final NetworkChannel channel = open(ListenAddress.of(spec, proto), proto, spec.parentPort());
                    if (channel != null) {
                        prebound.channels.put(spec, channel);
                    }
                }
            } catch (PortDriverException | IOException | UnsupportedOperationException e) {
                // EarlyListeners binds it again and says what is wrong, as the driver would.
            }
        }
        return prebound;
    }

    /** A bound channel with the semantics {@link HostListeners} gives the same address, or null when none can. */
    private static NetworkChannel open(ListenAddress address, Proto proto, int port) throws IOException {
        if (address.v6only()) {
            return null;
        }
        final StandardProtocolFamily family = address.address().length == 4 ? StandardProtocolFamily.INET
                : StandardProtocolFamily.INET6;
        final InetSocketAddress local = new InetSocketAddress(InetAddress.getByAddress(address.address()), port);
        if (proto.isTcp()) {
            // SO_REUSEADDR, as HostListeners sets it: the JDK sets it on every server socket of Linux.
            final ServerSocketChannel server = ServerSocketChannel.open(family);
            try {
                server.configureBlocking(false);
                server.bind(local, HostListeners.BACKLOG);
                return server;
            } catch (IOException e) {
                server.close();
                throw e;
            }
        }
        final DatagramChannel datagrams = DatagramChannel.open(family);
        try {
            datagrams.configureBlocking(false);
            datagrams.bind(local);
            return datagrams;
        } catch (IOException e) {
            datagrams.close();
            throw e;
        }
    }

    /** How many sockets are bound and not taken yet. */
    public int size() {
        return channels.size();
    }

    /**
     * The socket bound for {@code spec} as an fd of its own, the caller's from now on (the JDK's channel is closed);
     * -1 when none was bound. The JDK does not say which fd a channel has: it is the one socket of this process
     * bound to the spec's address and port with the spec's type.
     */
    public int take(PortSpec spec, Sockets sockets) {
        final NetworkChannel channel = channels.remove(spec);
        if (channel == null) {
            return -1;
        }
        try {
            final Proto proto = Proto.of(spec.proto()).orElseThrow();
            final ListenAddress address = ListenAddress.of(spec, proto);
            final Sockets.Type type = proto.isTcp() ? Sockets.Type.STREAM : Sockets.Type.DGRAM;
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(OWN_FDS)) {
                for (Path entry : fds) {
                    final int fd = Integer.parseInt(entry.getFileName().toString());
                    if (sockets.isBoundTo(fd, type, address.address(), spec.parentPort())) {
                        return sockets.duplicate(fd);
                    }
                }
            }
            return -1;
        } catch (IOException | PortDriverException | NumberFormatException e) {
            return -1;
        } finally {
            closeQuietly(channel);
        }
    }

    /** Closes the channels nobody took. */
    @Override
    public void close() {
        channels.values().forEach(PreboundListeners::closeQuietly);
        channels.clear();
    }

    private static void closeQuietly(NetworkChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a bound socket does not fail in a way that leaves anything behind.
        }
    }
}
